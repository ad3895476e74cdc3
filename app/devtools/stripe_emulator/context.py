"""Per-request facts (request id, idempotency key) that events and responses refer to."""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    id: str
    idempotency_key: str | None
    stripe_version: str | None


current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(7)
