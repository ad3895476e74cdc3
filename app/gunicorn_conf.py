"""Production gunicorn settings: ``gunicorn -c app/gunicorn_conf.py``.

Every value can be changed from the environment (names below). Read by gunicorn before the
application is imported, which matters for the Prometheus multiprocess directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_OFF = {"0", "false", "no"}

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# The ranking process (app.matching.delegation): the web workers hand every ranking request
# (semantic search, brief matches, briefs for a creator) to a second gunicorn that this
# master starts on a Unix socket, ``RANKING_NICE`` (10) nicer, with ``RANKING_WORKERS`` (1)
# worker(s): rankings never hold a page worker's GIL or its cores. ``RANKING_PROCESS=0``
# keeps them in the web workers (on their niced ranking threads, app.matching.slots).
ranking_server = os.environ.get("RANKING_SERVER", "") in {"1", "true", "yes"}
ranking_process = (
    not ranking_server
    and os.environ.get("RANKING_PROCESS", "1") not in _OFF
    and os.environ.get("MATCHING_ENABLED", "1") not in _OFF
)
if ranking_process:
    # A folder only this user can open (mkdtemp: 0700): the ranking server trusts whatever
    # reaches its socket to be one of these workers.
    os.environ["RANKING_SOCKET"] = str(
        Path(tempfile.mkdtemp(prefix="cobalt-ranking-")) / "ranking.sock"
    )
if ranking_server:
    # Managed by the web server's master: no control socket of its own (gunicorn's default
    # path is one per user, which the web server's master already listens on).
    control_socket_disable = True
_ranking_supervisor: subprocess.Popen[bytes] | None = None
# The encoder sizes its torch threads to the cores per worker (ml.encoder.default_threads).
os.environ["WEB_CONCURRENCY"] = str(workers)
# Threads per worker (gunicorn's gthread worker when > 1): a catalogue page no longer waits
# in line behind a whole search encoding, ranking or Stripe call taken by the same worker
# (the encoder serialises its own inference; torch and socket waits release the GIL), and
# kept-alive connections are honoured instead of reconnecting per request. Issue 17: browse
# p99 under the mix was 8.6x its unloaded p99 with 2 sync workers.
# Many more threads than ranking slots (app.matching.slots): a ranking waiting for its slot
# sleeps on a thread, and gthread hands a request to a free thread in arrival order, so with
# 4 threads a page queued behind rankings that were themselves queued (measured, issue 17p:
# the load test's browse p50 under the mix 380 ms at the client vs 132 ms inside the app;
# with 16 threads 116 vs 83). A waiting thread costs a stack, no CPU. 12 stays below the
# database pool of each worker (SQLAlchemy's 5 + 10 overflow), so no thread waits for a
# connection either.
threads = int(os.environ.get("GUNICORN_THREADS", "12"))
# A request that takes longer than this is stuck; its worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak (model caches, fragmentation) cannot grow forever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Import the app once in the master: a broken deploy fails before any worker starts, and
# workers share the imported code. post_fork below drops connections inherited from it.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in {"0", "false", "no"}

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "app.observability.gunicorn_logging.JsonLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics from every worker go to files here and are summed at scrape time. Must be set before
# prometheus_client is imported, i.e. before the app is.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cobalt-metrics-")


def on_starting(server: Any) -> None:
    """Samples from an earlier run would be added to this one's: start from an empty folder
    (the web server's master does it; the ranking server it starts shares the folder)."""
    if ranking_server:
        return
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def post_fork(server: Any, worker: Any) -> None:
    """A connection opened by the master (preload) must not be shared by forked workers."""
    from app.extensions import db

    if db.engine is not None:
        db.engine.dispose(close=False)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """With ``preload_app``, load the embedding model once, in the master, before the workers
    fork: they share its weights copy-on-write instead of each reading its own copy.

    No forward pass runs in the master, so no torch/OpenMP thread pool exists at fork time
    (a pool does not survive ``fork``); each worker starts its own on its first encoding.
    ``ML_PRELOAD_MODEL=0`` turns this off (each worker then loads the model on first use).

    Measured (issue 17, 2 workers after the load test's mix, PSS = shared pages split among
    the processes sharing them): preloaded 955 MB total PSS (master 542 MB RSS, workers
    515 + 515), not preloaded 952 MB (master 135, workers 582 + 591). Memory is a wash — the
    model weights are ~90 MB; most of a worker is torch's runtime, allocator arenas and the
    index, which are not shared — so it stays on for what it does buy: a worker recycled by
    ``max_requests`` starts with the model already loaded instead of loading it on a request.

    Either way the master's heap is frozen before the fork (ml.heap): a full garbage
    collection of it stopped a worker for 150–350 ms, pages included.
    """
    if ranking_process:
        _start_ranking_server()
    if not preload_app:
        return
    from ml.heap import freeze_long_lived

    if (
        os.environ.get("ML_PRELOAD_MODEL", "1") in _OFF
        or os.environ.get("MATCHING_ENABLED", "1") in _OFF
        or ranking_process  # the ranking server encodes; these workers only serve pages
    ):
        # The preloaded app's heap is shared with every worker: no collection walks it
        # (and no collection dirties its pages, which would end the copy-on-write sharing).
        freeze_long_lived()
        return
    from ml.encoder import get_encoder

    get_encoder()  # loads the model, then freezes the heap (ml.heap)


def _start_ranking_server() -> None:
    """The second gunicorn, same settings file, on the socket, at a lower CPU priority, kept
    running by a small supervisor process (app/matching/supervisor.py) that starts it again
    if it stops and stops it with this master (``on_exit``, or this master's death).

    While it is down, ranking requests are served by the web workers (logged), so it costs
    latency, never an error. Called from the master's main thread before any worker is
    forked: a process started while the master forks leaks a pipe into the worker."""
    from ml.encoder import serving_threads

    global _ranking_supervisor
    nice = int(os.environ.get("RANKING_NICE", "10"))
    command = [sys.executable, "-m", "gunicorn", "-c", str(Path(__file__).resolve())]
    if nice > 0 and shutil.which("nice"):
        command = ["nice", "-n", str(nice), *command]
    supervisor = Path(__file__).resolve().parent / "matching" / "supervisor.py"
    _ranking_supervisor = subprocess.Popen(
        [sys.executable, str(supervisor), "--", *command],
        env={
            **os.environ,
            "RANKING_SERVER": "1",
            "GUNICORN_BIND": f"unix:{os.environ['RANKING_SOCKET']}",
            "WEB_CONCURRENCY": os.environ.get("RANKING_WORKERS", "1"),
            # The whole process is niced already: its rankings run on the request threads.
            "MATCHING_NICE": "0",
            "ML_TORCH_THREADS": os.environ.get("ML_TORCH_THREADS") or str(serving_threads()),
        },
    )


def on_exit(server: Any) -> None:
    if _ranking_supervisor is not None and _ranking_supervisor.poll() is None:
        _ranking_supervisor.terminate()  # it stops the ranking server, then itself
        try:
            _ranking_supervisor.wait(timeout=graceful_timeout + 5)
        except subprocess.TimeoutExpired:
            _ranking_supervisor.kill()
