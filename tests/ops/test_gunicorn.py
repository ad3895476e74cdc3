"""The production setup for real: gunicorn with app/gunicorn_conf.py and two workers.

Metrics from both workers add up in one scrape (Prometheus multiprocess mode), the access log
is JSON with the request id, and the probes answer.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app import PROJECT_ROOT
from app import migrate as migrations

REQUESTS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _start_gunicorn(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen[bytes], Path, str]:
    """gunicorn with app/gunicorn_conf.py on a fresh SQLite database; its output in a log."""
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    migrations.upgrade(database)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "gunicorn-test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **settings,
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn_conf.py"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return server, log_path, f"http://127.0.0.1:{port}"


def _access_lines(log_path: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and '"logger": "gunicorn.access"' in line
    ]


@pytest.mark.slow
def test_gunicorn_workers_share_metrics_and_log_json(tmp_path: Path):
    server, log_path, base = _start_gunicorn(tmp_path, MATCHING_ENABLED="0", WEB_CONCURRENCY="2")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        status, _headers, body = _get(f"{base}/readyz")
        assert status == 200, body
        for n in range(REQUESTS):
            status, headers, _ = _get(f"{base}/healthz", {"X-Request-ID": f"gun-{n}"})
            assert status == 200 and headers["X-Request-ID"] == f"gun-{n}"
        status, _headers, body = _get(f"{base}/metrics")
        assert status == 200
        count = next(
            float(line.split()[-1])
            for line in body.decode().splitlines()
            if line.startswith("http_request_duration_seconds_count")
            and 'endpoint="health.healthz"' in line
        )
        # The probes before the loop count too; every worker's requests are in this one scrape.
        assert count >= REQUESTS + 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    access = _access_lines(log_path)
    ids = {entry.get("request_id") for entry in access}
    assert {f"gun-{n}" for n in range(REQUESTS)} <= ids
    entry = next(e for e in access if e.get("request_id") == "gun-0")
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for listing in Path(f"/proc/{pid}/task").glob("*/children")  # listed per thread
        for child in listing.read_text().split()
    ]


def _tree(pid: int) -> list[int]:
    children = _children(pid)
    return children + [grandchild for child in children for grandchild in _tree(child)]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_gunicorn_starts_a_ranking_server_that_answers_rankings_and_stops_with_it(
    tmp_path: Path,
):
    server, log_path, base = _start_gunicorn(
        tmp_path,
        MATCHING_ENABLED="1",
        ML_PRELOAD_MODEL="0",  # nothing here encodes: no model load
        INDEX_DIR=str(tmp_path / "index"),
        WEB_CONCURRENCY="1",
    )
    probes = iter(range(1_000_000))

    def ranking_server_answers() -> bool:
        # A ranking request (the brief API refuses an anonymous caller) is logged by the web
        # worker that relays it and by the ranking server that answered it.
        request_id = f"r{next(probes)}"
        try:
            status, headers, _ = _get(
                f"{base}/api/v1/briefs/1/matches", {"X-Request-ID": request_id}
            )
        except OSError:
            return False
        assert status == 401 and headers["X-Request-ID"] == request_id
        return [e["request_id"] for e in _access_lines(log_path)].count(request_id) == 2

    def wait_until(condition: Any) -> None:
        deadline = time.monotonic() + 90
        while not condition():
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)

    def ranking_masters() -> list[int]:
        # master -> supervisor -> ranking server's master -> its worker
        return [pid for child in _children(server.pid) for pid in _children(child)]

    try:
        wait_until(ranking_server_answers)
        status, _headers, _ = _get(f"{base}/healthz", {"X-Request-ID": "page"})
        assert status == 200
        # The web worker, the supervisor, the ranking server's master and its worker.
        processes = _tree(server.pid)
        assert len(processes) == 4
        # A ranking server that dies is started again.
        (ranking_master,) = ranking_masters()
        os.kill(ranking_master, signal.SIGKILL)
        wait_until(
            lambda: ranking_masters() not in ([], [ranking_master]) and ranking_server_answers()
        )
        processes = _tree(server.pid)
        assert len(processes) == 4
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert [e["request_id"] for e in _access_lines(log_path)].count("page") == 1
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in processes):
        assert time.monotonic() < deadline, "the ranking server outlived its master"
        time.sleep(0.2)
