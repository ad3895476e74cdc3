"""Reproducible load test: ``python -m app.devtools.loadtest [--duration 30] [--concurrency 8]``.

Builds a throwaway deployment on this machine and measures it:

1. a fresh PostgreSQL database (127.0.0.1:5432, trust auth; ``--pg-url`` to change), migrated,
   seeded with ``flask seed-demo`` and indexed with ``flask rebuild-index``;
2. contracts with unfunded milestones and API tokens, made through the services;
3. the local Stripe emulator and gunicorn (app/gunicorn_conf.py, 2 workers) on free loopback
   ports, webhooks from the emulator delivered to gunicorn;
4. bounded, time-limited loads from a separate process (threads, keep-alive connections,
   loopback only), one phase after another in the same run:
   * the *ceiling*: app.devtools.ceiling (one indexed SELECT + a small template) under the
     same gunicorn settings and the same client;
   * browse *alone* (all threads), then browse *unloaded* (one client thread, the same
     pages, already cached by both workers, as long as the other phases);
   * the *mix*: catalog browse, semantic search, brief matches (API) and milestone funding
     (creating the PaymentIntent through the API; Stripe.js confirms it in a browser), by weight;
5. a table of req/s, p50 and p99 per scenario and phase, RSS/PSS of gunicorn after the mix,
   ``flask ledger-check``, the in-process matches floor (one brief encoding + one FAISS
   search vs a whole matches request), and three lines ``ratio <name> <value>``; everything
   it started is stopped and the database dropped (``--keep-db`` keeps it).

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


def _run_client(
    base: str,
    work: Path,
    name: str,
    *,
    duration: float,
    concurrency: int,
    warmup: float,
    weights: str = "",
) -> dict[str, Any]:
    out = work / f"results-{name}.json"
    driver = subprocess.run(
        [sys.executable, "-m", "app.devtools.loadtest_client", "--base", base,
         "--plan", str(work / "plan.json"), "--duration", str(duration),
         "--concurrency", str(concurrency), "--warmup", str(warmup), "--out", str(out),
         *(["--weights", weights] if weights else [])],
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    if driver.returncode != 0:
        raise SystemExit(f"the load client failed ({name})")
    results: dict[str, Any] = json.loads(out.read_text())
    return results


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def memory(master_pid: int) -> dict[str, Any]:
    """RSS and PSS (shared pages split between the processes sharing them) of the gunicorn
    master and every process under it (its workers, and the ranking server's master and
    workers, app.matching.delegation), from /proc (Linux)."""

    def rollup(pid: int) -> tuple[float, float]:
        values = {}
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                parts = line.split()
                if parts[0] in ("Rss:", "Pss:"):
                    values[parts[0]] = int(parts[1]) / 1024
        return values["Rss:"], values["Pss:"]

    def children(pid: int) -> list[int]:
        # Listed per thread of ``pid``: any of them may have started a child.
        return [
            int(child)
            for listing in Path(f"/proc/{pid}/task").glob("*/children")
            for child in listing.read_text(encoding="ascii").split()
        ]

    def tree(pid: int) -> list[int]:
        return [pid, *(grandchild for child in children(pid) for grandchild in tree(child))]

    # A child with children of its own is the ranking server's supervisor (web workers fork
    # none): it, the ranking server's master and its workers.
    ranking = [pid for child in children(master_pid) if children(child) for pid in tree(child)]
    web = [pid for pid in children(master_pid) if pid not in ranking]
    each = {pid: rollup(pid) for pid in [master_pid, *web, *ranking]}
    return {
        "master_rss": each[master_pid][0],
        "worker_rss": [each[pid][0] for pid in web],
        "ranking_rss": [each[pid][0] for pid in ranking],
        "total_rss": sum(r for r, _ in each.values()),
        "total_pss": sum(p for _, p in each.values()),
    }


def floor(env: dict[str, str], plan: dict[str, Any], rounds: int) -> dict[str, float]:
    """In-process p50 of a whole matches request (test client, same code as gunicorn runs)
    against its floor: one encoding of the brief (no cache) + one FAISS search."""
    os.environ.update(env)
    from app import create_app
    from app.briefs.models import Brief
    from app.extensions import db
    from app.matching.index import current_matcher
    from app.matching.vectors import brief_text
    from ml.encoder import get_encoder

    app = create_app()
    floors: list[float] = []
    requests: list[float] = []
    with app.app_context():
        session = db.session()
        matcher = current_matcher(session)
        encoder = get_encoder()
        texts = {bid: brief_text(session.get_one(Brief, bid)) for bid, _ in plan["matches"]}
        depth = matcher.weights.candidates
        client = app.test_client()
        for n in range(rounds + 1):  # the first round warms up and is not counted
            for brief_id, token in plan["matches"]:
                started = time.perf_counter()
                vector = encoder.encode([texts[brief_id]])  # never cached: the floor encodes
                matcher.main.search(vector, depth)
                took = time.perf_counter() - started
                if n:
                    floors.append(took)
                started = time.perf_counter()
                response = client.get(
                    f"/api/v1/briefs/{brief_id}/matches",
                    headers={"Authorization": f"Bearer {token}"},
                )
                took = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"in-process matches: HTTP {response.status_code}")
                if n:
                    requests.append(took)
        db.session.remove()
    return {
        "floor_p50": statistics.median(floors) * 1000,
        "request_p50": statistics.median(requests) * 1000,
        "samples": len(requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.loadtest")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--floor-rounds", type=int, default=10, help="in-process rounds")
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
        # Throughput of one load generator on one address, not the abuse limits.
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": str(work / "access.log"),
        "GUNICORN_BIND": f"{HOST}:{app_port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_TIMEOUT": "120",
        "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
    }
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(
        cmd: list[str], log_name: str, extra: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = work / log_name
        with log.open("wb") as handle:
            process = subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,
                env={**env, **(extra or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process, log

    print(f"Database {name}, work folder {work}")
    (work / "metrics").mkdir(parents=True)  # the CLI commands record metrics too
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        _measure(args, env, work, name, admin_url, spawn, processes, duration)
    finally:
        if not args.keep_db:
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    name: str,
    admin_url: str,
    spawn: Any,
    processes: list[subprocess.Popen[bytes]],
    duration: float,
) -> None:
    base = env["PUBLIC_BASE_URL"]
    ceiling_port = _free_port()
    phases: dict[str, dict[str, Any]] = {}
    try:
        started = time.monotonic()
        _flask(env, "migrate")
        print(_flask(env, "seed-demo"))  # ends with ANALYZE
        print("\n".join(_flask(env, "rebuild-index").splitlines()[-2:]))
        plan = prepare(env, contracts=600)
        (work / "plan.json").write_text(json.dumps(plan))
        _admin(f"{admin_url.rsplit('/', 1)[0]}/{name}", "ANALYZE")  # after every bulk load
        print(f"Set up in {time.monotonic() - started:.0f}s (ANALYZE after seeding)")

        # 1. The ceiling: the minimal page, same gunicorn settings, same client.
        ceiling_base = f"http://{HOST}:{ceiling_port}"
        ceiling, ceiling_log = spawn(
            [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn_conf.py",
             "app.devtools.ceiling:create_app()"],
            "ceiling.log",
            # The minimal page alone: no ranking server of the real app beside it.
            {"GUNICORN_BIND": f"{HOST}:{ceiling_port}", "RANKING_PROCESS": "0"},
        )  # fmt: skip
        _wait_http(f"{ceiling_base}/readyz", 60, ceiling, ceiling_log)
        print(f"ceiling ({args.workers} workers): {duration:.0f}s")
        phases["ceiling"] = _run_client(
            ceiling_base, work, "ceiling", duration=duration, concurrency=args.concurrency,
            warmup=3, weights="ceiling=1",
        )  # fmt: skip
        _stop(ceiling)

        emulator, emu_log = spawn(
            [sys.executable, "-m", "app.devtools.stripe_emulator", "--host", HOST,
             "--port", env["STRIPE_API_BASE"].rsplit(":", 1)[1],
             "--state-file", str(work / "stripe.pickle")],
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
        print(f"gunicorn ({args.workers} workers) at {base}")
        # 2. Browse with nothing else running: all client threads (alone), then one (unloaded).
        # Alone first, so that the unloaded phase sees what the mix sees: the same pages, each
        # already in both workers' page caches (a cold cache would make "unloaded" slower
        # than steady state and flatter the mix). As long as the mix, for an honest p99.
        phases["browse-alone"] = _run_client(
            base, work, "alone", duration=duration, concurrency=args.concurrency, warmup=3,
            weights="browse=1",
        )  # fmt: skip
        phases["browse-unloaded"] = _run_client(
            base, work, "unloaded", duration=duration, concurrency=1, warmup=3,
            weights="browse=1",
        )  # fmt: skip
        # 3. Everything mixed by weight, as users do.
        phases["mixed"] = _run_client(
            base, work, "mixed", duration=duration, concurrency=args.concurrency, warmup=20
        )
        phases["memory"] = memory(server.pid)
        report(phases, args)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                _stop(process)
    print(_flask(env, "ledger-check"))
    result = floor(env, plan, args.floor_rounds)
    ratios(phases, result)


def _throughput(results: dict[str, Any], scenario: str | None = None) -> float:
    by = results["by"]
    count = sum(len(e["latencies"]) for k, e in by.items() if scenario in (None, k))
    return float(count / results["elapsed"])


def report(phases: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    for phase in ("ceiling", "browse-alone", "browse-unloaded", "mixed"):
        results = phases[phase]
        threads = 1 if phase == "browse-unloaded" else args.concurrency
        print(
            f"\n{phase}: {threads} client threads, {args.workers} gunicorn workers, "
            f"{results['elapsed']:.1f}s, PostgreSQL\n"
        )
        table(results)
    mem = phases["memory"]
    print(
        f"\nmemory after the mix: master {mem['master_rss']:.0f} MB RSS, workers "
        + ", ".join(f"{r:.0f}" for r in mem["worker_rss"])
        + " MB RSS; ranking server (supervisor, master, workers) "
        + (", ".join(f"{r:.0f}" for r in mem["ranking_rss"]) or "none")
        + f" MB RSS; total RSS {mem['total_rss']:.0f} MB, total PSS {mem['total_pss']:.0f} MB"
    )


def table(results: dict[str, Any]) -> None:
    elapsed = results["elapsed"]
    header = f"{'scenario':<10}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    everything: list[float] = []
    names = list(results["by"])
    for scenario in [*names, "total"]:
        if scenario == "total":
            latencies, errors = everything, sum(r["errors"] for r in results["by"].values())
            print("-" * len(header))
        else:
            entry = results["by"][scenario]
            latencies, errors = entry["latencies"], entry["errors"]
            everything = everything + latencies
        count = len(latencies)
        p50 = statistics.median(latencies) * 1000 if latencies else 0.0
        p99 = _percentile(latencies, 0.99) * 1000
        print(f"{scenario:<10}{count:>10}{errors:>8}{count / elapsed:>9.1f}{p50:>9.1f}{p99:>9.1f}")
    for scenario, entry in results["by"].items():
        if entry["statuses"]:
            print(f"  {scenario}: statuses {entry['statuses']}")


def ratios(phases: dict[str, dict[str, Any]], inproc: dict[str, float]) -> None:
    ceiling = _throughput(phases["ceiling"])
    alone = _throughput(phases["browse-alone"], "browse")
    mixed = _throughput(phases["mixed"])
    unloaded_p99 = _percentile(phases["browse-unloaded"]["by"]["browse"]["latencies"], 0.99)
    mixed_p99 = _percentile(phases["mixed"]["by"]["browse"]["latencies"], 0.99)
    errors = sum(e["errors"] for p in ("ceiling", "browse-unloaded", "browse-alone", "mixed")
                 for e in phases[p]["by"].values())  # fmt: skip
    print(
        f"\nin-process matches request p50 {inproc['request_p50']:.1f} ms, floor (one brief "
        f"encoding + one FAISS search) p50 {inproc['floor_p50']:.1f} ms, "
        f"{inproc['samples']:.0f} samples each"
    )
    samples = (len(phases["mixed"]["by"]["browse"]["latencies"]),
               len(phases["browse-unloaded"]["by"]["browse"]["latencies"]))  # fmt: skip
    print(
        f"browse p99 under the mix {mixed_p99 * 1000:.1f} ms vs unloaded "
        f"{unloaded_p99 * 1000:.1f} ms ({mixed_p99 / unloaded_p99:.1f}x; "
        f"{samples[0]} and {samples[1]} samples)"
    )
    print(f"errors {errors}")
    print(f"ratio browse-alone/ceiling {100 * alone / ceiling:.0f}%")
    print(f"ratio mixed-total/ceiling {100 * mixed / ceiling:.1f}%")
    print(f"ratio matches/floor {inproc['request_p50'] / inproc['floor_p50']:.1f}x")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
