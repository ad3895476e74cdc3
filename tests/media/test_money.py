"""Royalty tiers per calendar year, the sale in the ledger, and the payout after the hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.errors import Conflict
from app.jobs import Job, JobStatus, run_due
from app.media import royalties
from app.media.models import MediaLicense
from app.payments import ledger
from app.payments.fees import terms_for
from app.payments.payouts import PayoutBlocked
from app.settlement import pay_out_subject
from tests.checkout_support import pay_licence
from tests.factories import make_business, make_creator
from tests.media.helpers import VISA, published_asset
from tests.payments.helpers import onboard


@pytest.mark.parametrize(
    ("sold_before", "platform_bp"),
    [
        (0, 4000),
        (9, 4000),
        (10, 3000),
        (49, 3000),
        (50, 2500),
        (199, 2500),
        (200, 2000),
        (499, 2000),
        (500, 1500),
        (10_000, 1500),
    ],
)
def test_tier_table(sold_before, platform_bp):
    assert royalties.tier_for(sold_before).platform_bp == platform_bp


def test_tiers_fall_monotonically_and_are_published():
    shares = [tier.platform_bp for tier in royalties.TIERS]
    assert shares == sorted(shares, reverse=True) and shares[0] == 4000 and shares[-1] == 1500
    assert "0 – 9" in royalties.__doc__ and "500 or more" in royalties.__doc__


def _sell(session, gateway, asset, business, kind="standard"):
    return pay_licence(session, gateway, asset.id, business, kind, VISA)


def test_tier_counts_sales_in_the_calendar_year(session, storage, gateway, monkeypatch):
    creator = make_creator(session)
    asset = published_asset(session, storage, creator=creator)
    # Pretend the creator already sold 9 this year: the 10th sale is the last at 40%.
    monkeypatch.setattr(royalties, "TIERS", (royalties.Tier(0, 4000), royalties.Tier(2, 3000)))
    end_of_year = datetime(2030, 12, 31, 22, 0, tzinfo=UTC)
    with clock.frozen_at(end_of_year):
        first = _sell(session, gateway, asset, make_business(session))
        second = _sell(session, gateway, asset, make_business(session))
        third = _sell(session, gateway, asset, make_business(session))
        clock.advance(timedelta(hours=3))  # 1 January 2031: the count restarts
        new_year = _sell(session, gateway, asset, make_business(session))
    assert [item.fee_bp for item in (first, second, third, new_year)] == [4000, 4000, 3000, 4000]
    assert third.fee_minor == 750 and third.net_minor == 1_750
    assert royalties.sold_in_year(session, creator.id, end_of_year) == 3
    assert royalties.sold_in_year(session, creator.id, end_of_year + timedelta(days=1)) == 1


def test_sale_and_payout_through_the_ledger(session, storage, gateway, emulator):
    creator = make_creator(session)
    asset = published_asset(session, storage, creator=creator)
    business = make_business(session)
    start = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        licence = _sell(session, gateway, asset, business)
        hold = timedelta(hours=terms_for(session, creator.id).hold_hours)
        assert licence.clears_at == start + hold
        assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 1_500
        assert ledger.balance(session, ledger.PLATFORM_FEES, "USD") == 1_000
        assert ledger.check(session).ok
        # Not before the hold, and not to a creator without payouts.
        with pytest.raises(Conflict):
            pay_out_subject(session, gateway, "media_license", licence.id)
        clock.advance(hold + timedelta(minutes=1))
        with pytest.raises(PayoutBlocked):
            pay_out_subject(session, gateway, "media_license", licence.id)
        report = run_due(session, gateway)
        # The payout waits for onboarding; the mails (licence sold, payout held) leave.
        assert (report.done, report.retried) == (2, 1)
        onboard(session, gateway, emulator, creator)
        # Onboarding made the waiting payout due at once (no 6-hour wait).
        report = run_due(session, gateway)
        assert report.done == 2  # the transfer and the "payout sent" mail
    session.expire_all()
    licence = session.get(MediaLicense, licence.id)
    assert licence.stripe_transfer_id and licence.paid_out_at is not None
    assert session.query(Job).filter(Job.kind == "payout").one().status == JobStatus.DONE
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 0
    assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == 1_500
    report = ledger.check(session)
    assert report.ok, report.problems
    # Idempotent: paying out again returns the same transfer and books nothing.
    snapshot = ledger.snapshot(session)
    paid = pay_out_subject(session, gateway, "media_license", licence.id)
    assert paid.stripe_transfer_id == licence.stripe_transfer_id
    assert ledger.snapshot(session) == snapshot
