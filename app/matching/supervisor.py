"""Keep the ranking server running: ``python -m app.matching.supervisor -- <command>``.

Started by the gunicorn master (app/gunicorn_conf.py) from its main thread before it forks
any worker, it runs ``command`` and starts it again a second after it stops, until it is
asked to stop (SIGTERM or SIGINT: it stops the command too and waits for it) or its parent
goes away (then it stops the command, so a killed master leaves nothing behind).

Why a process and not a thread of the master: a thread starting a process races with the
master forking a worker, and the worker then inherits the pipe through which ``subprocess``
learns that the new process started, so that start never returns (seen in tests). Standard
library only: it must stay small, it holds no model and serves nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import Any

POLL_SECONDS = 0.5
RESTART_DELAY_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 30.0


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def supervise(command: list[str]) -> int:
    parent = os.getppid()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        child = subprocess.Popen(command)
        while child.poll() is None:
            if stopping or os.getppid() != parent:
                stopping = True
                break
            time.sleep(POLL_SECONDS)
        if stopping:
            _stop(child)
            break
        print(
            f"ranking server exited ({child.returncode}); starting it again",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + RESTART_DELAY_SECONDS
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.matching.supervisor")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to keep running")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command to run is required (after --)")
    return supervise(command)


if __name__ == "__main__":
    raise SystemExit(main())
