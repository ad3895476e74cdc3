"""Loading an intent for a browser call made with the publishable key: Stripe.js proves it may
see a PaymentIntent or SetupIntent with the intent's client secret, and Stripe answers a missing
secret, an unknown id and a wrong secret the same way for both kinds."""

from __future__ import annotations

from typing import Any, TypeVar

from localstripe.errors import UserError

from .errors import StripeApiError, invalid_param, missing_param

T = TypeVar("T")


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
        label = "SetupIntent" if kind == "setup_intent" else "PaymentIntent"
        raise invalid_param(
            "client_secret",
            "The client_secret provided does not match the client_secret associated with the "
            f"{label}.",
            f"{kind}_invalid_parameter",
        )
    found: T = intent
    return found
