"""The emulator's aiohttp application: our routes first, then all of localstripe's.

localstripe builds its application at import time with its routes already bound, and aiohttp
picks the first matching route, so overriding (GET /v1/balance, the webhook config) is done by
building a fresh Application, adding our routes first, then copying localstripe's routes
except those we replace.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from localstripe import server as ls_server
from localstripe.server import get_post_data

from . import (
    accounts,
    balance,
    clock,
    disputes,
    faults,
    settlement,
    state,
    stripejs,
    transfers,
    webhooks,
)
from .context import RequestInfo, current_request, new_request_id
from .events import patch_localstripe_events
from .idempotency import idempotency_middleware
from .patches import patch_list_order, patch_payment_intents
from .setup_intents import patch_setup_intents
from .strict import patch_strictness

_PUBLIC_PREFIXES = ("/_onboarding/", "/_express/")


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request a Stripe-like Request-Id, visible to events and the response."""
    request_id = new_request_id()
    request["request_id"] = request_id
    current_request.set(
        RequestInfo(
            id=request_id,
            idempotency_key=request.headers.get("Idempotency-Key"),
            stripe_version=request.headers.get("Stripe-Version"),
        )
    )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["Request-Id"] = request_id
        raise
    response.headers.setdefault("Request-Id", request_id)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """localstripe's API-key check, except on the onboarding pages a browser opens and the
    PaymentIntent calls Stripe.js makes with a publishable key (checked by their handlers
    against the client secret)."""
    if request.path.startswith(_PUBLIC_PREFIXES):
        return await handler(request)
    data = await get_post_data(request, remove_auth=False) if request.method == "POST" else None
    if stripejs.is_publishable_request(request, data):
        return await handler(request)
    response: web.StreamResponse = await ls_server.auth_middleware(request, handler)
    return response


def build_app() -> web.Application:
    patch_localstripe_events()
    webhooks.patch_delivery()
    patch_payment_intents()
    patch_list_order()
    patch_setup_intents()
    patch_strictness()
    settlement.patch_settlement()
    app = web.Application(
        middlewares=[
            state.persist_middleware,
            request_context_middleware,
            ls_server.error_middleware,
            auth_middleware,
            faults.fault_middleware,
            idempotency_middleware,
        ]
    )
    app.on_response_prepare.append(ls_server.add_cors_headers)
    for module in (accounts, transfers, balance, clock, disputes, faults, settlement, webhooks):
        module.add_routes(app.router)
    localstripe_routes = {
        (route.method, route.resource.canonical): _as_async(route.handler)
        for route in ls_server.app.router.routes()
        if route.resource is not None
    }
    stripejs.add_routes(app.router, localstripe_routes)
    ours = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }
    for route in ls_server.app.router.routes():
        if route.resource is None:
            continue
        signature = (route.method, route.resource.canonical)
        if signature in ours:
            continue
        app.router.add_route(route.method, route.resource.canonical, _as_async(route.handler))
    return app


def _as_async(handler: Any) -> Any:
    """localstripe registers some plain functions, which aiohttp deprecates; wrap them."""
    if asyncio.iscoroutinefunction(handler):
        return handler

    async def wrapper(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = handler(request)
        return response

    return wrapper
