"""Failures forced on demand, so the app's retry paths can be tested.

``POST /_config/fail_next_transfers`` (or the general ``/_config/fail_next_requests``) arms
rules held in memory only (a restart disarms them). Modes:

- ``api_error``: 500 api_error, raised before idempotency and before the endpoint runs, so
  nothing is created or recorded and a retry with the same Idempotency-Key executes for real.
- ``rate_limit``: same, as a 429 rate_limit error.
- ``connection_lost``: the request executes and its idempotency record is stored, then the
  connection is dropped without an answer (the "did it go through?" case). A retry with the
  same key replays the stored response instead of paying twice.
- ``server_error``: the request begins executing and fails with a 500 api_error; nothing is
  created, but the 500 is stored under the Idempotency-Key like Stripe does, so every retry
  with the same key within 24 hours gets the same 500 back.
- ``invalid_request``: 400 invalid_request_error, nothing executed: Stripe refusing for good
  (e.g. the destination account can no longer receive transfers), which no retry fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .errors import InjectedFailureError, StripeApiError
from .idempotency import FAIL_AFTER_START
from .params import as_int, as_str, body_params
from .responses import json_response

MODES = ("api_error", "rate_limit", "connection_lost", "invalid_request", "server_error")


@dataclass
class FailureRule:
    path: str
    mode: str
    remaining: int
    match: dict[str, str] = field(default_factory=dict)

    def matches(self, request: web.Request, params: dict[str, Any]) -> bool:
        if request.method != "POST" or request.path != self.path or self.remaining <= 0:
            return False
        return all(str(params.get(k)) == v for k, v in self.match.items())

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mode": self.mode,
            "remaining": self.remaining,
            "match": self.match,
        }


_rules: list[FailureRule] = []


def _take(request: web.Request, params: dict[str, Any]) -> FailureRule | None:
    for rule in _rules:
        if rule.matches(request, params):
            rule.remaining -= 1
            if rule.remaining <= 0:
                _rules.remove(rule)
            return rule
    return None


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method != "POST" or not request.path.startswith("/v1/") or not _rules:
        return await handler(request)
    rule = _take(request, await body_params(request))
    if rule is None:
        return await handler(request)
    if rule.mode == "api_error":
        raise InjectedFailureError(
            500,
            "An unknown error occurred (injected by the Stripe emulator; nothing was executed).",
            type="api_error",
            # Tell the SDK's own retry logic this is retryable, as Stripe does for such errors.
            headers={"Stripe-Should-Retry": "true"},
        )
    if rule.mode == "rate_limit":
        raise InjectedFailureError(
            429,
            "Too many requests hit the API too quickly (injected by the Stripe emulator).",
            code="rate_limit",
        )
    if rule.mode == "invalid_request":
        raise InjectedFailureError(
            400,
            "The destination account cannot receive transfers (injected by the Stripe emulator).",
            code="account_invalid",
        )
    if rule.mode == "server_error":
        request[FAIL_AFTER_START] = True
        return await handler(request)
    response = await handler(request)
    # connection_lost: the work is done and recorded; the client never hears about it.
    if request.transport is not None:
        request.transport.abort()
    return response


def _parse_rule(params: dict[str, Any], path: str | None) -> FailureRule:
    path = path or as_str(params, "path")
    if not path or not path.startswith("/v1/"):
        raise StripeApiError(400, "path must be an API path such as /v1/transfers", param="path")
    mode = as_str(params, "mode") or "api_error"
    if mode not in MODES:
        raise StripeApiError(400, f"mode must be one of {', '.join(MODES)}", param="mode")
    count = as_int(params, "count", positive=True) or 1
    match = params.get("match") or {}
    if not isinstance(match, dict):
        raise StripeApiError(400, "match must be a hash of parameter values", param="match")
    return FailureRule(path, mode, count, {k: str(v) for k, v in match.items()})


async def config_fail_next_transfers(request: web.Request) -> web.Response:
    """{count=1, destination=None, mode="api_error"}: fail the next POST /v1/transfers."""
    params = await body_params(request)
    rule = _parse_rule(params, "/v1/transfers")
    destination = as_str(params, "destination")
    if destination:
        rule.match["destination"] = destination
    _rules.append(rule)
    return json_response(rule.describe())


async def config_fail_next_requests(request: web.Request) -> web.Response:
    """{path, count=1, mode="api_error", match[param]=value}: fail the next POSTs to path."""
    rule = _parse_rule(await body_params(request), None)
    _rules.append(rule)
    return json_response(rule.describe())


async def config_list_failures(request: web.Request) -> web.Response:
    return json_response({"rules": [rule.describe() for rule in _rules]})


async def config_clear_failures(request: web.Request) -> web.Response:
    _rules.clear()
    return json_response({"rules": []})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_config/fail_next_transfers", config_fail_next_transfers)
    router.add_post("/_config/fail_next_requests", config_fail_next_requests)
    router.add_get("/_config/failures", config_list_failures)
    router.add_delete("/_config/failures", config_clear_failures)
