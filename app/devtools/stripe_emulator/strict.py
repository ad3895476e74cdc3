"""Where Stripe refuses and localstripe does not: currencies, minimum amounts, refunds.

Checked against Stripe's documentation (docs.stripe.com/currencies, "Minimum and maximum charge
amounts"; the refund and dispute API references):

- a charge (PaymentIntent or Charge) in a currency Stripe does not support is a 400
  ``parameter_invalid`` on ``currency``;
- an amount below the currency's minimum charge amount is a 400 ``amount_too_small``
  ("Amount must be at least €0.50 eur"). Stripe's table, for the currencies we know:
  ``MINIMUM_CHARGE_MINOR`` below (major units: USD 0.50, EUR 0.50, GBP 0.30, ...);
- a refund larger than what is left of the charge is a 400 ``amount_too_large``; a refund of a
  fully refunded charge is ``charge_already_refunded``;
- a refund of a charge with an open (or lost) chargeback is a 400 ``charge_disputed``: the money
  is already being returned through the dispute.
"""

from __future__ import annotations

from typing import Any

from localstripe.resources import Charge, PaymentIntent, Refund, try_convert_to_int

from .errors import StripeApiError, invalid_param

# Stripe's minimum charge amounts in minor units (docs.stripe.com/currencies#minimum-and-
# maximum-charge-amounts). Zero-decimal currencies (JPY) are in whole units.
MINIMUM_CHARGE_MINOR: dict[str, int] = {
    "usd": 50,
    "eur": 50,
    "gbp": 30,
    "chf": 50,
    "cad": 50,
    "aud": 50,
    "nzd": 50,
    "sek": 300,
    "nok": 300,
    "dkk": 250,
    "pln": 200,
    "czk": 1500,
    "huf": 17500,
    "jpy": 50,
    "hkd": 400,
    "sgd": 50,
    "mxn": 1000,
}
SUPPORTED_CURRENCIES = frozenset(MINIMUM_CHARGE_MINOR)
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
_ZERO_DECIMAL = frozenset({"jpy"})


def _display(amount: int, currency: str) -> str:
    if currency in _ZERO_DECIMAL:
        return f"{amount} {currency}"
    return f"{_SYMBOLS.get(currency, '')}{amount // 100}.{amount % 100:02d} {currency}"


def check_charge(amount: Any, currency: Any) -> None:
    """Refuse an unknown currency or an amount under Stripe's minimum (before anything exists)."""
    if not isinstance(currency, str) or currency.lower() not in SUPPORTED_CURRENCIES:
        raise invalid_param("currency", f"Invalid currency: {currency}.")
    if currency != currency.lower():
        raise invalid_param(
            "currency",
            "Invalid currency: currency codes must be in lower case, e.g. 'usd'.",
        )
    value = try_convert_to_int(amount)
    if not isinstance(value, int):
        return  # localstripe answers the type error itself
    minimum = MINIMUM_CHARGE_MINOR[currency]
    if 0 < value < minimum:
        raise StripeApiError(
            400,
            f"Amount must be at least {_display(minimum, currency)}",
            code="amount_too_small",
            param="amount",
        )


def _charge_of(charge: Any, payment_intent: Any) -> Charge | None:
    try:
        if isinstance(charge, str):
            return Charge._api_retrieve(charge)
        if isinstance(payment_intent, str):
            intent = PaymentIntent._api_retrieve(payment_intent)
            return intent.latest_charge
    except Exception:  # noqa: BLE001 - localstripe answers the 404 itself below
        return None
    return None


def check_refund(charge: Any, payment_intent: Any, amount: Any) -> None:
    found = _charge_of(charge, payment_intent)
    if found is None:
        return
    # Imported here: disputes imports this module's check for its own endpoints.
    from .disputes import blocks_refund

    reason = blocks_refund(found.id)
    if reason:
        raise StripeApiError(400, reason, code="charge_disputed", param="charge")
    left = int(found.amount) - int(found.amount_refunded)
    if left <= 0:
        raise StripeApiError(
            400,
            f"Charge {found.id} has already been refunded.",
            code="charge_already_refunded",
        )
    value = try_convert_to_int(amount)
    if isinstance(value, int) and value > left:
        raise StripeApiError(
            400,
            f"Refund amount ({_display(value, found.currency)}) is greater than unrefunded "
            f"amount on charge ({_display(left, found.currency)})",
            code="amount_too_large",
            param="amount",
        )


def patch_strictness() -> None:
    if getattr(Refund, "_emulator_strict", False):
        return
    original_refund_create = Refund._api_create.__func__
    original_charge_create = Charge._api_create.__func__

    def refund_create(cls: type[Refund], **data: Any) -> Refund:
        check_refund(data.get("charge"), data.get("payment_intent"), data.get("amount"))
        return original_refund_create(cls, **data)

    def charge_create(cls: type[Charge], **data: Any) -> Charge:
        check_charge(data.get("amount"), data.get("currency"))
        return original_charge_create(cls, **data)

    Refund._api_create = classmethod(refund_create)
    Charge._api_create = classmethod(charge_create)
    Refund._emulator_strict = True
