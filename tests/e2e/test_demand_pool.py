"""Issue 19's walk in a real browser: a creator opens a demand pool with three tiers; three
businesses pledge by saving a card through Stripe.js (one with 3-D Secure); ``flask dev
advance`` passes the deadline, so every pledge is charged off-session the tier price reached
(3 pledges: 60.00 each, not the 80.00 of two); the creator delivers; two businesses accept,
the acceptance window accepts for the third; the clearance hold passes and the payouts
leave; the ledger balances."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import clock
from app.accounts.models import User
from app.devtools import demo_clock
from app.payments import ledger
from app.pools.models import DemandPool
from tests.checkout_support import THREE_D_SECURE, VISA
from tests.e2e.browser import Page
from tests.payments.helpers import onboard

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture()
def demo_time(app: Flask) -> Iterator[None]:
    demo_clock.offset_path(app).unlink(missing_ok=True)
    try:
        yield
    finally:
        clock.use_offset_file(None)
        demo_clock.offset_path(app).unlink(missing_ok=True)


def _advance(app: Flask, days: int) -> str:
    result = app.test_cli_runner().invoke(args=["dev", "advance", "--days", str(days)])
    assert result.exit_code == 0, result.output
    return result.output


def test_pool_three_tiers_three_pledges_charged_delivered_accepted_paid(
    browser, browser_app, live_server, committed, gateway, emulator, demo_time
):
    page = Page(browser, live_server.url, browser_app)
    page.sign_up("lena@example.com", "Lena Ortiz", creator=True, business=False)
    page.open("/pools")
    page.press("Open a pool")
    page.fill("title", "Stock photo pack: coffee shops")
    page.fill("description", "Forty photos of independent coffee shops, web and print sizes.")
    page.select("category", "Photography")
    page.fill("delivery_promise", "A zip of 40 photos with a commercial licence")
    page.select("currency", "EUR")
    page.fill("min_pledges", "2")
    for n, (count, price) in enumerate((("2", "80"), ("3", "60"), ("5", "45")), start=1):
        page.fill(f"tier{n}_count", count)
        page.fill(f"tier{n}_price", price)
    page.screenshot("19-01-open-pool")
    page.press("Open the pool")
    match = re.match(r"/pools/(\d+)$", page.path)
    assert match, (page.path, page.text[:500])
    pool_id = int(match.group(1))
    creator = committed.scalars(select(User).where(User.email == "lena@example.com")).one()
    onboard(committed, gateway, emulator, creator)
    committed.commit()

    emails = ["b1@example.com", "b2@example.com", "b3@example.com"]
    for number, (email, card) in enumerate(zip(emails, (VISA, THREE_D_SECURE, VISA), strict=True)):
        page.sign_up(email, f"Buyer {number}", creator=False, business=True)
        page.open(f"/pools/{pool_id}")
        page.press("Pledge")
        assert page.path == f"/pools/{pool_id}/pledge"
        page.type_card(card)
        if card == THREE_D_SECURE:
            page.start_paying()
            page.answer_three_d_secure(complete=True)
        else:
            page.pay()
        assert page.path == f"/pools/{pool_id}", page.text[:500]
        assert "Pledged" in page.text
    page.screenshot("19-02-pledged")
    assert "3 pledges so far" in page.text

    # The deadline passes: the close timer charges everyone the tier reached.
    output = _advance(browser_app, 15)
    assert "delivering" in output or "funded" in output, output
    committed.rollback()
    committed.expire_all()
    pool = committed.get(DemandPool, pool_id)
    assert pool.state == "delivering" and pool.price_minor == 6000
    assert [p.amount_minor for p in pool.pledges] == [6000] * 3
    committed.rollback()

    page.sign_in("lena@example.com")
    page.open(f"/pools/{pool_id}")
    page.fill("note", "https://example.com/coffee-pack.zip")
    page.press("Deliver")
    assert "Delivered" in page.text
    for email in emails[:2]:
        page.sign_in(email)
        page.open(f"/pools/{pool_id}")
        page.press("Accept the delivery")
        assert "Delivery accepted" in page.text
    # The third says nothing: the window accepts; then the clearance hold passes.
    _advance(browser_app, 8)
    _advance(browser_app, 30)
    committed.rollback()
    committed.expire_all()
    pool = committed.get(DemandPool, pool_id)
    assert pool.state == "settled"
    assert ledger.balance(committed, ledger.creator_pending(creator.id), "EUR") == 0
    paid = ledger.balance(committed, ledger.creator_paid(creator.id), "EUR")
    assert 0 < paid < 18000
    page.open(f"/pools/{pool_id}")
    page.screenshot("19-03-settled")
    report = ledger.check(committed)
    assert report.ok, report.problems
