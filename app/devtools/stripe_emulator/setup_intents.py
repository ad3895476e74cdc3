"""SetupIntents through Stripe.js and off-session PaymentIntents, as Stripe behaves.

Saving a card for later (docs.stripe.com/payments/save-and-reuse, /testing#regulatory-cards):
- Stripe.js's ``confirmCardSetup`` confirms a SetupIntent with the publishable key and its
  client secret; a card that needs 3-D Secure goes to ``requires_action`` and, once
  authenticated, ``succeeded``; a failed authentication or a declined card leaves it in
  ``requires_payment_method`` with ``last_setup_error`` (localstripe cancelled it instead).
- A succeeded SetupIntent with a customer attaches its PaymentMethod to that customer
  (localstripe did not), set up for ``usage`` (off_session by default).
- Events, as Stripe sends them (docs.stripe.com/api/events/types): ``setup_intent.succeeded``
  when the card is saved (also after 3-D Secure, whether or not the browser ever returns to
  the site), ``setup_intent.setup_failed`` when an attempt fails (declined card, failed
  authentication); the SetupIntent is the event's ``data.object`` (localstripe sent none).

Charging it later with ``off_session=true, confirm=true``:
- the PaymentMethod must be attached to the PaymentIntent's customer (Stripe refuses a
  PaymentMethod of another customer, or one never attached: it cannot be reused);
- nobody is there to authenticate, so a card whose bank asks for authentication is declined
  with ``authentication_required`` (402 card_error carrying the PaymentIntent, which is left in
  ``requires_payment_method`` with its PaymentMethod, to be confirmed on-session later).
  4000002500003155 needs it only when it was not set up for off-session use;
  4000002760003184 (and the other always-3DS test cards) need it every time;
- a declined card (e.g. 4000000000000341) is a 402 ``card_declined`` carrying the PaymentIntent.
"""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError
from localstripe.resources import Customer, PaymentIntent, PaymentMethod, SetupIntent

from . import events
from .client_secret import intent_for_client, intent_to_confirm
from .errors import StripeApiError, invalid_param, missing_param, unknown_params

# Authenticates once when set up; after that Stripe lets off-session payments through.
SET_UP_ONCE = "4000002500003155"


def _card_error(message: str, code: str, **extra: Any) -> StripeApiError:
    error = StripeApiError(402, message, type="card_error", code=code)
    error.body["error"].update(extra)
    return error


# --- SetupIntents ---------------------------------------------------------------------------


def _setup_for_client(setup_intent_id: str, params: dict[str, Any]) -> SetupIntent:
    return intent_for_client(SetupIntent, setup_intent_id, params, kind="setup_intent")


def _succeed(intent: SetupIntent) -> None:
    intent.status, intent.next_action, intent.last_setup_error = "succeeded", None, None
    method = PaymentMethod._api_retrieve(intent.payment_method)
    if intent.customer:
        method.customer = intent.customer
    method._set_up_for = intent.usage
    events.emit("setup_intent.succeeded", intent._export())


def _fail(intent: SetupIntent, error: dict[str, Any]) -> None:
    intent.status, intent.next_action, intent.last_setup_error = (
        "requires_payment_method",
        None,
        error,
    )
    events.emit("setup_intent.setup_failed", intent._export())


def confirm_setup_with_publishable_key(setup_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """What Stripe.js's confirmCardSetup asks of Stripe; returns the SetupIntent."""
    from .stripejs import _card  # the typed card is checked once, for both intents

    intent = intent_to_confirm(
        SetupIntent, setup_id, params, kind="setup_intent", allowed={"_stripe_version"}
    )
    if params.get("payment_method_data") is not None:
        method = PaymentMethod._api_create(type="card", card=_card(params["payment_method_data"]))
    elif isinstance(params.get("payment_method"), str):
        method = PaymentMethod._api_retrieve(params["payment_method"])
    else:
        raise missing_param("payment_method")
    intent.payment_method = method.id
    if method._attaching_is_declined():
        _fail(intent, {"code": "card_declined", "message": "Your card was declined."})
        raise _card_error(
            "Your card was declined.",
            "card_declined",
            decline_code="generic_decline",
            setup_intent=intent._export(),
        )
    if method._requires_authentication():
        intent.status = "requires_action"
        intent.next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect"},
        }
    else:
        _succeed(intent)
    exported: dict[str, Any] = intent._export()
    return exported


def authenticate_setup(setup_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The emulator's 3-D Secure page for a SetupIntent (like localstripe's for
    PaymentIntents): ``success`` true completes it, false fails the authentication."""
    unknown_params(params, {"key", "client_secret", "success"})
    intent = _setup_for_client(setup_id, params)
    if intent.status != "requires_action":
        raise StripeApiError(
            400,
            "This SetupIntent is not waiting for authentication.",
            code="setup_intent_unexpected_state",
        )
    if str(params.get("success")).lower() == "true":
        _succeed(intent)
    else:
        _fail(
            intent,
            {
                "code": "setup_intent_authentication_failure",
                "message": "The latest attempt to set up the payment method has failed "
                "because authentication failed.",
            },
        )
    exported: dict[str, Any] = intent._export()
    return exported


def retrieve_setup_with_publishable_key(setup_id: str, params: dict[str, Any]) -> Any:
    unknown_params(params, {"key", "client_secret", "_stripe_version"})
    return _setup_for_client(setup_id, params)._export()


# --- off-session PaymentIntents -------------------------------------------------------------


def check_method_owner(customer: str | None, method_id: str | None) -> None:
    """Stripe charges a saved PaymentMethod only for the customer it is attached to."""
    if not method_id:
        return
    method = PaymentMethod._api_retrieve(method_id)
    owner = getattr(method, "customer", None)
    if owner and owner != customer:
        raise invalid_param(
            "payment_method",
            f"The provided PaymentMethod belongs to a different Customer ({owner}); pass "
            "customer to use it.",
        )


def needs_authentication_off_session(method: PaymentMethod) -> bool:
    if not method._requires_authentication():
        return False
    set_up = getattr(method, "_set_up_for", None) == "off_session"
    return not (set_up and getattr(method, "_card_number", None) == SET_UP_ONCE)


def confirm_off_session(intent: PaymentIntent) -> None:
    """Confirm ``intent`` with nobody present (``off_session=true``)."""
    if intent.payment_method is None:
        raise missing_param("payment_method")
    method = PaymentMethod._api_retrieve(intent.payment_method)
    owner = getattr(method, "customer", None)
    if owner is None or owner != intent.customer:
        raise invalid_param(
            "payment_method",
            "The provided PaymentMethod was previously used without being attached to a "
            "Customer or was detached from a Customer, and may not be used again.",
        )
    if needs_authentication_off_session(method):
        intent._auth_required = True
        raise _card_error(
            "Your card was declined. This transaction requires authentication.",
            "authentication_required",
            decline_code="authentication_required",
            payment_intent=intent._export(),
        )
    try:
        # Charged without a challenge (an exempted, set-up card): no next_action off-session.
        intent._create_charge(on_failure_now=intent._report_failure)
    except UserError as exc:
        if getattr(exc, "code", None) == 402 and not isinstance(exc, StripeApiError):
            raise _card_error(
                "Your card was declined.",
                "card_declined",
                decline_code="generic_decline",
                payment_intent=intent._export(),
            ) from exc
        raise


def patch_setup_intents() -> None:
    if getattr(SetupIntent, "_emulator_patched", False):
        return
    original_init = SetupIntent.__init__

    def __init__(self: SetupIntent, customer: Any = None, **kwargs: Any) -> None:
        if customer is not None:
            if not isinstance(customer, str) or not customer.startswith("cus_"):
                raise invalid_param("customer", f"No such customer: '{customer}'")
            Customer._api_retrieve(customer)  # 404 for an unknown customer, as Stripe
        original_init(self, customer=customer, **kwargs)
        self.last_setup_error = None

    status_of = PaymentIntent.status.fget
    error_of = PaymentIntent.last_payment_error.fget

    def status(self: PaymentIntent) -> str:
        if getattr(self, "_auth_required", False) and not self._canceled and not self.next_action:
            return "requires_payment_method"
        return str(status_of(self))

    def last_payment_error(self: PaymentIntent) -> Any:
        if getattr(self, "_auth_required", False):
            return {
                "code": "authentication_required",
                "decline_code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
                "type": "card_error",
            }
        return error_of(self)

    SetupIntent.__init__ = __init__
    SetupIntent.last_setup_error = None
    PaymentIntent.status = property(status)
    PaymentIntent.last_payment_error = property(last_payment_error)
    PaymentMethod._set_up_for = None
    SetupIntent._emulator_patched = True
