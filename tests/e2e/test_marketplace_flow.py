"""A creator and a business go through the whole marketplace in a real browser.

Creator signs up and publishes an offer; a business signs up, posts a brief, sees the
creator recommended, invites them, accepts their proposal, funds the milestone with a test
card typed into the Stripe.js field; the creator delivers, the business accepts, and the
creator's earnings page shows the clearance hold. Screenshots of the main pages land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import clock
from app.payments import ledger
from tests.e2e.browser import Page

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_hire_fund_deliver_accept_in_a_browser(
    browser, browser_app, live_server, committed, gateway
):
    # ``gateway`` gives this run its own Stripe idempotency namespace: ids restart after the
    # committed fixture empties the tables, while the emulator remembers earlier keys.
    page = Page(browser, live_server.url, browser_app)

    # A creator signs up and publishes a service offer.
    page.sign_up("lena@example.com", "Lena Park", creator=True, business=False)
    page.open("/offers/new/service")
    page.fill("title", "Wedding photography and portraits")
    page.fill(
        "description",
        "Documentary wedding photography: ceremony, portraits and the "
        "party, with 400 edited photos delivered within two weeks.",
    )
    page.select("category", "Photography")
    page.fill("tags", "wedding photography, portraits, Lightroom")
    page.fill("basic-price", "450")
    page.fill("basic-delivery_days", "14")
    page.fill("basic-includes", "Full-day coverage and 400 edited photos")
    page.press("Save draft")
    page.press("Publish")
    assert "published" in page.text.lower()
    page.screenshot("01-offer-published")

    # A business signs up and posts a brief.
    page.sign_up("tom@example.com", "Tom Becker", creator=False, business=True)
    page.open("/briefs/new")
    page.fill("title", "Photographer for our wedding in June")
    page.fill(
        "description",
        "We are looking for a wedding photographer to cover the "
        "ceremony and the reception, and to deliver edited portraits.",
    )
    page.select("category", "Photography")
    page.fill("skills", "wedding photography")
    page.check("offer_kinds", "service")
    page.fill("budget_min_minor", "300")
    page.fill("budget_max_minor", "800")
    page.select("currency", "USD")
    page.fill("deadline", (clock.now().date() + timedelta(days=40)).strftime("%m/%d/%Y"))
    page.press("Publish")
    brief_path = page.path
    assert re.fullmatch(r"/briefs/\d+", brief_path), page.path
    page.screenshot("02-brief-posted")

    # The creator is recommended, with reasons, and gets invited.
    page.press("See recommended creators")
    assert "Lena Park" in page.text and "wedding" in page.text.lower()
    page.screenshot("03-recommended-creators")
    page.press("Invite to this brief")
    assert "Invited" in page.text or "invited" in page.text

    # The invited creator sees the invitation and sends a proposal.
    page.sign_in("lena@example.com")
    page.open("/my/proposals")
    assert "Photographer for our wedding in June" in page.text
    page.open(brief_path)
    page.fill(
        "cover_letter",
        "I photographed sixty weddings; portfolio on my profile. Happy to meet for a coffee first.",
    )
    page.fill("price_minor", "500")
    page.fill("delivery_days", "14")
    page.press("Send proposal")
    assert "Your proposal" in page.text

    # The business accepts the proposal and funds the milestone with a test card.
    page.sign_in("tom@example.com")
    page.open(brief_path)
    page.press("Accept and hire")
    assert page.path.startswith("/contracts/"), page.path
    contract_path = page.path
    page.press_containing("Fund")
    page.type_card("4242 4242 4242 4242")  # into the Stripe.js card field
    page.pay()
    assert "funded" in page.text.lower()
    page.screenshot("04-milestone-funded")

    # The creator delivers; the business accepts.
    page.sign_in("lena@example.com")
    page.open(contract_path)
    page.press("Deliver")
    page.fill("message", "All 400 photos are in the shared gallery; the album layout follows.")
    page.press("Deliver for review")
    page.sign_in("tom@example.com")
    page.open(contract_path)
    page.press("Accept and release payment")
    assert "released" in page.text.lower()
    page.screenshot("05-delivery-accepted")

    # The creator's earnings show the money clearing, with the fee and hold formula.
    page.sign_in("lena@example.com")
    page.open("/earnings")
    page.screenshot("06-earnings")
    text = page.text.lower()
    # $500 less the neutral-reputation fee of 10%, waiting out the hold.
    assert "clearing" in text and "$450.00" in page.text, page.text
    assert "clearance hold" in text and "15% − 10% × reputation" in page.text

    report = ledger.check(committed)
    assert report.ok, report.problems


def test_dispute_opened_by_the_business_is_resolved_by_a_moderator(
    browser, browser_app, live_server, committed, gateway, emulator
):
    from tests.factories import PASSWORD as FACTORY_PASSWORD
    from tests.factories import make_user
    from tests.payments.helpers import delivered_milestone, stripe_client

    milestone = delivered_milestone(committed, gateway, amount=10_000)
    contract = milestone.contract
    moderator = make_user(committed, moderator=True, name="Riley Moderator")
    business_email, creator_email = contract.business.email, contract.creator.email
    contract_id, contract_title = contract.id, contract.title
    payment_intent_id, moderator_email = milestone.payment_intent_id, moderator.email
    committed.commit()  # and hold no read transaction while the browser writes
    page = Page(browser, live_server.url)

    # The business is unhappy with the delivery and opens a dispute from the contract page.
    page.sign_in(business_email, FACTORY_PASSWORD)
    page.open(f"/contracts/{contract_id}")
    page.press_containing("Open a dispute")
    page.fill("reason", "The logo delivered is not the concept we agreed on in our messages.")
    page.press("Open dispute")
    dispute_path = page.path
    assert re.fullmatch(r"/disputes/\d+", dispute_path), page.text[-1500:]
    page.screenshot("07-dispute-opened")

    # The creator answers.
    page.sign_in(creator_email, FACTORY_PASSWORD)
    page.open(dispute_path)
    page.fill("response", "The concept follows the brief; I offered a free revision twice.")
    page.press("Send response")

    # A moderator takes the case from the queue and splits the money 40/60.
    page.sign_in(moderator_email, FACTORY_PASSWORD)
    page.open("/moderation/disputes")
    assert contract_title in page.text or dispute_path.rsplit("/", 1)[1] in page.text
    page.open(dispute_path)
    page.press("Handle this dispute")
    page.check("outcome", "split")
    page.fill("refund", "40.00")
    page.fill("note", "Both sides have a point: 40% back to the business, 60% to the creator.")
    page.press("Resolve")
    assert "resolved" in page.text.lower()
    page.screenshot("08-dispute-resolved")

    # Exactly one refund of the business's share reached Stripe, and the books balance.
    committed.expire_all()
    refunds = stripe_client(emulator).v1.refunds.list({"payment_intent": payment_intent_id})
    assert [refund.amount for refund in refunds.data] == [4_000]
    report = ledger.check(committed)
    assert report.ok, report.problems
