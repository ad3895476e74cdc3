"""Command line entry point: ``python -m app.devtools.stripe_emulator``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
from pathlib import Path

from aiohttp import web

from . import accounts, balance, settlement, state, webhooks
from .app import build_app

log = logging.getLogger("stripe_emulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.devtools.stripe_emulator",
        description="Local Stripe API emulator (localstripe + Connect, idempotency).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument(
        "--state-file",
        required=True,
        type=Path,
        help="pickle file holding all emulator state (created if missing)",
    )
    parser.add_argument("--reset", action="store_true", help="ignore an existing state file")
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="written (JSON: host, port, pid) once the server listens; used by run_in_subprocess",
    )
    parser.add_argument("--webhook-url", help="register this webhook endpoint at start-up")
    parser.add_argument("--webhook-secret", help="signing secret for --webhook-url (whsec_...)")
    parser.add_argument(
        "--default-currency",
        default=balance.PLATFORM_DEFAULT_CURRENCY,
        help="currency of the platform balance while it is empty",
    )
    parser.add_argument(
        "--default-country",
        default=accounts.DEFAULT_COUNTRY,
        help="country of the platform, used for accounts created without one",
    )
    parser.add_argument(
        "--settlement-currencies",
        default=",".join(settlement.DEFAULT_CURRENCIES),
        help="currencies the platform settles in (first = primary; others are converted)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    return args


def _write_ready_file(path: Path, host: str, port: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid()}))
    os.replace(tmp, path)  # the parent never sees a half-written file


async def serve(args: argparse.Namespace) -> None:
    state.use_state_file(args.state_file)
    if not args.reset:
        state.load()
    # With --reset the old file is simply overwritten by the first save.
    webhooks.restore()
    balance.PLATFORM_DEFAULT_CURRENCY = args.default_currency.lower()
    accounts.DEFAULT_COUNTRY = args.default_country.upper()
    settlement.currencies[:] = [c.strip().lower() for c in args.settlement_currencies.split(",")]
    app = build_app()
    if args.webhook_url:
        from localstripe.webhooks import register_webhook

        register_webhook("cli", args.webhook_url, args.webhook_secret, None)

    access_log = None if args.quiet else logging.getLogger("aiohttp.access")
    runner = web.AppRunner(app, access_log=access_log, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    log.info("Stripe emulator on http://%s:%d (state: %s)", args.host, port, args.state_file)
    if args.ready_file:
        _write_ready_file(args.ready_file, args.host, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        state.save()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args))
