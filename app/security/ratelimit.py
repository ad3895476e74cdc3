"""Rate limits with ``limits`` (the engine under flask-limiter): in process memory by default,
shared by every worker and host when RATELIMIT_STORAGE_URI points at Redis
(``redis://host:6379/0``).

Each rule is a name, a limit string (``"5/hour"``) and a key (client address, email, token):
``hit(rule, key)`` counts one request and raises RateLimited (429, Retry-After) past the
limit. Login *failures* are throttled separately from the database (growing delays per
account, app.accounts.services), so they are shared across processes with no Redis.

Client addresses are ``request.remote_addr``: right behind reverse proxies only when
PROXY_COUNT says how many there are (app.security applies werkzeug's ProxyFix).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.errors import DomainError

# Overridable one by one with RATELIMITS={"reset.email": "5/hour"} (tests, busy sites).
DEFAULT_RULES: dict[str, str] = {
    "login.client": "30/5 minutes",  # login attempts from one client address, any accounts
    "signup.client": "10/hour",  # sign-ups and confirmation re-sends from one client address
    "signup.email": "5/hour",  # confirmation or notice mails to one address
    "reset.email": "3/hour",  # reset mails to one address: no mail-bombing a victim
    "reset.client": "10/hour",
    "api.token": "600/minute",  # per API token (per client address without one)
    "api.client": "120/minute",
}
_EXTENSION = "rate_limits"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class RateLimits:
    def __init__(self, storage: Storage, rules: dict[str, str], enabled: bool) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self.rules: dict[str, RateLimitItem] = {name: parse(text) for name, text in rules.items()}
        self.enabled = enabled

    def hit(self, rule: str, key: str) -> None:
        if not self.enabled:
            return
        item = self.rules[rule]
        if self.strategy.hit(item, rule, key):
            return
        reset_at = self.strategy.get_window_stats(item, rule, key).reset_time
        wait = max(1, int(reset_at - time.time()) + 1)
        raise RateLimited(
            f"Too many requests. Try again in {wait} seconds.", retry_after=wait, rule=rule
        )

    def reset(self) -> None:
        self.storage.reset()


def init_rate_limits(app: Flask) -> None:
    rules = {**DEFAULT_RULES, **(app.config.get("RATELIMITS") or {})}
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    storage = storage_from_string(uri)
    if not isinstance(storage, Storage):
        raise ValueError(f"RATELIMIT_STORAGE_URI {uri!r} names an asyncio storage.")
    app.extensions[_EXTENSION] = RateLimits(
        storage, rules, bool(app.config.get("RATELIMIT_ENABLED", True))
    )


def limits_of(app: Flask) -> RateLimits:
    limits: RateLimits = app.extensions[_EXTENSION]
    return limits


def hit(rule: str, key: str | None = None) -> None:
    """Count one request under ``rule`` for ``key`` (default: the client address); raises
    RateLimited past the limit. A request counts once per rule, however often it asks."""
    key = key if key is not None else client_address()
    done: set[tuple[str, str]] = g.setdefault("_rate_limit_hits", set())
    if (rule, key) in done:
        return
    done.add((rule, key))
    limits_of(current_app).hit(rule, key)


def client_address() -> str:
    return request.remote_addr or "unknown"


def digest(secret: Any) -> str:
    """A stable key for a secret (an API token) that never stores the secret itself."""
    return hashlib.sha256(str(secret).encode()).hexdigest()[:32]
