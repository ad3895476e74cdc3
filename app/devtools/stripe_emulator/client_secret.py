"""Loading an intent for a browser call made with the publishable key: Stripe.js proves it may
see a PaymentIntent or SetupIntent with the intent's client secret, and Stripe answers a missing
secret, an unknown id and a wrong secret the same way for both kinds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from localstripe.errors import UserError

from .errors import StripeApiError, invalid_param, missing_param, unknown_params

T = TypeVar("T")
# What Stripe.js sends when it confirms either kind of intent.
CONFIRM_PARAMS = {
    "key",
    "client_secret",
    "payment_method",
    "payment_method_data",
    "return_url",
    "use_stripe_sdk",
}
# The states in which Stripe lets either kind of intent be confirmed.
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def intent_for_client(resource: type[T], ident: str, params: dict[str, Any], *, kind: str) -> T:
    """The intent ``ident`` of ``resource`` (localstripe's PaymentIntent or SetupIntent) for the
    holder of its ``client_secret``; ``kind`` is Stripe's word for it ("payment_intent",
    "setup_intent"), used in the error messages and codes."""
    secret = params.get("client_secret")
    if not isinstance(secret, str) or not secret:
        raise missing_param("client_secret")
    # Stripe spells the missing object "setupintent" but "payment_intent".
    missing = "setupintent" if kind == "setup_intent" else kind
    try:
        intent: Any = resource._api_retrieve(ident)  # type: ignore[attr-defined]
    except UserError as exc:
        raise StripeApiError(404, f"No such {missing}: '{ident}'", code="resource_missing") from exc
    if secret != intent.client_secret:
        raise invalid_param(
            "client_secret",
            "The client_secret provided does not match the client_secret associated with the "
            f"{resource.__name__}.",
            f"{kind}_invalid_parameter",
        )
    found: T = intent
    return found


def intent_to_confirm(
    resource: type[T], ident: str, params: dict[str, Any], *, kind: str, allowed: Iterable[str]
) -> T:
    """The intent a publishable-key confirm call names (CONFIRM_PARAMS and ``allowed``), if it
    may be confirmed now; 400 ``<kind>_unexpected_state`` otherwise."""
    unknown_params(params, {*CONFIRM_PARAMS, *allowed})
    intent: Any = intent_for_client(resource, ident, params, kind=kind)
    if intent.status not in CONFIRMABLE:
        raise StripeApiError(
            400,
            f"You cannot confirm this {resource.__name__} because it has a status of "
            f"{intent.status}.",
            code=f"{kind}_unexpected_state",
        )
    found: T = intent
    return found
