"""Webhook endpoints: registration (persisted in the state file) and signed delivery.

Like Stripe, an endpoint is either a platform endpoint (events of the platform's own account)
or a Connect endpoint (``connect: true``: events that happen on connected accounts, which carry
``account``), each with its own signing secret; an event goes only to endpoints of its side.
Registration stays on localstripe's URL: ``POST /_config/webhooks/{id}`` with ``url``,
``secret``, optional ``events[]`` and ``connect``.

Delivery: about 1 s after the event (``STRIPE_EMULATOR_WEBHOOK_DELAY`` seconds; Stripe gives
no delivery time, so tests may shorten it), signed ``Stripe-Signature: t=<delivery time>,v1=<HMAC-
SHA256 of "<t>.<payload>" keyed with the endpoint's secret>`` (what
``stripe.Webhook.construct_event`` verifies). A non-2xx answer or a connection error is retried
with exponential backoff (``RETRY_DELAYS``: Stripe retries for up to three days; the emulator
compresses that into seconds so a test can watch it). ``GET /_config/webhooks/deliveries``
lists every attempt (memory only); ``GET /_config/webhooks/pending`` counts the events whose
first delivery attempt has not finished yet (a test server waits for it before it stops).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any

import aiohttp
from aiohttp import web
from localstripe import resources as ls_resources
from localstripe.resources import store
from localstripe.server import get_post_data
from localstripe.webhooks import _webhooks, register_webhook

from .errors import StripeApiError
from .responses import json_response

STORE_KEY = "emulator.webhooks"
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)
DELIVERY_DELAY = float(os.environ.get("STRIPE_EMULATOR_WEBHOOK_DELAY", "1.0"))
log = logging.getLogger("aiohttp.access")
_deliveries: list[dict[str, Any]] = []
# Events scheduled whose first delivery attempt (to every endpoint) has not finished.
_pending_first_attempts = 0


def _registrations() -> dict[str, dict[str, Any]]:
    return dict(store.get(STORE_KEY) or {})


def _register(hook_id: str, spec: dict[str, Any]) -> None:
    register_webhook(hook_id, spec["url"], spec["secret"], spec["events"])
    _webhooks[hook_id].connect = bool(spec.get("connect"))


def restore() -> None:
    for hook_id, spec in _registrations().items():
        _register(hook_id, spec)


def endpoints_for(event: Any) -> list[Any]:
    """The endpoints an event goes to: its side (platform or Connect), its type."""
    connect_event = getattr(event, "account", None) is not None
    return [
        hook
        for hook in _webhooks.values()
        if bool(getattr(hook, "connect", False)) == connect_event
        and (hook.events is None or event.type in hook.events)
    ]


def schedule(event: Any) -> None:
    """Deliver ``event`` (localstripe's and ours) to its endpoints, retrying failures."""
    global _pending_first_attempts
    _pending_first_attempts += 1
    asyncio.ensure_future(_send(event))


async def _send(event: Any) -> None:
    global _pending_first_attempts
    try:
        payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
        await asyncio.sleep(DELIVERY_DELAY)
        hooks = endpoints_for(event)
        answered = await asyncio.gather(*(_attempt(h, event, payload, 1) for h in hooks))
    finally:
        _pending_first_attempts -= 1
    for hook, ok in zip(hooks, answered, strict=True):
        if not ok:
            asyncio.ensure_future(_retry(hook, event, payload))


async def _retry(hook: Any, event: Any, payload: bytes) -> None:
    for attempt, delay in enumerate(RETRY_DELAYS, start=2):
        await asyncio.sleep(delay)
        if await _attempt(hook, event, payload, attempt):
            return


async def _attempt(hook: Any, event: Any, payload: bytes, attempt: int) -> bool:
    """One signed POST of ``payload`` to ``hook``; whether it was answered with a 2xx."""
    stamp = int(time.time())
    digest = hmac.new(
        hook.secret.encode("utf-8"), b"%d.%s" % (stamp, payload), hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={stamp},v1={digest}",
    }
    status: int | None = None
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(hook.url, data=payload, headers=headers) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, OSError) as exc:
        log.info('webhook "%s" to %s failed: %s', event.type, hook.url, exc)
    _deliveries.append(
        {
            "event": event.id,
            "type": event.type,
            "url": hook.url,
            "attempt": attempt,
            "status": status,
        }
    )
    return status is not None and 200 <= status < 300


def patch_delivery() -> None:
    """Route localstripe's own events (payment intents...) through ``schedule``."""
    ls_resources.schedule_webhook = schedule


async def config_webhook(request: web.Request) -> web.Response:
    hook_id = request.match_info["id"]
    data = await get_post_data(request) or {}
    url, secret, events = data.get("url"), data.get("secret"), data.get("events")
    if not url or not secret or not str(url).startswith("http"):
        raise StripeApiError(400, "url (http...) and secret are required")
    if events is not None and not isinstance(events, list):
        raise StripeApiError(400, "events must be a list", param="events")
    connect = str(data.get("connect", "")).lower() in ("true", "1")
    spec = {"url": url, "secret": secret, "events": events, "connect": connect}
    _register(hook_id, spec)
    registrations = _registrations()
    registrations[hook_id] = spec
    store[STORE_KEY] = registrations
    return web.Response()


async def config_delete_webhook(request: web.Request) -> web.Response:
    hook_id = request.match_info["id"]
    _webhooks.pop(hook_id, None)
    registrations = _registrations()
    registrations.pop(hook_id, None)
    store[STORE_KEY] = registrations
    return web.Response()


async def config_list_webhooks(request: web.Request) -> web.Response:
    return json_response(
        {
            hook_id: {
                "url": hook.url,
                "events": hook.events,
                "connect": bool(getattr(hook, "connect", False)),
            }
            for hook_id, hook in _webhooks.items()
        }
    )


async def config_list_deliveries(request: web.Request) -> web.Response:
    return json_response({"deliveries": list(_deliveries)})


async def config_pending_deliveries(request: web.Request) -> web.Response:
    return json_response({"pending": _pending_first_attempts})


async def config_flush_data(request: web.Request) -> web.Response:
    """localstripe's DELETE /_config/data, keeping webhook registrations (dev config)."""
    registrations = _registrations()
    store.clear()
    store[STORE_KEY] = registrations
    return web.Response()


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_config/webhooks/{id}", config_webhook)
    router.add_delete("/_config/webhooks/{id}", config_delete_webhook)
    router.add_get("/_config/webhooks/deliveries", config_list_deliveries)
    router.add_get("/_config/webhooks/pending", config_pending_deliveries)
    router.add_get("/_config/webhooks", config_list_webhooks)
    router.add_delete("/_config/data", config_flush_data)
