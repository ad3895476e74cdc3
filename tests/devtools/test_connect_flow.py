"""Connect flow through the official SDK over HTTP: onboarding, payment, transfer, reversal."""

from __future__ import annotations

import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
import stripe

from app.devtools.stripe_emulator import EmulatorProcess

from .conftest import (
    CONNECT_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    WebhookReceiver,
    charge_id_of,
    onboarded_account,
    paid_charge,
    with_amount,
)


def _eur_available(balance: stripe.Balance) -> int:
    return sum(entry.amount for entry in balance.available if entry.currency == "eur")


def test_onboarding_via_account_link_sends_signed_account_updated(
    client: stripe.StripeClient, emulator: EmulatorProcess, webhooks: WebhookReceiver
) -> None:
    account = client.v1.accounts.create(
        {
            "type": "express",
            "country": "FR",
            "email": "seller@example.test",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": "42"},
        }
    )
    assert account.id.startswith("acct_")
    assert account.to_dict()["capabilities"] == {"transfers": "inactive"}
    assert not account.charges_enabled and not account.details_submitted

    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": webhooks.url + "/refresh",
            "return_url": webhooks.url + "/return",
        }
    )
    assert link.url.startswith(emulator.api_base + "/_onboarding/")
    assert link.expires_at > link.created

    with urllib.request.urlopen(link.url) as page:  # what the seller's browser opens
        assert b"Complete onboarding" in page.read()
    submit = urllib.request.Request(link.url, data=b"", method="POST")
    with urllib.request.urlopen(submit) as done:  # follows the 303 to return_url
        assert done.url == webhooks.url + "/return"

    refreshed = client.v1.accounts.retrieve(account.id)
    assert refreshed.charges_enabled and refreshed.payouts_enabled
    assert refreshed.details_submitted
    assert refreshed.to_dict()["capabilities"] == {"transfers": "active"}
    assert refreshed.to_dict()["requirements"]["currently_due"] == []

    delivery = webhooks.wait_for(
        lambda e: e["type"] == "account.updated" and e["data"]["object"]["id"] == account.id
    )
    # A connected account's event goes to the Connect endpoint only, with its own secret.
    assert delivery.path == "/stripe/connect-webhook"
    event = stripe.Webhook.construct_event(
        delivery.body, delivery.headers["Stripe-Signature"], CONNECT_WEBHOOK_SECRET
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["Stripe-Signature"], WEBHOOK_SECRET
        )
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.data.object.charges_enabled is True
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["Stripe-Signature"], "whsec_wrong"
        )
    # The event is also retrievable through the API.
    assert client.v1.events.retrieve(event.id).type == "account.updated"

    # A used link sends the user to refresh_url, like Stripe.
    with urllib.request.urlopen(link.url) as again:
        assert again.url == webhooks.url + "/refresh"


def test_payment_transfer_balance_and_reversal(
    client: stripe.StripeClient, emulator: EmulatorProcess, webhooks: WebhookReceiver
) -> None:
    seller = onboarded_account(client, emulator)
    group = "order_" + uuid.uuid4().hex[:8]
    platform_before = _eur_available(client.v1.balance.retrieve())
    charge_id = paid_charge(client, 10_000, group)
    charge = client.v1.charges.retrieve(charge_id)
    assert charge.transfer_group == group and charge.status == "succeeded"

    transfer = client.v1.transfers.create(
        {
            "amount": 8_500,
            "currency": "eur",
            "destination": seller,
            "source_transaction": charge_id,
            "transfer_group": group,
            "metadata": {"order": group},
            "description": "payout for " + group,
        }
    )
    assert transfer.id.startswith("tr_")
    assert transfer.destination == seller and transfer.source_transaction == charge_id
    assert transfer.amount_reversed == 0 and transfer.reversed is False

    connected = client.v1.balance.retrieve(options={"stripe_account": seller})
    assert _eur_available(connected) == 8_500
    platform = client.v1.balance.retrieve()
    # Stripe's fee comes out of the charge: 2.9 % + 0.30 (settlement.py) of 10,000 = 320.
    txn = client.v1.balance_transactions.retrieve(str(charge.balance_transaction))
    assert (txn.amount, txn.fee, txn.currency, txn.exchange_rate) == (10_000, 320, "eur", None)
    assert txn.available_on == txn.created + 2 * 86400
    assert _eur_available(platform) == platform_before + 10_000 - 320 - 8_500

    listed = client.v1.transfers.list({"transfer_group": group})
    assert [t.id for t in listed.data] == [transfer.id]
    assert [t.id for t in client.v1.transfers.list({"destination": seller}).data] == [transfer.id]

    created = webhooks.wait_for(
        lambda e: e["type"] == "transfer.created" and e["data"]["object"]["id"] == transfer.id
    )
    stripe.Webhook.construct_event(
        created.body, created.headers["Stripe-Signature"], WEBHOOK_SECRET
    )

    partial = client.v1.transfers.reversals.create(transfer.id, {"amount": 2_000})
    assert partial.id.startswith("trr_") and partial.transfer == transfer.id
    rest = client.v1.transfers.reversals.create(transfer.id)  # no amount: all that is left
    assert rest.amount == 6_500
    after = client.v1.transfers.retrieve(transfer.id)
    assert after.amount_reversed == 8_500 and after.reversed is True
    assert {r.id for r in after.reversals.data} == {partial.id, rest.id}
    assert len(client.v1.transfers.reversals.list(transfer.id).data) == 2
    assert _eur_available(client.v1.balance.retrieve(options={"stripe_account": seller})) == 0
    assert _eur_available(client.v1.balance.retrieve()) == platform_before + 10_000 - 320

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, {"amount": 1})

    reversed_event = webhooks.wait_for(
        lambda e: (
            e["type"] == "transfer.reversed"
            and e["data"]["object"]["id"] == transfer.id
            and e["data"]["object"]["reversed"]
        )
    )
    stripe.Webhook.construct_event(
        reversed_event.body, reversed_event.headers["Stripe-Signature"], WEBHOOK_SECRET
    )


def test_transfer_cannot_exceed_what_remains_of_the_source_charge(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    charge_id = paid_charge(client, 5_000)
    params: Any = {"currency": "eur", "destination": seller, "source_transaction": charge_id}

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.create(with_amount(params, 5_001))
    assert too_much.value.http_status == 400
    assert too_much.value.code == "balance_insufficient"

    client.v1.transfers.create(with_amount(params, 3_000))
    client.v1.refunds.create({"charge": charge_id, "amount": 1_500})
    # 5000 - 1500 refunded - 3000 transferred = 500 left.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(with_amount(params, 501))
    assert client.v1.transfers.create(with_amount(params, 500)).amount == 500
    assert len(client.v1.transfers.list({"destination": seller}).data) == 2


def test_transfer_validation_errors_are_stripe_shaped(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    not_onboarded = client.v1.accounts.create(
        {"type": "express", "country": "FR", "capabilities": {"transfers": {"requested": True}}}
    ).id

    cases = [
        (
            {"amount": 100, "currency": "eur", "destination": "acct_nope"},
            400,
            "resource_missing",
            "destination",
        ),
        (
            {"amount": 100, "currency": "eur", "destination": not_onboarded},
            400,
            "insufficient_capabilities_for_transfer",
            "destination",
        ),
        (
            {"amount": 0, "currency": "eur", "destination": seller},
            400,
            "parameter_invalid_integer",
            "amount",
        ),
        ({"currency": "eur", "destination": seller}, 400, "parameter_missing", "amount"),
        (
            {"amount": 100, "currency": "eur", "destination": seller, "source_transaction": "ch_x"},
            400,
            "resource_missing",
            "source_transaction",
        ),
        (
            {"amount": 10**12, "currency": "eur", "destination": seller},
            400,
            "balance_insufficient",
            None,
        ),
    ]
    for params, status, code, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.transfers.create(params)  # type: ignore[arg-type]
        assert (caught.value.http_status, caught.value.code, caught.value.param) == (
            status,
            code,
            param,
        ), params
        assert caught.value.error is not None
        assert caught.value.error.type == "invalid_request_error"

    usd_charge = charge_id_of(
        client.v1.payment_intents.create(
            {"amount": 1_000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
    )
    with pytest.raises(stripe.InvalidRequestError) as wrong_currency:
        client.v1.transfers.create(
            {
                "amount": 100,
                "currency": "eur",
                "destination": seller,
                "source_transaction": usd_charge,
            }
        )
    assert wrong_currency.value.param == "currency"
    assert client.v1.transfers.list({"destination": seller}).data == []


def test_unknown_connected_account_header_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError):
        client.v1.balance.retrieve(options={"stripe_account": "acct_doesnotexist"})


def test_account_update_and_list(client: stripe.StripeClient, emulator: EmulatorProcess) -> None:
    account = client.v1.accounts.create(
        {"type": "custom", "country": "DE", "capabilities": {"transfers": {"requested": True}}}
    )
    assert account.default_currency == "eur"
    updated = client.v1.accounts.update(
        account.id,
        {"metadata": {"a": "1"}, "email": "new@example.test", "business_profile": {"name": "Shop"}},
    ).to_dict()
    assert updated["metadata"] == {"a": "1"}
    assert updated["email"] == "new@example.test"
    assert updated["business_profile"]["name"] == "Shop"
    assert account.id in {a.id for a in client.v1.accounts.list({"limit": 100}).data}
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        bogus: Any = {"bogus": "x"}
        client.v1.accounts.update(account.id, bogus)
    assert unknown.value.code == "parameter_unknown"


def test_onboarding_page_rejects_unknown_links(emulator: EmulatorProcess) -> None:
    url = emulator.api_base + "/_onboarding/acct_x/" + urllib.parse.quote("nope")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url)
    assert caught.value.code == 404


def test_payment_intent_created_then_confirmed_like_stripe_js(
    client: stripe.StripeClient,
) -> None:
    """Create without a method, attach one, confirm: the app's checkout sequence."""
    group = "order_" + uuid.uuid4().hex[:8]
    intent = client.v1.payment_intents.create(
        {
            "amount": 2_500,
            "currency": "eur",
            "transfer_group": group,
            "description": "Order " + group,
            "metadata": {"order": group},
        }
    )
    assert intent.status == "requires_payment_method"
    assert intent.transfer_group == group and intent.description == "Order " + group
    client.v1.payment_intents.update(intent.id, {"payment_method": "pm_card_visa"})
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    charge = client.v1.charges.retrieve(charge_id_of(confirmed))
    assert charge.transfer_group == group and charge.amount == 2_500

    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 500})
    assert refund.amount == 500
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 500


@pytest.mark.parametrize(
    "payment_method", ["pm_card_chargeCustomerFail", "pm_card_visa_chargeDeclined"]
)
def test_declined_card_is_a_card_error(client: stripe.StripeClient, payment_method: str) -> None:
    # As on Stripe, 4000000000000002 (pm_card_visa_chargeDeclined) declines when charged.
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            {
                "amount": 1_000,
                "currency": "eur",
                "payment_method": payment_method,
                "confirm": True,
            }
        )
    assert caught.value.code == "card_declined"
