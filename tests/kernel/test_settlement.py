"""The one settlement path: every kind of sale a creator is paid for (milestone, licence
royalty, contest award, influencer campaign order) goes through the same hold, suspension,
readiness, transfer and ledger rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs, settlement
from app.accounts.models import User
from app.campaigns import services as campaigns
from app.contests import services as contests
from app.devtools.stripe_emulator import EmulatorProcess
from app.errors import InvalidTransition
from app.moderation import services as moderation
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.settlement.models import Payout, PayoutState
from tests.checkout_support import pay_contest, pay_licence, pay_milestone
from tests.factories import make_business, make_creator, make_user, published_influencer_offer
from tests.media.helpers import VISA, published_asset
from tests.payments.helpers import assert_ledger_ok, delivered_milestone, onboard, stripe_client

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _milestone_sale(session: Session, gateway: PaymentGateway, creator: User) -> None:
    milestone = delivered_milestone(session, gateway, creator=creator, amount=10_000)
    payments.accept(session, milestone.id, business=milestone.contract.business)


def _licence_sale(session: Session, gateway: PaymentGateway, creator: User, storage: Any) -> None:
    asset = published_asset(session, storage, creator=creator)
    pay_licence(session, gateway, asset.id, make_business(session), "standard", VISA)


def _contest_award(session: Session, gateway: PaymentGateway, creator: User) -> None:
    business = make_business(session)
    contest = contests.create(
        session,
        business,
        contests.ContestInput(
            title="Label for a cold brew",
            description="One bold label.",
            category="Design & Creative",
            prize_minor=20_000,
            currency="USD",
            deadline=clock.now() + timedelta(days=2),
            judging_days=3,
        ),
    )
    pay_contest(session, gateway, contest.id, business, VISA)
    entry = contests.enter(session, contest.id, creator, text="A fox in a cup")
    contests.pick_finalists(session, contest.id, business, [entry.id])
    clock.advance(timedelta(days=2, minutes=1))
    contests.pick_winner(session, contest.id, business, entry.id)


def _campaign_order(session: Session, gateway: PaymentGateway, creator: User) -> None:
    # Each step is its own request (commit), as in the app: each takes its locks afresh.
    offer = published_influencer_offer(session, creator=creator)
    business = make_business(session)
    campaign = campaigns.order(session, offer, business, ["post"])
    pay_milestone(session, gateway, campaign.milestone_id, business, VISA)
    session.commit()
    caption = "Our new roast #ad"
    campaigns.submit_draft(session, campaign.id, creator, text="Reel", caption=caption)
    session.commit()
    campaigns.approve(session, campaign.id, business)
    session.commit()
    campaigns.submit_post(
        session,
        campaign.id,
        creator,
        post_url="https://www.instagram.com/p/Cx123abc/",
        caption=caption,
    )
    session.commit()
    campaigns.confirm(session, campaign.id, business)
    session.commit()


def _payouts(session: Session, creator: User) -> list[Payout]:
    session.expire_all()
    return list(session.scalars(select(Payout).where(Payout.creator_id == creator.id)))


def test_a_suspended_creator_is_paid_by_no_kind_of_sale_until_reinstated(
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    storage: Any,
    frozen: Any,
) -> None:
    creator = make_creator(session)
    account = onboard(session, gateway, emulator, creator)
    _milestone_sale(session, gateway, creator)
    _licence_sale(session, gateway, creator, storage)
    _contest_award(session, gateway, creator)
    _campaign_order(session, gateway, creator)
    owed = _payouts(session, creator)
    kinds = sorted(p.subject_type for p in owed)
    assert kinds == ["contest_award", "media_license", "milestone", "milestone"]
    net = sum(p.net_minor for p in owed)
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == net

    moderator = make_user(session, moderator=True)
    moderation.suspend(session, moderator, creator.id, "Reported for fraud")
    clock.advance(timedelta(days=15))  # past the longest clearance hold
    report = jobs.run_due(session, gateway)
    # The stale timers (auto-accept, contest close...) run; no payout does.
    assert report.retried == 4
    assert not [o for o in report.outcomes if o.startswith("transferred")]
    for payout in _payouts(session, creator):
        assert payout.state is PayoutState.SCHEDULED and "suspended" in payout.blocked_reason
    client = stripe_client(emulator)
    assert client.v1.transfers.list({"destination": account}).data == []
    assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == 0

    moderation.unsuspend(session, moderator, creator.id, "Cleared after review")
    report = jobs.run_due(session, gateway)
    paid = _payouts(session, creator)
    assert [p.state for p in paid] == [PayoutState.PAID] * 4
    transfers = client.v1.transfers.list({"destination": account}).data
    assert sorted(t.amount for t in transfers) == sorted(p.net_minor for p in paid)
    assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == net
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 0
    assert_ledger_ok(session)


def test_a_transfer_stripe_refuses_for_good_needs_a_person_then_pays_once(
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    app: Any,
    frozen: Any,
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    creator = milestone.contract.creator
    onboard(session, gateway, emulator, creator)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    payout = settlement.payout_for(session, "milestone", milestone.id)
    assert payout is not None
    clock.advance(timedelta(days=15))
    # A 400 from Stripe is not retryable: the job gives up and the payout needs attention.
    emulator.fail_next_transfers(mode="invalid_request")
    report = jobs.run_due(session, gateway)
    assert report.failed == 1
    session.expire_all()
    assert payout.state is PayoutState.FAILED and payout.blocked_reason
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == payout.net_minor
    assert_ledger_ok(session)
    result = app.test_cli_runner().invoke(args=["payouts", "list"])
    assert f"milestone {milestone.id}" in result.output
    with pytest.raises(InvalidTransition):
        settlement.pay_out(session, gateway, payout.id)

    settlement.retry(session, gateway, payout.id)
    jobs.run_due(session, gateway)
    session.expire_all()
    assert payout.state is PayoutState.PAID and milestone.state == "paid_out"
    assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == payout.net_minor
    assert_ledger_ok(session)


def test_the_ledger_check_compares_creators_balances_with_their_payouts(
    session: Session, gateway: PaymentGateway, frozen: Any
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    assert ledger.check(session).ok
    payout = settlement.payout_for(session, "milestone", milestone.id)
    assert payout is not None
    payout.gross_minor += 100  # a payout that disagrees with what the ledger booked
    session.flush()
    problems = ledger.check(session).problems
    assert any("its payouts say" in p for p in problems)
    payout.gross_minor -= 100
    session.flush()
