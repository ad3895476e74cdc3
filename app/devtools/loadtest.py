"""Reproducible load test: ``python -m app.devtools.loadtest [--duration 30] [--concurrency 8]``.

Builds a throwaway deployment on this machine and measures it:

1. a fresh PostgreSQL database (127.0.0.1:5432, trust auth; ``--pg-url`` to change), migrated,
   seeded with ``flask seed-demo`` and indexed with ``flask rebuild-index``;
2. contracts with unfunded milestones and API tokens, made through the services;
3. the local Stripe emulator and gunicorn (app/gunicorn_conf.py, 2 workers) on free loopback
   ports, webhooks from the emulator delivered to gunicorn;
4. a bounded, time-limited load from a separate process (threads, keep-alive connections,
   loopback only): catalog browse, semantic search, brief matches (API) and milestone funding
   with a test card (API), mixed by weight;
5. a table of req/s, p50 and p99 per scenario, then ``flask ledger-check``; everything it
   started is stopped and the database dropped (``--keep-db`` keeps it).

Not part of ``make test`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT
from app.devtools.loadtest_client import SCENARIOS

HOST = "127.0.0.1"  # the only address this test ever sends traffic to


# --- orchestration ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout: float, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: process exited; see {log}\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} not ready after {timeout:.0f}s; see {log}")


def _flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app:create_app", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def _admin(pg_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql)


def prepare(env: dict[str, str], *, contracts: int) -> dict[str, Any]:
    """Tokens, briefs to match and unfunded milestones, through the services."""
    os.environ.update(env)
    from sqlalchemy import select

    from app import create_app
    from app.accounts import services as accounts
    from app.briefs.models import Brief, BriefStatus
    from app.contracts import services as contract_services
    from app.extensions import db
    from app.offers.models import Offer, OfferKind, OfferStatus
    from app.payments import services as payments
    from app.seed.demo import DEMO_ACCOUNTS

    app = create_app()
    with app.app_context():
        session = db.session()
        business = accounts.find_user_by_email(session, DEMO_ACCOUNTS["business"])
        assert business is not None, "seed-demo did not create the demo business"
        briefs = session.scalars(
            select(Brief).where(Brief.status == BriefStatus.OPEN).order_by(Brief.id).limit(12)
        ).all()
        tokens: dict[int, str] = {}
        matches = []
        for brief in briefs:
            if brief.business_id not in tokens:
                owner = brief.business
                tokens[owner.id] = accounts.create_api_token(session, owner, name="load")[1]
            matches.append([brief.id, tokens[brief.business_id]])
        offers = session.scalars(
            select(Offer)
            .where(
                Offer.kind == OfferKind.SERVICE,
                Offer.status == OfferStatus.PUBLISHED,
                Offer.creator_id != business.id,
            )
            .order_by(Offer.id)
        ).all()
        milestones = []
        for n in range(contracts):
            contract = contract_services.create_from_package(
                session, offers[n % len(offers)], "basic", business=business
            )
            milestones.append(payments.milestones_of(session, contract.id)[0].id)
        fund_token = accounts.create_api_token(session, business, name="load-fund")[1]
        all_offers = session.scalars(
            select(Offer.id).where(Offer.status == OfferStatus.PUBLISHED)
        ).all()
        session.commit()
    return {
        "matches": matches,
        "milestones": milestones,
        "fund_token": fund_token,
        "offers": list(all_offers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.loadtest")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 600.0)  # bounded, whatever is asked

    name = f"cobalt_load_{uuid.uuid4().hex[:8]}"
    admin_url = args.pg_url
    db_url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    db_url = f"{db_url}/{name}"
    work = Path(tempfile.mkdtemp(prefix="cobalt-load-"))
    app_port, emu_port = _free_port(), _free_port()
    base = f"http://{HOST}:{app_port}"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(work / "instance"),
        "SECRET_KEY": "load-test-secret",
        "MATCHING_ENABLED": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "STRIPE_API_BASE": f"http://{HOST}:{emu_port}",
        "STRIPE_SECRET_KEY": "sk_test_local_emulator",
        "PUBLIC_BASE_URL": base,
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": str(work / "access.log"),
        "GUNICORN_BIND": f"{HOST}:{app_port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_TIMEOUT": "120",
        "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
    }
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(cmd: list[str], log_name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = work / log_name
        with log.open("wb") as handle:
            process = subprocess.Popen(
                cmd, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        processes.append(process)
        return process, log

    print(f"Database {name}, work folder {work}")
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        started = time.monotonic()
        _flask(env, "migrate")
        print(_flask(env, "seed-demo"))
        print(_flask(env, "rebuild-index").splitlines()[-1])
        plan = prepare(env, contracts=600)
        (work / "plan.json").write_text(json.dumps(plan))
        print(f"Set up in {time.monotonic() - started:.0f}s")

        emulator, emu_log = spawn(
            [sys.executable, "-m", "app.devtools.stripe_emulator", "--host", HOST,
             "--port", str(emu_port), "--state-file", str(work / "stripe.pickle")],
            "stripe.log",
        )  # fmt: skip
        _wait_http(f"{env['STRIPE_API_BASE']}/_config/webhooks", 60, emulator, emu_log)
        from app.devtools.stripe_emulator import register_webhook

        register_webhook(env["STRIPE_API_BASE"], f"{base}/stripe/webhook", "whsec_local_emulator")
        register_webhook(
            env["STRIPE_API_BASE"],
            f"{base}/stripe/connect-webhook",
            "whsec_local_emulator_connect",
            webhook_id="connect",
            connect=True,
        )
        server, server_log = spawn(
            [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn_conf.py"], "gunicorn.log"
        )
        _wait_http(f"{base}/readyz", 180, server, server_log)
        print(f"gunicorn ({args.workers} workers) at {base}: 20s warm-up, {duration:.0f}s load")

        driver = subprocess.run(
            [sys.executable, "-m", "app.devtools.loadtest_client", "--base", base,
             "--plan", str(work / "plan.json"), "--duration", str(duration),
             "--concurrency", str(args.concurrency), "--out", str(work / "results.json")],
            cwd=PROJECT_ROOT,
        )  # fmt: skip
        if driver.returncode != 0:
            raise SystemExit("the load client failed")
        report(json.loads((work / "results.json").read_text()), args)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    print(_flask(env, "ledger-check"))
    if not args.keep_db:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    elapsed = results["elapsed"]
    print(
        f"\n{args.concurrency} client threads, {args.workers} gunicorn workers, "
        f"{elapsed:.1f}s, PostgreSQL\n"
    )
    header = f"{'scenario':<10}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    everything: list[float] = []
    for scenario in [*SCENARIOS, "total"]:
        if scenario == "total":
            latencies, errors = everything, sum(r["errors"] for r in results["by"].values())
            print("-" * len(header))
        else:
            entry = results["by"].get(scenario, {"latencies": [], "errors": 0})
            latencies, errors = entry["latencies"], entry["errors"]
            everything = everything + latencies
        count = len(latencies)
        p50 = statistics.median(latencies) * 1000 if latencies else 0.0
        p99 = _percentile(latencies, 0.99) * 1000
        print(f"{scenario:<10}{count:>10}{errors:>8}{count / elapsed:>9.1f}{p50:>9.1f}{p99:>9.1f}")
    for scenario, entry in results["by"].items():
        if entry["statuses"]:
            print(f"  {scenario}: statuses {entry['statuses']}")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
