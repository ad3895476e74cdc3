"""The emulator refuses what Stripe refuses (issue 13), through the SDK over HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest
import stripe

from app.devtools.stripe_emulator import EmulatorProcess

from .conftest import WebhookReceiver, make_client, new_key, onboarded_account, paid_charge
from .test_shapes import assert_same_shape, official


def _config(emulator: EmulatorProcess, path: str, data: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        emulator.api_base + path,
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _intent(amount: int, currency: str, method: str = "pm_card_visa") -> Any:
    return {
        "amount": amount,
        "currency": currency,
        "payment_method": method,
        "payment_method_types": ["card"],
        "confirm": True,
    }


@pytest.mark.parametrize(
    ("amount", "currency", "allowed"),
    [
        (49, "usd", False),
        (50, "usd", True),
        (49, "eur", False),
        (29, "gbp", False),
        (30, "gbp", True),
    ],
)
def test_minimum_charge_amount_per_currency(
    client: stripe.StripeClient, amount: int, currency: str, allowed: bool
) -> None:
    if allowed:
        assert client.v1.payment_intents.create(_intent(amount, currency)).status == "succeeded"
        return
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(_intent(amount, currency))
    assert info.value.code == "amount_too_small"
    assert info.value.param == "amount"


@pytest.mark.parametrize("currency", ["xyz", "EUR"])
def test_unknown_or_upper_case_currency_is_refused(
    client: stripe.StripeClient, currency: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(_intent(1_000, currency))
    assert info.value.param == "currency"


def test_over_refund_is_refused_and_refunds_add_up(client: stripe.StripeClient) -> None:
    charge = paid_charge(client, 10_000)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge, "amount": 10_001})
    assert info.value.code == "amount_too_large"
    client.v1.refunds.create({"charge": charge, "amount": 6_000})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge, "amount": 4_001})
    assert info.value.code == "amount_too_large"
    client.v1.refunds.create({"charge": charge, "amount": 4_000})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge})
    assert info.value.code == "charge_already_refunded"
    assert client.v1.charges.retrieve(charge).amount_refunded == 10_000


def test_dispute_lifecycle_lost_and_refund_refused(
    client: stripe.StripeClient, emulator: EmulatorProcess, webhooks: WebhookReceiver
) -> None:
    charge = paid_charge(client, 8_000)
    opened = _config(emulator, f"/_config/charges/{charge}/dispute", {})
    assert opened["status"] == "needs_response" and opened["amount"] == 8_000
    assert_same_shape(opened, official("dispute"))
    assert client.v1.charges.retrieve(charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge, "amount": 100})
    assert info.value.code == "charge_disputed"
    # Funds withdrawn: the disputed amount plus the dispute fee, as one balance transaction.
    withdrawn = client.v1.balance_transactions.retrieve(opened["balance_transactions"][0]["id"])
    assert (withdrawn.amount, withdrawn.fee) == (-8_000, 2_000)
    updated = client.v1.disputes.update(
        opened["id"], {"evidence": {"uncategorized_text": "Delivered as agreed."}}
    )
    assert updated.status == "under_review"
    assert updated.evidence.uncategorized_text == "Delivered as agreed."
    closed = _config(emulator, f"/_config/disputes/{opened['id']}/close", {"outcome": "lost"})
    assert closed["status"] == "lost"
    for kind in ("created", "funds_withdrawn", "updated", "closed"):
        webhooks.wait_for(
            lambda e, k=kind: (
                e["type"] == f"charge.dispute.{k}" and e["data"]["object"]["id"] == opened["id"]
            )
        )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(opened["id"], {"evidence": {"uncategorized_text": "late"}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge})
    assert info.value.code == "charge_disputed"


def test_dispute_won_reinstates_funds(
    client: stripe.StripeClient, emulator: EmulatorProcess, webhooks: WebhookReceiver
) -> None:
    charge = paid_charge(client, 5_000)
    opened = _config(emulator, f"/_config/charges/{charge}/dispute", {})
    won = client.v1.disputes.update(
        opened["id"], {"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert won.status == "won"
    amounts = [t.amount for t in won.balance_transactions]
    assert sorted(amounts) == [-5_000, 5_000]
    webhooks.wait_for(
        lambda e: (
            e["type"] == "charge.dispute.funds_reinstated"
            and e["data"]["object"]["id"] == opened["id"]
        )
    )
    listed = client.v1.disputes.list({"charge": charge})
    assert [d.id for d in listed.data] == [opened["id"]]


def test_dispute_test_card_opens_a_dispute_after_the_payment(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.payment_intents.create(_intent(2_500, "eur", "pm_card_createDispute"))
    assert intent.status == "succeeded"
    charge = (
        intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = client.v1.disputes.list({"charge": charge}).data
        if found:
            assert found[0].status == "needs_response" and found[0].reason == "fraudulent"
            return
        time.sleep(0.2)
    raise AssertionError("no dispute was opened for pm_card_createDispute")


def test_transfer_to_an_account_without_the_transfers_capability_is_refused(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    account = client.v1.accounts.create(
        {"type": "custom", "country": "FR", "capabilities": {"card_payments": {"requested": True}}}
    )
    emulator.complete_onboarding(account.id)
    charge = paid_charge(client, 5_000)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(
            {
                "amount": 1_000,
                "currency": "eur",
                "destination": account.id,
                "source_transaction": charge,
            }
        )
    assert info.value.code == "insufficient_capabilities_for_transfer"


def test_express_account_must_request_capabilities(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.accounts.create({"type": "express", "country": "FR"})
    assert info.value.param == "capabilities"


def test_a_500_after_execution_is_stored_under_its_key_for_24_hours(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    charge = paid_charge(client, 5_000)
    group = "srv_" + uuid.uuid4().hex[:8]
    params: Any = {
        "amount": 1_000,
        "currency": "eur",
        "destination": seller,
        "source_transaction": charge,
        "transfer_group": group,
    }
    _config(emulator, "/_config/fail_next_transfers", {"count": 1, "mode": "server_error"})
    key = new_key()
    for _ in range(2):  # the retry gets the stored 500, nothing is executed
        with pytest.raises(stripe.APIError) as info:
            client.v1.transfers.create(params, options={"idempotency_key": key})
        assert info.value.http_status == 500
    assert client.v1.transfers.list({"transfer_group": group}).data == []
    _config(emulator, "/_config/clock", {"seconds": 24 * 3600 + 60})
    made = client.v1.transfers.create(params, options={"idempotency_key": key})
    assert [t.id for t in client.v1.transfers.list({"transfer_group": group}).data] == [made.id]


def test_sdk_retries_do_not_escape_a_stored_500(emulator: EmulatorProcess) -> None:
    retrying = make_client(emulator.api_base, max_network_retries=2)
    charge = paid_charge(retrying, 5_000)
    _config(
        emulator, "/_config/fail_next_requests", {"path": "/v1/refunds", "mode": "server_error"}
    )
    key = new_key()
    with pytest.raises(stripe.APIError):
        retrying.v1.refunds.create(
            {"charge": charge, "amount": 100}, options={"idempotency_key": key}
        )
    assert retrying.v1.charges.retrieve(charge).amount_refunded == 0


def test_webhooks_are_retried_with_backoff_until_answered(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[str, str]] = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got.append((json.loads(body)["id"], self.headers["Stripe-Signature"]))
            self.send_response(500 if len(got) == 1 else 200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = "flaky-" + uuid.uuid4().hex[:6]
    secret = "whsec_flaky"
    emulator.register_webhook(
        f"http://127.0.0.1:{server.server_address[1]}/hook",
        secret,
        events=["payment_intent.succeeded"],
        webhook_id=hook,
    )
    try:
        client.v1.payment_intents.create(_intent(1_000, "eur"))
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(got) == 2 and got[0][0] == got[1][0]  # the same event, delivered again
        for _event_id, signature in got:
            assert signature.startswith("t=")
    finally:
        from app.devtools.stripe_emulator import unregister_webhook

        unregister_webhook(emulator.api_base, hook)
        server.shutdown()


def test_platform_events_do_not_reach_connect_endpoints(
    client: stripe.StripeClient, emulator: EmulatorProcess, webhooks: WebhookReceiver
) -> None:
    charge = paid_charge(client, 1_200)
    delivery = webhooks.wait_for(
        lambda e: (
            e["type"] == "payment_intent.succeeded"
            and e["data"]["object"].get("latest_charge") in (charge, {"id": charge})
            or e["type"] == "payment_intent.succeeded"
        )
    )
    assert delivery.path == "/stripe/webhook"
    time.sleep(1.5)
    assert all(
        d.path == "/stripe/connect-webhook"
        for d in webhooks.deliveries
        if d.event.get("account") is not None
    )
    assert all(
        d.path == "/stripe/webhook" for d in webhooks.deliveries if d.event.get("account") is None
    )


def test_a_charge_outside_the_settlement_currencies_is_converted_and_transfers_follow(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    _config(emulator, "/_config/settlement", {"currencies": ["eur"]})
    try:
        intent = client.v1.payment_intents.create(_intent(11_600, "usd"))
    finally:
        _config(emulator, "/_config/settlement", {"currencies": ["usd", "eur", "gbp"]})
    charge = client.v1.charges.retrieve(
        intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    )
    txn = client.v1.balance_transactions.retrieve(str(charge.balance_transaction))
    # 11,600 USD cents at 1.16 USD per EUR: 10,000 EUR cents; fee 2.9 % + 1 % conversion + 30.
    assert (txn.currency, txn.amount, txn.fee) == ("eur", 10_000, 420)
    assert txn.exchange_rate == pytest.approx(1 / 1.16, rel=1e-6)
    params: Any = {
        "amount": 5_000,
        "currency": "usd",
        "destination": seller,
        "source_transaction": charge.id,
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params)
    assert "must be the same as the transfer currency" in str(info.value)
    made = client.v1.transfers.create({**params, "currency": "eur"})
    assert made.currency == "eur"
    with pytest.raises(stripe.InvalidRequestError) as info:  # over the converted amount
        client.v1.transfers.create({**params, "currency": "eur", "amount": 5_001})
    assert info.value.code == "balance_insufficient"


def test_latest_charge_is_an_id_unless_expanded(client: stripe.StripeClient) -> None:
    """Stripe returns expandable fields as ids: code that reads ``latest_charge`` as an
    object works against an emulator that embeds it and breaks on Stripe. The app's gateway
    copes (app.payments.gateway._charge_id; every checkout test books the charge id)."""
    intent = client.v1.payment_intents.create(_intent(1_000, "usd"))
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    again = client.v1.payment_intents.retrieve(intent.id)
    assert again.latest_charge == intent.latest_charge
    expanded = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert not isinstance(expanded.latest_charge, str)
    assert expanded.latest_charge.id == intent.latest_charge
    assert expanded.latest_charge.amount == 1_000


def test_lists_are_newest_first_and_paginate_towards_older(client: stripe.StripeClient) -> None:
    """Stripe lists "sorted, with the most recent first": the first page of a busy account
    holds what was just made (localstripe alone lists its store oldest first)."""
    made = [client.v1.payment_intents.create(_intent(1_000 + n, "usd")).id for n in range(3)]
    first = client.v1.payment_intents.list({"limit": 2})
    assert [p.id for p in first.data] == made[:0:-1]
    assert first.has_more is True
    older = client.v1.payment_intents.list({"limit": 2, "starting_after": first.data[-1].id})
    assert older.data[0].id == made[0]
    refunded = made[-1]
    refunds = [client.v1.refunds.create({"payment_intent": refunded, "amount": a}) for a in (1, 2)]
    listed = client.v1.refunds.list({"payment_intent": refunded}).data
    assert [r.id for r in listed] == [refunds[1].id, refunds[0].id]
