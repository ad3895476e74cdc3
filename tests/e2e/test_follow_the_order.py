"""Issue 14's walk in a real browser: a business orders a package; the creator sees the
notification and the order in Orders, delivers; the business accepts; both review;
``flask dev advance`` passes the clearance hold; the payout leaves and the creator's earnings
list shows it with its receipt."""

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


def _review(page: Page, contract_path: str, text: str) -> None:
    page.open(contract_path + "/review")
    page.check("rating", "5")
    page.fill("text", text)
    page.press("Submit review")


def test_order_notify_deliver_accept_review_advance_payout_receipt(
    browser, browser_app, live_server, committed, gateway, emulator, demo_time
):
    page = Page(browser, live_server.url, browser_app)

    # A creator publishes a service offer and sets up payouts (the emulator's onboarding).
    page.sign_up("mara@example.com", "Mara Quinn", creator=True, business=False)
    page.open("/offers/new/service")
    page.fill("title", "Product photos for online shops")
    page.fill(
        "description",
        "Clean white-background product photos, retouched, in web and print sizes, "
        "ready for your shop within a week.",
    )
    page.select("category", "Photography")
    page.fill("tags", "product photography, retouching")
    page.fill("basic-price", "300")
    page.fill("basic-delivery_days", "7")
    page.fill("basic-includes", "Ten products, three angles each")
    assert "you receive" in page.text.lower()  # the fee preview before pricing
    page.press("Save draft")
    page.press("Publish")
    offer_path = page.path
    creator = committed.scalars(select(User).where(User.email == "mara@example.com")).one()
    onboard(committed, gateway, emulator, creator)
    committed.commit()

    # A business orders the basic package and funds it with a test card.
    page.sign_up("ivo@example.com", "Ivo Brandt", creator=False, business=True)
    page.open(offer_path.split("?")[0])
    page.press_containing("Order basic")
    assert page.path.startswith("/contracts/"), page.path
    contract_path = re.match(r"/contracts/\d+", page.path).group(0)  # type: ignore[union-attr]
    assert "waiting for funding" in page.text.lower()
    page.press_containing("Fund")
    page.type_card("4242 4242 4242 4242")  # into the Stripe.js card field
    page.pay()
    assert "funded" in page.text.lower()

    # The creator sees the bell, the notifications and the order in Orders.
    page.sign_in("mara@example.com")
    bell = browser.find_element("css selector", "a.bell")
    assert int(bell.get_attribute("data-unread")) >= 2
    page.open("/notifications")
    assert "New order: Product photos for online shops" in page.text
    assert "Funded, you can start" in page.text
    page.screenshot("14-01-creator-notifications")
    page.open("/orders")
    assert "Product photos for online shops" in page.text
    assert "funded, in progress" in page.text.lower()
    page.screenshot("14-02-creator-orders")
    page.press_containing("Deliver")
    page.fill("message", "Thirty photos in the shared folder, web and print sizes.")
    page.press("Deliver for review")

    # The business is told, and accepts.
    page.sign_in("ivo@example.com")
    page.open("/notifications")
    assert "Work delivered for your review" in page.text
    page.open("/orders?show=action")
    assert "Review the delivery" in page.text
    page.open(contract_path)
    page.press("Accept and release payment")
    assert "released" in page.text.lower() or "accepted" in page.text.lower()

    # Reviews open at acceptance: both sides review.
    _review(page, contract_path, "Clear brief, quick answers and a fair price. Thank you!")
    page.sign_in("mara@example.com")
    page.open("/notifications")
    assert "Work accepted" in page.text and "You received a review" in page.text
    _review(page, contract_path, "Beautiful photos, delivered early and exactly as agreed.")
    page.open(contract_path)
    assert "Clear brief, quick answers" in page.text  # both in: revealed

    # The clearance hold passes in a minute: the payout leaves.
    page.open("/earnings")
    assert "clearing until" in page.text.lower()
    result = browser_app.test_cli_runner().invoke(args=["dev", "advance", "--days", "9"])
    assert result.exit_code == 0, result.output
    assert "transferred" in result.output, result.output

    page.open("/earnings")
    page.screenshot("14-03-earnings-paid")
    assert "paid out on" in page.text.lower() and "You receive $270.00" in page.text
    page.open("/notifications")
    assert "Payout sent: $270.00" in page.text
    page.open("/earnings")
    page.press("Receipt")
    assert page.path.startswith("/receipts/payout/")
    assert "$300.00" in page.text and "$270.00" in page.text and "Stripe transfer" in page.text
    page.screenshot("14-04-receipt")

    report = ledger.check(committed)
    assert report.ok, report.problems
