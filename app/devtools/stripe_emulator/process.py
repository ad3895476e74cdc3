"""Run the emulator as a subprocess (tests, ``make run``) and drive its /_config endpoints.

Standard library only, so importing this module pulls in neither aiohttp nor localstripe.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]


class EmulatorError(RuntimeError):
    """The emulator did not start, or a /_config call failed."""


def _call(api_base: str, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        api_base + path,
        data=body,
        method=method,
        headers={"Content-Type": "application/json"} if body is not None else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise EmulatorError(f"{method} {path}: {exc.code} {exc.read().decode()}") from exc
    return json.loads(raw) if raw.strip() else None


def _post(api_base: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """POST to one of the emulator's /_config endpoints; its JSON answer."""
    result: dict[str, Any] = _call(api_base, "POST", path, data)
    return result


def register_webhook(
    api_base: str,
    url: str,
    secret: str,
    events: list[str] | None = None,
    webhook_id: str = "default",
    connect: bool = False,
) -> None:
    """Deliver (signed with ``secret``) every event, or only ``events``, to ``url``: the
    platform's own events, or with ``connect`` the connected accounts' events."""
    data: dict[str, Any] = {"url": url, "secret": secret, "connect": connect}
    if events is not None:
        data["events"] = events
    _call(api_base, "POST", f"/_config/webhooks/{urllib.parse.quote(webhook_id)}", data)


def unregister_webhook(api_base: str, webhook_id: str = "default") -> None:
    _call(api_base, "DELETE", f"/_config/webhooks/{urllib.parse.quote(webhook_id)}")


def complete_onboarding(api_base: str, account_id: str) -> dict[str, Any]:
    """Mark a connected account fully onboarded (emits account.updated); returns the account."""
    result: dict[str, Any] = _call(
        api_base,
        "POST",
        f"/_config/accounts/{urllib.parse.quote(account_id)}/complete_onboarding",
        {},
    )
    return result


def wait_for_webhooks(api_base: str, timeout: float = 10.0) -> None:
    """Return once every event made so far has had its first delivery attempt (retries of a
    failed one may follow), or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while _call(api_base, "GET", "/_config/webhooks/pending")["pending"]:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def fail_next_transfers(
    api_base: str, count: int = 1, destination: str | None = None, mode: str = "api_error"
) -> None:
    """Make the next ``count`` POST /v1/transfers (to ``destination`` if given) fail.

    mode: "api_error" (500, nothing executed), "rate_limit" (429, nothing executed) or
    "connection_lost" (executed and recorded, then the connection is dropped).
    """
    data: dict[str, Any] = {"count": count, "mode": mode}
    if destination:
        data["destination"] = destination
    _call(api_base, "POST", "/_config/fail_next_transfers", data)


def set_requirements(api_base: str, account_id: str, **due: Any) -> dict[str, Any]:
    """Make Stripe ask for more on a connected account (currently_due, past_due,
    eventually_due lists, disabled_reason); sends account.updated; returns the account."""
    return _post(api_base, f"/_config/accounts/{urllib.parse.quote(account_id)}/requirements", due)


def open_dispute(api_base: str, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
    """Open a chargeback on a charge now (funds withdrawn, events sent); returns the dispute."""
    return _post(
        api_base, f"/_config/charges/{urllib.parse.quote(charge_id)}/dispute", {"reason": reason}
    )


def close_dispute(api_base: str, dispute_id: str, outcome: str) -> dict[str, Any]:
    """Close a dispute as ``won`` or ``lost`` (the bank's decision); returns the dispute."""
    path = f"/_config/disputes/{urllib.parse.quote(dispute_id)}/close"
    return _post(api_base, path, {"outcome": outcome})


def advance_clock(api_base: str, seconds: int) -> None:
    """Move the emulator's clock forward (idempotency keys expire after 24 h of it)."""
    _call(api_base, "POST", "/_config/clock", {"seconds": seconds})


class EmulatorProcess:
    """A running emulator subprocess; a context manager that stops it on exit."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        host: str,
        port: int,
        state_file: Path,
        log_file: Path,
    ) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.state_file = state_file
        self.log_file = log_file
        self.api_base = f"http://{host}:{port}"

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the server saves its state and exits), SIGKILL if it hangs."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def register_webhook(
        self,
        url: str,
        secret: str,
        events: list[str] | None = None,
        webhook_id: str = "default",
        connect: bool = False,
    ) -> None:
        register_webhook(self.api_base, url, secret, events, webhook_id, connect)

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return complete_onboarding(self.api_base, account_id)

    def fail_next_transfers(
        self, count: int = 1, destination: str | None = None, mode: str = "api_error"
    ) -> None:
        fail_next_transfers(self.api_base, count, destination, mode)

    def set_requirements(self, account_id: str, **due: Any) -> dict[str, Any]:
        return set_requirements(self.api_base, account_id, **due)

    def open_dispute(self, charge_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        return open_dispute(self.api_base, charge_id, reason)

    def close_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        return close_dispute(self.api_base, dispute_id, outcome)

    def advance_clock(self, seconds: int) -> None:
        advance_clock(self.api_base, seconds)

    def read_log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    ready_file: Path,
    host: str,
    log_file: Path,
    timeout: float,
) -> int:
    deadline = time.monotonic() + timeout
    port: int | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(
                f"emulator exited with {process.returncode}:\n"
                + log_file.read_text(errors="replace")[-4000:]
            )
        if port is None and ready_file.exists():
            port = int(json.loads(ready_file.read_text())["port"])
        if port is not None:
            try:
                # Any HTTP answer proves it serves; /_config/webhooks needs no API key.
                with urllib.request.urlopen(
                    f"http://{host}:{port}/_config/webhooks", timeout=2
                ) as response:
                    response.read()
                return port
            except (urllib.error.URLError, ConnectionError):
                pass
        time.sleep(0.05)
    process.kill()
    raise EmulatorError(f"emulator not ready after {timeout}s; log: {log_file}")


def emulator_command(host: str, port: int, state_file: Path | str, *extra: str) -> list[str]:
    """The command line of ``python -m app.devtools.stripe_emulator`` (port 0: any free one)."""
    return [
        sys.executable,
        "-m",
        "app.devtools.stripe_emulator",
        *("--host", host, "--port", str(port), "--state-file", str(state_file)),
        *extra,
    ]


def run_in_subprocess(
    state_file: str | os.PathLike[str],
    port: int | None = None,
    *,
    host: str = "127.0.0.1",
    log_file: str | os.PathLike[str] | None = None,
    extra_args: list[str] | None = None,
    startup_timeout: float = 20.0,
) -> EmulatorProcess:
    """Start ``python -m app.devtools.stripe_emulator`` and wait until it answers HTTP.

    ``port=None`` lets the server bind a free port itself (no race with other processes); the
    port is read back from a ready file. Output goes to ``log_file`` (default: the state file
    path + ".log") so a chatty server can never block on a full pipe.
    """
    state_path = Path(state_file).resolve()
    state_path.parent.mkdir(parents=True, exist_ok=True)
    log_path = Path(log_file) if log_file else state_path.with_name(state_path.name + ".log")
    ready_dir = Path(tempfile.mkdtemp(prefix="stripe-emulator-"))
    ready_file = ready_dir / "ready.json"
    command = emulator_command(
        host,
        port if port is not None else 0,
        state_path,
        "--ready-file",
        str(ready_file),
        *(extra_args or []),
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        bound = _wait_until_ready(process, ready_file, host, log_path, startup_timeout)
    finally:
        for leftover in ready_dir.iterdir():
            leftover.unlink()
        ready_dir.rmdir()
    return EmulatorProcess(process, host, bound, state_path, log_path)


__all__ = [
    "EmulatorError",
    "EmulatorProcess",
    "advance_clock",
    "close_dispute",
    "complete_onboarding",
    "emulator_command",
    "fail_next_transfers",
    "open_dispute",
    "register_webhook",
    "run_in_subprocess",
    "set_requirements",
    "unregister_webhook",
    "wait_for_webhooks",
]
