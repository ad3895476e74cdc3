"""GET /v1/balance for the platform and, with the Stripe-Account header, a connected account.

Replaces localstripe's fixed 2000 EUR balance. Platform: captured charges - refunds -
transfers + reversals. Connected account: transfers received - reversals. Everything is
"available" at once: localstripe has no settlement delay, so neither do we.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .accounts import require_account_header
from .responses import json_response
from .transfers import connected_available, platform_available

PLATFORM_DEFAULT_CURRENCY = "eur"


def balance_object(available: dict[str, int], default_currency: str) -> dict[str, Any]:
    currencies = sorted(available) or [default_currency]
    return {
        "object": "balance",
        "livemode": False,
        "available": [
            {
                "amount": available.get(c, 0),
                "currency": c,
                "source_types": {"card": available.get(c, 0)},
            }
            for c in currencies
        ],
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
    }


async def retrieve_balance(request: web.Request) -> web.Response:
    account = require_account_header(request)
    if account is not None:
        return json_response(
            balance_object(connected_available(account.id), account.default_currency)
        )
    return json_response(balance_object(platform_available(), PLATFORM_DEFAULT_CURRENCY))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/v1/balance", retrieve_balance)
