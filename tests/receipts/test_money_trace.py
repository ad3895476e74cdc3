"""Money people can trace: the creator's earnings ledger lists every kind of income with its
hold and a receipt; the business's payments list every kind of spend; receipts are private;
"you receive" is shown before a creator proposes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import clock
from app.payments import services
from app.templating import duration
from tests.checkout_support import pay_licence
from tests.factories import login, make_brief, make_business, make_creator
from tests.media.helpers import published_asset
from tests.payments.helpers import delivered_milestone

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def test_durations_read_as_days_and_hours() -> None:
    assert duration(timedelta(hours=151)) == "6 days 7 hours"
    assert duration(151) == "6 days 7 hours"
    assert duration(timedelta(hours=192)) == "8 days"
    assert duration(timedelta(hours=23, minutes=30)) == "23 hours 30 minutes"
    assert duration(timedelta(days=1)) == "1 day"
    assert duration(timedelta(0)) == "now" and duration(None) == "—"


def test_earnings_ledger_lists_milestones_and_royalties_with_receipts(
    session: Session, client: FlaskClient, gateway, storage, frozen
) -> None:
    creator = make_creator(session)
    milestone = delivered_milestone(session, gateway, creator=creator, amount=20_000)
    services.accept(session, milestone.id, business=milestone.contract.business)
    asset = published_asset(session, storage, creator=creator)
    licence = pay_licence(
        session,
        gateway,
        asset.id,
        make_business(session),
    )
    login(client, creator)
    html = client.get("/earnings").get_data(as_text=True)
    assert "Contract milestone" in html and "Licence royalty" in html
    assert "You receive $180.00" in html  # 200 less the neutral 10 % fee
    assert (
        f"You receive {licence.net_minor / 100:,.2f}".replace("You receive ", "You receive $")
        in html
    )
    assert "hold 8 days" in html and "days (" not in html
    assert html.count('href="/receipts/payout/') == 2
    from app.settlement import payout_for

    payout = payout_for(session, "milestone", milestone.id)
    assert payout is not None
    receipt = client.get(f"/receipts/payout/{payout.id}")
    text = receipt.get_data(as_text=True)
    assert receipt.status_code == 200
    assert "$200.00" in text and "-$20.00" in text.replace("−", "-") and "$180.00" in text
    assert "8 days" in text and "You receive" in text

    # Nobody else sees it: the business, another creator.
    login(client, milestone.contract.business)
    assert client.get(f"/receipts/payout/{payout.id}").status_code == 404
    assert client.get("/receipts/payout/99999999").status_code == 404


def test_business_payments_list_every_spend_with_receipts(
    session: Session, client: FlaskClient, gateway, storage
) -> None:
    business = make_business(session)
    milestone = delivered_milestone(session, gateway, business=business, amount=15_000)
    asset = published_asset(session, storage)
    licence = pay_licence(session, gateway, asset.id, business)
    login(client, business)
    html = client.get("/payments").get_data(as_text=True)
    assert "$150.00" in html and asset.title in html
    assert f'href="/receipts/milestone/{milestone.id}"' in html
    assert f'href="/receipts/licence/{licence.id}"' in html
    receipt = client.get(f"/receipts/milestone/{milestone.id}").get_data(as_text=True)
    assert "You paid" in receipt and "$150.00" in receipt and "Print or save as PDF" in receipt
    login(client, milestone.contract.creator)
    assert client.get(f"/receipts/milestone/{milestone.id}").status_code == 404
    assert client.get(f"/receipts/licence/{licence.id}").status_code == 404
    assert client.get("/receipts/contest/1").status_code == 404


def test_you_receive_is_shown_before_proposing(session: Session, client: FlaskClient) -> None:
    brief = make_brief(session, make_business(session))
    creator = make_creator(session)
    login(client, creator)
    html = client.get(f"/briefs/{brief.id}").get_data(as_text=True)
    assert "data-net-preview" in html and 'data-fee-bp="1000"' in html
    assert "Platform fee 10.00%" in html and "clearance hold of 8 days" in html
