"""Stripe.js for the emulator: the script at /js.stripe.com/v3/ and the publishable-key calls it
makes, so purchase pages run unchanged against the emulator and against Stripe.

The script is localstripe's own fake Stripe.js (a card Element of plain inputs, a 3-D Secure
confirm/cancel dialog) with ``stripe_js_extension.js`` appended: ``confirmCardPayment`` confirms
the PaymentIntent with the card typed into the Element (localstripe's only authenticates), and
``retrievePaymentIntent`` exists. As with Stripe, a browser only ever sends card details to
Stripe (here: the emulator), authenticated by the publishable key plus the PaymentIntent's
client secret; the secret key is never in the page.

Stripe behaviour followed (docs.stripe.com/api/payment_intents/confirm, /testing):
- confirming needs the PaymentIntent's client secret; a wrong one is refused;
- only requires_payment_method, requires_confirmation and requires_action can be confirmed,
  anything else is ``payment_intent_unexpected_state`` (400);
- an invalid number, expiry or CVC is a ``card_error`` (402) before any charge is attempted;
- a declined charge is a ``card_error`` (402) carrying the PaymentIntent, which goes back to
  requires_payment_method so the customer can try another card.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import localstripe
from aiohttp import web
from aiohttp.typedefs import Handler
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod
from localstripe.server import get_post_data, unflatten_data

from . import setup_intents
from .client_secret import intent_for_client, intent_to_confirm
from .errors import StripeApiError, invalid_param, missing_param, unknown_params
from .responses import json_response

# Stripe.js also says which client it is when it confirms a PaymentIntent.
_CONFIRM_EXTRA = {"payment_user_agent", "expected_payment_method_type"}
_LOCALSTRIPE_JS = Path(localstripe.__file__).with_name("localstripe-v3.js")
_EXTENSION_JS = Path(__file__).with_name("stripe_js_extension.js")
# What Stripe.js may do to a SetupIntent with the publishable key: retrieve, confirm, and the
# emulator's 3-D Secure page; never cancel or update it.
_SETUP_BROWSER_PATH = re.compile(r"^/v1/setup_intents/seti_\w+(/confirm|/_authenticate)?$")


async def stripe_js(request: web.Request) -> web.Response:
    script = _LOCALSTRIPE_JS.read_text() + "\n" + _EXTENSION_JS.read_text()
    return web.Response(
        text=script, content_type="application/javascript", headers={"Cache-Control": "no-store"}
    )


def is_publishable_request(request: web.Request, data: dict[str, Any] | None = None) -> bool:
    """A browser call on a PaymentIntent made with a publishable key (no secret key sent)."""
    if request.headers.get("Authorization"):
        return False
    if not request.path.startswith("/v1/payment_intents/") and not _SETUP_BROWSER_PATH.match(
        request.path
    ):
        return False
    key = (data or {}).get("key") or request.query.get("key")
    return isinstance(key, str) and key.startswith("pk_")


def _intent_for_client(payment_intent_id: str, params: dict[str, Any]) -> PaymentIntent:
    return intent_for_client(PaymentIntent, payment_intent_id, params, kind="payment_intent")


def _card_error(message: str, code: str, *, param: str | None = None) -> StripeApiError:
    error = StripeApiError(402, message, type="card_error", code=code, param=param)
    return error


def _luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card(data: Any) -> dict[str, Any]:
    """The card of ``payment_method_data``, checked the way Stripe checks a typed card."""
    if not isinstance(data, dict) or data.get("type") != "card":
        raise invalid_param("payment_method_data[type]", "Only card payment methods are accepted.")
    card = data.get("card")
    if not isinstance(card, dict):
        raise missing_param("payment_method_data[card]")
    number = str(card.get("number") or "").replace(" ", "")
    if not (number.isdigit() and len(number) == 16 and _luhn(number)):
        raise _card_error("Your card number is incorrect.", "incorrect_number", param="number")
    try:
        month, year = int(card.get("exp_month") or 0), int(card.get("exp_year") or 0)
    except (TypeError, ValueError):
        month, year = 0, 0
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise _card_error(
            "Your card's expiration month is invalid.", "invalid_expiry_month", param="exp_month"
        )
    today = date.today()
    if (year, month) < (today.year, today.month) or year > today.year + 50:
        raise _card_error(
            "Your card's expiration year is invalid.", "invalid_expiry_year", param="exp_year"
        )
    cvc = str(card.get("cvc") or "")
    if not (cvc.isdigit() and len(cvc) == 3):
        raise _card_error("Your card's security code is invalid.", "invalid_cvc", param="cvc")
    return {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}


def _declined(intent: PaymentIntent, exc: UserError) -> StripeApiError:
    contents = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
    error = _card_error(
        str(contents.get("message") or "Your card was declined."),
        str(contents.get("code") or "card_declined"),
    )
    error.body["error"]["decline_code"] = "generic_decline"
    error.body["error"]["payment_intent"] = intent._export()
    return error


def confirm_with_publishable_key(payment_intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """What Stripe.js's confirmCardPayment asks of Stripe; returns the PaymentIntent."""
    intent = intent_to_confirm(
        PaymentIntent, payment_intent_id, params, kind="payment_intent", allowed=_CONFIRM_EXTRA
    )
    method_id = params.get("payment_method")
    if method_id is not None:
        if not isinstance(method_id, str) or not method_id.startswith("pm_"):
            raise invalid_param("payment_method", f"No such PaymentMethod: '{method_id}'")
        method = PaymentMethod._api_retrieve(method_id)
        setup_intents.check_method_owner(intent.customer, method.id)
    elif params.get("payment_method_data") is not None:
        method = PaymentMethod._api_create(type="card", card=_card(params["payment_method_data"]))
    elif intent.payment_method is None:
        raise missing_param("payment_method")
    else:
        method = PaymentMethod._api_retrieve(intent.payment_method)
    # A new attempt: forget the last declined charge or failed authentication.
    intent.payment_method = method.id
    intent.next_action = None
    intent._authentication_failed = False
    intent._auth_required = False  # an off-session authentication_required decline, now retried
    if intent.latest_charge is not None and intent.latest_charge.status == "failed":
        intent.latest_charge = None
    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except UserError as exc:
        if exc.code == 402:
            raise _declined(intent, exc) from exc
        raise
    exported: dict[str, Any] = intent._export()
    return exported


def retrieve_with_publishable_key(payment_intent_id: str, params: dict[str, Any]) -> Any:
    """Stripe.js's retrievePaymentIntent: the PaymentIntent, for the holder of its secret."""
    unknown_params(params, {"key", "client_secret", "_stripe_version"})
    return _intent_for_client(payment_intent_id, params)._export()


def add_routes(router: web.UrlDispatcher, delegate: dict[tuple[str, str], Handler]) -> None:
    """Our Stripe.js routes; ``delegate`` holds localstripe's secret-key handlers for the same
    URLs, which still answer calls made with the secret key."""

    def publishable(method: str, path: str, answer: Any) -> None:
        """``path`` answered by ``answer(id, params)`` for a publishable-key call (POST body
        or GET query), by localstripe's handler for a secret-key one."""

        async def handler(request: web.Request) -> web.StreamResponse:
            if method == "POST":
                data = await get_post_data(request, remove_auth=False) or {}
                if not is_publishable_request(request, data):
                    return await delegate[(method, path)](request)
                params = dict(data)
            else:
                if not is_publishable_request(request):
                    return await delegate[(method, path)](request)
                params = dict(unflatten_data(request.query) or {})
            return json_response(answer(request.match_info["id"], params))

        (router.add_post if method == "POST" else router.add_get)(path, handler)

    async def authenticate_setup(request: web.Request) -> web.StreamResponse:
        data = await get_post_data(request, remove_auth=False) or {}
        return json_response(setup_intents.authenticate_setup(request.match_info["id"], dict(data)))

    publishable(
        "POST", "/v1/setup_intents/{id}/confirm", setup_intents.confirm_setup_with_publishable_key
    )
    router.add_post("/v1/setup_intents/{id}/_authenticate", authenticate_setup)
    publishable("GET", "/v1/setup_intents/{id}", setup_intents.retrieve_setup_with_publishable_key)
    router.add_get("/js.stripe.com/v3/", stripe_js)
    publishable("POST", "/v1/payment_intents/{id}/confirm", confirm_with_publishable_key)
    publishable("GET", "/v1/payment_intents/{id}", retrieve_with_publishable_key)
