"""Idempotency-Key support for every POST /v1/... (localstripe's endpoints and ours).

Follows Stripe's documented rules:
- a key is scoped to the account (platform, or the Stripe-Account header);
- the first response is stored (status + body) and replayed for the same key, with
  ``Idempotent-Replayed: true`` and ``Original-Request`` headers, without executing again;
- the same key on another endpoint, or with other parameters, is a 400 idempotency_error;
- a request that arrives while the first one with its key is still executing gets a 409
  idempotency_error (the SDK retries 409s);
- results are saved only once the endpoint began executing: validation errors (4xx other
  than 402) and failures injected before execution by faults.py are not stored, so a retry
  runs again; any response produced after execution began is stored, a 500 included (fault
  mode ``server_error``), and replayed for the same key until the key expires;
- keys expire after 24 hours (of the emulator's clock, which tests can move: clock.py).

Records live in localstripe's store, so they are persisted in the state file and survive a
restart. Between the lookup and marking the key as in flight there is no ``await``, and
aiohttp runs every handler on one event loop thread, so two concurrent identical requests can
never both execute.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from localstripe.errors import UserError
from localstripe.resources import store

from . import clock, state
from .errors import InjectedFailureError, StripeApiError
from .params import body_params, stripe_account

KEY_PREFIX = "emulator.idempotency:"
TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255

# In memory only: a request in flight cannot survive a restart anyway.
_in_flight: set[str] = set()


def _fingerprint(params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Set by faults.py (mode server_error): the endpoint starts executing and fails with a 500.
FAIL_AFTER_START = "emulator.fail_after_start"


def _should_record(status: int) -> bool:
    return 200 <= status < 300 or status == 402 or status >= 500


def _server_error() -> web.Response:
    response: web.Response = StripeApiError(
        500,
        "An unknown error occurred while processing the request (injected by the Stripe "
        "emulator after execution began).",
        type="api_error",
    ).to_response()
    return response


def _expire_old(now: float) -> None:
    # Through the store's index by kind (not a scan of every object on every request); a
    # delete only marks the store changed, written once when the request is answered.
    for key in state.keys(KEY_PREFIX.rstrip(":")):
        if store[key]["created"] + TTL_SECONDS < now:
            del store[key]


def _replay(record: dict[str, Any], key: str) -> web.Response:
    response = web.Response(
        body=record["body"], status=record["status"], content_type=record["content_type"]
    )
    response.headers["Idempotency-Key"] = key
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Original-Request"] = record["request_id"]
    return response


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not request.path.startswith("/v1/") or not key:
        if request.get(FAIL_AFTER_START):
            return _server_error()
        return await handler(request)
    if len(key) > MAX_KEY_LENGTH:
        raise StripeApiError(
            400,
            f"Idempotency keys may be at most {MAX_KEY_LENGTH} characters long.",
            type="idempotency_error",
        )
    # The only await of this middleware before the handler: read the body first.
    fingerprint = _fingerprint(await body_params(request))
    store_key = f"{KEY_PREFIX}{stripe_account(request) or 'platform'}:{key}"

    # --- no await from here until the key is marked in flight ---
    now = clock.now()
    _expire_old(now)
    record = store.get(store_key)
    if record is not None:
        if record["method"] != request.method or record["path"] != request.path:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{record['method']} {record['path']}'). Try using a key "
                f"other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        if record["fingerprint"] != fingerprint:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        return _replay(record, key)
    if store_key in _in_flight:
        raise StripeApiError(
            409,
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            type="idempotency_error",
            code="idempotency_key_in_use",
        )
    _in_flight.add(store_key)
    # --- marked: a concurrent duplicate now gets the 409 above ---
    try:
        response: web.StreamResponse
        try:
            if request.get(FAIL_AFTER_START):
                response = _server_error()
            else:
                response = await handler(request)
        except InjectedFailureError:
            raise  # injected before execution: nothing to remember
        except UserError as exc:
            response = exc.to_response()
        if isinstance(response, web.Response) and _should_record(response.status):
            store[store_key] = {
                "method": request.method,
                "path": request.path,
                "fingerprint": fingerprint,
                "status": response.status,
                "body": response.body,
                "content_type": response.content_type,
                "request_id": request.get("request_id", ""),
                "created": now,
            }
        response.headers["Idempotency-Key"] = key
        return response
    finally:
        _in_flight.discard(store_key)
