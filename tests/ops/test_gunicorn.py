"""The production setup for real: gunicorn with app/gunicorn_conf.py and two workers.

Metrics from both workers add up in one scrape (Prometheus multiprocess mode), the access log
is JSON with the request id, and the probes answer.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


@pytest.mark.slow
def test_gunicorn_workers_share_metrics_and_log_json(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    migrations.upgrade(database)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "gunicorn-test",
        "MATCHING_ENABLED": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
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
    base = f"http://127.0.0.1:{port}"
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
    access = [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and '"logger": "gunicorn.access"' in line
    ]
    ids = {entry.get("request_id") for entry in access}
    assert {f"gun-{n}" for n in range(REQUESTS)} <= ids
    entry = next(e for e in access if e.get("request_id") == "gun-0")
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200


def _access_lines(log_path: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and '"logger": "gunicorn.access"' in line
    ]


def _tree(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
        children = [int(child) for child in fh.read().split()]
    return children + [grandchild for child in children for grandchild in _tree(child)]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_gunicorn_starts_a_ranking_server_that_answers_rankings_and_stops_with_it(
    tmp_path: Path,
):
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    migrations.upgrade(database)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "gunicorn-test",
        "MATCHING_ENABLED": "1",
        "ML_PRELOAD_MODEL": "0",  # nothing here encodes: no model load
        "INDEX_DIR": str(tmp_path / "index"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
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
    base = f"http://127.0.0.1:{port}"
    try:
        # A ranking request (the brief API refuses an anonymous caller) is logged by the web
        # worker that relays it and by the ranking server that answered it, once it is up.
        deadline, n = time.monotonic() + 90, 0
        while True:
            n += 1
            try:
                status, headers, _ = _get(
                    f"{base}/api/v1/briefs/1/matches", {"X-Request-ID": f"r{n}"}
                )
            except OSError:
                status = 0
            if status:
                assert status == 401 and headers["X-Request-ID"] == f"r{n}"
                if [e["request_id"] for e in _access_lines(log_path)].count(f"r{n}") == 2:
                    break
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        status, _headers, _ = _get(f"{base}/healthz", {"X-Request-ID": "page"})
        assert status == 200
        processes = _tree(server.pid)
        assert len(processes) == 3  # the web worker, the ranking master and its worker
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert [e["request_id"] for e in _access_lines(log_path)].count("page") == 1
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in processes):
        assert time.monotonic() < deadline, "the ranking server outlived its master"
        time.sleep(0.2)
