"""Paying in tests without a browser, the way the browser does it.

``stripe_js_confirm`` sends the emulator exactly what Stripe.js's ``confirmCardPayment`` sends
Stripe: the publishable key, the PaymentIntent's client secret and the typed card. Our server
never sees the card; it learns the outcome from the return page (``pay_page``), the sync API or
the purchase's own confirmation service (the ``pay_*`` helpers), as in production.
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.payments.gateway import CardDeclined, GatewayError, PaymentGateway

# What a customer types into the card field (Stripe's documented test cards).
VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED = "4000000000009995"  # insufficient funds, declined when charged
DECLINED_AT_CHARGE = "4000000000000341"
ALWAYS_AUTHENTICATE = "4000002760003184"  # asks for 3-D Secure every time, off-session too


def _emulator(
    path: str, params: dict[str, str], *, method: str = "POST", api_base: str | None = None
) -> dict[str, Any]:
    base = (api_base or str(current_app.config["STRIPE_API_BASE"])).rstrip("/")
    data = urllib.parse.urlencode(params).encode()
    url = f"{base}{path}" + (f"?{data.decode()}" if method == "GET" else "")
    request = urllib.request.Request(url, data=None if method == "GET" else data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return {"status": response.status, **json.loads(response.read())}
    except urllib.error.HTTPError as error:
        return {"status": error.code, **json.loads(error.read() or b"{}")}


def stripe_js_confirm(
    client_secret: str,
    card: str = VISA,
    *,
    publishable_key: str | None = None,
    three_d_secure: bool | None = True,
    api_base: str | None = None,
    payment_method: str | None = None,
) -> dict[str, Any]:
    """confirmCardPayment (a PaymentIntent's secret) or confirmCardSetup (a SetupIntent's,
    ``seti_...``) as Stripe.js does it, with the typed ``card`` or a saved ``payment_method``;
    ``three_d_secure`` answers the challenge when one is asked for (True passes, False fails,
    None abandons it). Returns the intent, or ``{"status": 4xx, "error": ...}``."""
    key = publishable_key or current_app.config["STRIPE_PUBLISHABLE_KEY"]
    intent_id = client_secret.split("_secret_")[0]
    kind = "setup_intents" if intent_id.startswith("seti_") else "payment_intents"
    method_params = (
        {"payment_method": payment_method}
        if payment_method
        else {
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": card,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "34",
            "payment_method_data[card][cvc]": "123",
        }
    )
    params = {"key": key, "client_secret": client_secret, **method_params}
    body = _emulator(f"/v1/{kind}/{intent_id}/confirm", params, api_base=api_base)
    if body.get("status") == "requires_action" and three_d_secure is not None:
        body = _emulator(
            f"/v1/{kind}/{intent_id}/_authenticate",
            {"key": key, "client_secret": client_secret, "success": str(three_d_secure).lower()},
            api_base=api_base,
        )
    return body


def _paid(client_secret: str, card: str) -> None:
    body = stripe_js_confirm(client_secret, card)
    if "error" in body:
        if body.get("status") == 402:
            raise CardDeclined(str(body["error"].get("message")))
        raise GatewayError(str(body["error"].get("message")))


def pay_milestone(
    session: Session, gateway: PaymentGateway, milestone_id: int, business: User, card: str = VISA
) -> Any:
    """Fund a milestone: its PaymentIntent, the card confirmed, then the return page's booking.
    Raises CardDeclined when the card is declined (the milestone stays pending)."""
    from app.payments import funding

    intent = funding.fund(session, gateway, milestone_id, business=business)
    _paid(intent.client_secret or "", card)
    return funding.confirm_funding(session, gateway, intent.payment_intent_id)


def pay_licence(
    session: Session,
    gateway: PaymentGateway,
    asset_id: int,
    business: User,
    license_type: str = "standard",
    card: str = VISA,
) -> Any:
    from app.media import licensing

    licence, intent = licensing.start_purchase(
        session, gateway, asset_id, business=business, license_type=license_type
    )
    _paid(intent.client_secret or "", card)
    return licensing.confirm_purchase(session, gateway, intent.id)


def pay_contest(
    session: Session, gateway: PaymentGateway, contest_id: int, business: User, card: str = VISA
) -> Any:
    from app.contests import services

    intent = gateway.retrieve_payment_intent(services.fund(session, gateway, contest_id, business))
    _paid(intent.client_secret or "", card)
    return services.confirm_funding(session, gateway, contest_id, business)


_ATTRIBUTE = r'{name}="([^"]*)"'


def page_checkout(page_html: str) -> dict[str, str]:
    """The checkout data a purchase page hands to Stripe.js."""
    found = {}
    for name in ("data-client-secret", "data-publishable-key", "data-return-url"):
        match = re.search(_ATTRIBUTE.format(name=name), page_html)
        assert match, f"no {name} on the page"
        found[name] = html.unescape(match.group(1))
    # Stripe.js talks to the origin it was loaded from (the emulator, in tests).
    script = re.search(r'<script src="([^"]+)/js\.stripe\.com/v3/"', page_html)
    assert script, "no Stripe.js on the page"
    found["api_base"] = html.unescape(script.group(1))
    return found


def pay_page(
    client: FlaskClient,
    url: str,
    card: str = VISA,
    three_d_secure: bool | None = True,
    *,
    strict: bool = True,
) -> Any:
    """Open a purchase page, pay with ``card`` as Stripe.js would, then follow the browser to
    the return page; returns the return page's response (a 303 to where the buyer lands).
    ``strict=False`` (races): a page that is not a checkout is returned as it is."""
    page = client.get(url)
    if not strict and page.status_code != 200:
        return page
    assert page.status_code == 200, page.status_code
    data = page_checkout(page.get_data(as_text=True))
    stripe_js_confirm(
        data["data-client-secret"],
        card,
        publishable_key=data["data-publishable-key"],
        three_d_secure=three_d_secure,
        api_base=data["api_base"],
    )
    return client.get(data["data-return-url"])


def api_pay_milestone(
    client: FlaskClient, milestone_id: int, headers: dict[str, str], card: str = VISA
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An integrator paying a milestone: the API's PaymentIntent, Stripe.js's confirmation,
    then POST /payments/{id}/sync. Returns (the FundingIntent, the sync answer)."""
    started = client.post(f"/api/v1/milestones/{milestone_id}/fund", headers=headers)
    assert started.status_code == 200, started.get_json()
    intent = started.get_json()
    stripe_js_confirm(intent["client_secret"], card, publishable_key=intent["publishable_key"])
    synced = client.post(f"/api/v1/payments/{intent['payment_intent_id']}/sync", headers=headers)
    assert synced.status_code == 200, synced.get_json()
    return intent, synced.get_json()
