"""`make run`: one command that brings up the whole local marketplace.

Migrates the database, seeds demo data on first start, starts the local Stripe emulator and
the background job worker as child processes, then serves the web app until Ctrl-C, and stops
the children on the way out. Data in the instance folder survives restarts.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask import Flask

from app.devtools.stripe_emulator import emulator_command

EMULATOR_PORT = 12111


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as exc:  # includes HTTPError: the server answered, so it is up
            if hasattr(exc, "code"):
                return
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {timeout:.0f}s")


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=os.environ.copy())
    atexit.register(_stop, process)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def start_stripe_emulator(
    instance: Path, host: str, app_url: str, webhook_secret: str, connect_secret: str
) -> str:
    port = EMULATOR_PORT if _port_free(host, EMULATOR_PORT) else _free_port(host)
    _spawn(
        emulator_command(host, port, instance / "stripe-emulator.pickle"),
        instance / "stripe-emulator.log",
    )
    api_base = f"http://{host}:{port}"
    _wait_http(f"{api_base}/_config/webhooks")
    for hook_id, path, secret, connect in (
        ("marketplace", "/stripe/webhook", webhook_secret, False),
        ("marketplace-connect", "/stripe/connect-webhook", connect_secret, True),
    ):
        body = {"url": f"{app_url}{path}", "secret": secret, "connect": connect}
        request = urllib.request.Request(
            f"{api_base}/_config/webhooks/{hook_id}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
    return api_base


def build_index_if_missing(app: Flask) -> None:
    from app.extensions import db
    from app.matching import index
    from ml.matcher import Matcher

    if Matcher.read_info(app.config["INDEX_DIR"]) is not None:
        return
    print("Building the matching index (first start only)...")
    with app.app_context():
        count = index.rebuild(
            db.session(), progress=lambda done, total: print(f"  {done}/{total}", end="\r")
        )
        db.session.commit()
    print(f"Indexed {count} offers.      ")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app_url = f"http://{args.host}:{args.port}"
    os.environ.setdefault("PUBLIC_BASE_URL", app_url)

    from app import create_app, migrate
    from app.seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_if_empty

    app = create_app()
    instance = Path(app.instance_path)
    print(f"Database: {app.config['DATABASE_URL']}")
    migrate.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        created = seed_if_empty(app)
    print("Seeded demo data." if created else "Existing data kept.")
    if app.config["MATCHING_ENABLED"]:
        build_index_if_missing(app)

    if not app.config.get("STRIPE_API_BASE") and app.config["STRIPE_SECRET_KEY"].startswith(
        "sk_test_local"
    ):
        api_base = start_stripe_emulator(
            instance,
            args.host,
            app_url,
            app.config["STRIPE_WEBHOOK_SECRET"],
            app.config["STRIPE_CONNECT_WEBHOOK_SECRET"],
        )
        os.environ["STRIPE_API_BASE"] = api_base
        app.config["STRIPE_API_BASE"] = api_base
        print(f"Local Stripe emulator: {api_base}")
    from app.devtools import demo_clock

    demo_clock.configure(app)  # local mode now known: this process reads the demo clock too
    if demo_clock.local_mode(app):
        print(
            "Demo time: STRIPE_API_BASE={} .venv/bin/flask --app app:create_app dev advance "
            "--days 9".format(app.config["STRIPE_API_BASE"])
        )

    _spawn(
        [sys.executable, "-m", "flask", "--app", "app:create_app", "worker"],
        instance / "worker.log",
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    print(f"\n  Cobalt Market is running at {app_url}\n")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_ACCOUNTS.items():
        print(f"    {role:<10} {email}")
    print(
        "\n  Card payments: type a test card into the card field (listed under it; README,"
        ' "Test cards"). Ctrl-C stops everything.\n'
    )
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
