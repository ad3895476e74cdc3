"""Webhook endpoint registration, persisted in the state file.

localstripe keeps its registrations in memory only; we persist them next to the rest of the
state so that restarting the emulator during ``make run`` keeps delivering events to the app.
Registration stays on localstripe's URL: ``POST /_config/webhooks/{id}`` with ``url``,
``secret`` and optional ``events[]``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe.resources import store
from localstripe.server import get_post_data
from localstripe.webhooks import _webhooks, register_webhook

from .errors import StripeApiError
from .responses import json_response

STORE_KEY = "emulator.webhooks"


def _registrations() -> dict[str, dict[str, Any]]:
    return dict(store.get(STORE_KEY) or {})


def restore() -> None:
    for hook_id, spec in _registrations().items():
        register_webhook(hook_id, spec["url"], spec["secret"], spec["events"])


async def config_webhook(request: web.Request) -> web.Response:
    hook_id = request.match_info["id"]
    data = await get_post_data(request) or {}
    url, secret, events = data.get("url"), data.get("secret"), data.get("events")
    if not url or not secret or not str(url).startswith("http"):
        raise StripeApiError(400, "url (http...) and secret are required")
    if events is not None and not isinstance(events, list):
        raise StripeApiError(400, "events must be a list", param="events")
    register_webhook(hook_id, url, secret, events)
    registrations = _registrations()
    registrations[hook_id] = {"url": url, "secret": secret, "events": events}
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
        {hook_id: {"url": hook.url, "events": hook.events} for hook_id, hook in _webhooks.items()}
    )


async def config_flush_data(request: web.Request) -> web.Response:
    """localstripe's DELETE /_config/data, keeping webhook registrations (dev config)."""
    registrations = _registrations()
    store.clear()
    store[STORE_KEY] = registrations
    return web.Response()


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_config/webhooks/{id}", config_webhook)
    router.add_delete("/_config/webhooks/{id}", config_delete_webhook)
    router.add_get("/_config/webhooks", config_list_webhooks)
    router.add_delete("/_config/data", config_flush_data)
