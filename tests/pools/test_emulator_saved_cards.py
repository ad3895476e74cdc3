"""The emulator saves cards and charges them off-session as Stripe does (and refuses what
Stripe refuses): SetupIntents confirmed by Stripe.js with 3-D Secure, off-session
PaymentIntents declined with ``authentication_required`` for cards that always authenticate,
completed on-session afterwards with the saved PaymentMethod."""

from __future__ import annotations

import pytest

from app.payments.gateway import GatewayError, OffSessionDeclined
from tests.checkout_support import (
    ALWAYS_AUTHENTICATE,
    DECLINED_AT_CHARGE,
    THREE_D_SECURE,
    VISA,
    stripe_js_confirm,
)


def _saved(gateway, card: str, key: str, *, three_d_secure: bool | None = True):
    customer = gateway.create_customer(
        email=f"{key}@example.com", metadata={}, idempotency_key=f"{key}-cus"
    )
    setup = gateway.create_setup_intent(
        customer=customer, metadata={}, idempotency_key=f"{key}-seti"
    )
    assert setup.status == "requires_payment_method" and setup.client_secret
    confirmed = stripe_js_confirm(setup.client_secret, card, three_d_secure=three_d_secure)
    return customer, gateway.retrieve_setup_intent(setup.id), confirmed


def _charge(gateway, customer: str, method: str, key: str):
    return gateway.charge_off_session(
        amount=6000,
        currency="EUR",
        customer=customer,
        payment_method=method,
        transfer_group="pool-test",
        metadata={},
        description="test",
        idempotency_key=key,
    )


def test_setup_then_off_session_charge_succeeds(session, gateway) -> None:
    customer, setup, _ = _saved(gateway, VISA, "emu-visa")
    assert setup.status == "succeeded" and setup.payment_method
    charged = _charge(gateway, customer, setup.payment_method, "emu-visa-pi")
    assert charged.status == "succeeded" and charged.charge_id


def test_3155_authenticates_once_at_setup_then_charges_off_session(session, gateway) -> None:
    customer, setup, first = _saved(gateway, THREE_D_SECURE, "emu-3155")
    assert setup.status == "succeeded"
    assert (
        _charge(gateway, customer, str(setup.payment_method), "emu-3155-pi").status == "succeeded"
    )


def test_failed_3ds_at_setup_saves_nothing(session, gateway) -> None:
    _customer, setup, confirmed = _saved(
        gateway, THREE_D_SECURE, "emu-3ds-fail", three_d_secure=False
    )
    assert setup.status == "requires_payment_method" and setup.last_error
    assert confirmed["status"] == "requires_payment_method"


def test_always_authenticate_card_is_declined_off_session_then_completed_on_session(
    session, gateway
) -> None:
    customer, setup, _ = _saved(gateway, ALWAYS_AUTHENTICATE, "emu-3184")
    assert setup.status == "succeeded"
    with pytest.raises(OffSessionDeclined) as caught:
        _charge(gateway, customer, str(setup.payment_method), "emu-3184-pi")
    assert caught.value.decline_code == "authentication_required"
    intent = gateway.retrieve_payment_intent(str(caught.value.payment_intent_id))
    assert intent.status == "requires_payment_method" and intent.charge_id is None
    assert "authentication" in (intent.last_error or "")
    done = stripe_js_confirm(str(intent.client_secret), payment_method=setup.payment_method)
    assert done["status"] == "succeeded"
    assert gateway.retrieve_payment_intent(intent.id).charge_id


def test_declined_off_session_carries_the_payment_intent(session, gateway) -> None:
    customer, setup, _ = _saved(gateway, DECLINED_AT_CHARGE, "emu-0341")
    with pytest.raises(OffSessionDeclined) as caught:
        _charge(gateway, customer, str(setup.payment_method), "emu-0341-pi")
    assert caught.value.decline_code != "authentication_required"
    assert caught.value.payment_intent_id


def test_refuses_what_stripe_refuses(session, gateway) -> None:
    customer, setup, _ = _saved(gateway, VISA, "emu-owner")
    other = gateway.create_customer(email="o@example.com", metadata={}, idempotency_key="emu-other")
    with pytest.raises(GatewayError, match="different Customer"):
        _charge(gateway, other, str(setup.payment_method), "emu-owner-pi")
    # A card typed once (never saved to a customer) cannot be charged off-session.
    loose = gateway.create_payment_intent(
        amount=6000,
        currency="EUR",
        transfer_group="g",
        metadata={},
        description="d",
        idempotency_key="emu-loose",
    )
    paid = stripe_js_confirm(str(loose.client_secret), VISA)
    assert paid["status"] == "succeeded"
    with pytest.raises(GatewayError, match="may not be used again"):
        _charge(gateway, customer, paid["payment_method"], "emu-loose-pi")
    # Stripe.js cannot cancel a SetupIntent with the publishable key, nor use a wrong secret.
    fresh = gateway.create_setup_intent(customer=customer, metadata={}, idempotency_key="emu-s2")
    assert stripe_js_confirm(str(fresh.id) + "_secret_wrong", VISA)["status"] == 400
