"""Every Connect object the emulator returns has the official object's keys and value types."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import stripe

from app.devtools.stripe_emulator import EmulatorProcess

from .conftest import onboarded_account, paid_charge

FIXTURES = (
    Path(__file__).resolve().parents[2]
    / "app"
    / "devtools"
    / "stripe_fixtures"
    / "stripe_objects.json"
)
# Keys whose content depends on the data (which capabilities were requested, metadata...).
FREE_FORM = {"metadata", "capabilities", "controller", "data", "source_types"}


def official(name: str) -> dict[str, Any]:
    objects: dict[str, Any] = json.loads(FIXTURES.read_text())
    return dict(objects[name])


def assert_same_shape(ours: Any, theirs: Any, path: str = "$") -> None:
    if theirs is None or ours is None:
        return  # nullable in one of them: any type is fine
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{path}: expected an object, got {ours!r}"
        assert set(ours) == set(theirs), (
            f"{path}: extra {sorted(set(ours) - set(theirs))}, "
            f"missing {sorted(set(theirs) - set(ours))}"
        )
        for key, value in theirs.items():
            if key not in FREE_FORM:
                assert_same_shape(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), f"{path}: expected a list, got {ours!r}"
        if theirs and ours:
            for item in ours:
                assert_same_shape(item, theirs[0], f"{path}[]")
    else:
        # bool is an int in Python: compare exact JSON types.
        assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} != {type(theirs)}"


def test_connect_objects_match_official_shapes(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    fresh = client.v1.accounts.create(
        {"type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}}
    )
    for account in (client.v1.accounts.retrieve(seller), fresh):
        assert_same_shape(account.to_dict(), official("account"))
    assert fresh.id.startswith("acct_") and fresh.object == "account"

    link = client.v1.account_links.create(
        {
            "account": fresh.id,
            "type": "account_onboarding",
            "refresh_url": "http://localhost/r",
            "return_url": "http://localhost/ok",
        }
    )
    assert_same_shape(link.to_dict(), official("account_link"))

    charge_id = paid_charge(client, 3_000)
    transfer = client.v1.transfers.create(
        {"amount": 1_000, "currency": "eur", "destination": seller, "source_transaction": charge_id}
    )
    reversal = client.v1.transfers.reversals.create(transfer.id, {"amount": 100})
    transfer = client.v1.transfers.retrieve(transfer.id)
    assert_same_shape(transfer.to_dict(), official("transfer"))
    assert transfer.livemode is False and abs(transfer.created - time.time()) < 120
    assert_same_shape(reversal.to_dict(), official("transfer_reversal"))
    assert reversal.id.startswith("trr_")

    for balance in (
        client.v1.balance.retrieve(),
        client.v1.balance.retrieve(options={"stripe_account": seller}),
    ):
        assert_same_shape(balance.to_dict(), official("balance"))

    assert isinstance(transfer.balance_transaction, str)
    txn = client.v1.balance_transactions.retrieve(transfer.balance_transaction)
    assert txn.amount == -1_000 and txn.type == "transfer"

    events = client.v1.events.list({"type": "transfer.created", "limit": 100}).data
    event = next(e for e in events if e.data.object.id == transfer.id)
    assert event.id.startswith("evt_")
    assert_same_shape(event.to_dict(), official("event"))
    updated = client.v1.events.list({"type": "account.updated", "limit": 100}).data
    connect_event = next(e for e in updated if e.data.object.id == seller).to_dict()
    # Events about a connected account carry `account`, as real Connect events do.
    assert connect_event.pop("account") == seller
    assert_same_shape(connect_event, official("event"))
    assert_same_shape(connect_event["data"]["object"], official("account"))


def test_list_objects_are_stripe_lists(
    client: stripe.StripeClient, emulator: EmulatorProcess
) -> None:
    seller = onboarded_account(client, emulator)
    charge_id = paid_charge(client, 3_000)
    group = "list_" + uuid.uuid4().hex[:8]
    ids = [
        client.v1.transfers.create(
            {
                "amount": 100,
                "currency": "eur",
                "destination": seller,
                "source_transaction": charge_id,
                "transfer_group": group,
            }
        ).id
        for _ in range(3)
    ]
    page = client.v1.transfers.list({"transfer_group": group, "limit": 2})
    assert page.to_dict()["object"] == "list"
    assert page.has_more is True and len(page.data) == 2
    rest = client.v1.transfers.list(
        {"transfer_group": group, "limit": 2, "starting_after": page.data[-1].id}
    )
    assert rest.has_more is False
    assert {t.id for t in page.data} | {t.id for t in rest.data} == set(ids)
