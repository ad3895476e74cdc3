"""Every purchase page paid in headless Chromium through Stripe.js (the emulator's, loaded from
STRIPE_JS_URL under the page's CSP): the card is typed into the Stripe field, 3-D Secure is
answered in its dialog, declines show under the field, and the ledger is checked after each.

Purchase pages: milestone funding (/milestones/<id>/fund, also the page of campaign orders and
negotiated deals, which pay through their milestone), licence purchase (/licenses/<id>/pay),
contest prize (/contests/<id>/fund).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.contests import services as contests
from app.contests.models import Contest
from app.media.models import LicenseStatus, MediaLicense
from app.media.storage import storage_for
from app.payments import ledger
from app.payments.models import JournalEntry, Milestone
from tests.checkout_support import DECLINED, THREE_D_SECURE, VISA
from tests.e2e.browser import Page
from tests.factories import PASSWORD, make_business
from tests.media.helpers import published_asset
from tests.payments.helpers import first_milestone, make_contract, stripe_client

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _fresh(session: Session) -> None:
    # End the test's read transaction (the browser's requests committed since it began) and
    # forget loaded rows.
    session.rollback()
    session.expire_all()


def _entries(session: Session, prefix: str) -> int:
    _fresh(session)
    query = select(func.count()).where(JournalEntry.key.like(f"{prefix}%"))
    return int(session.scalar(query) or 0)


def _pending_milestone(committed: Session, amount: int = 12_000) -> tuple[int, int, str]:
    contract = make_contract(committed, amount=amount)
    milestone = first_milestone(committed, contract)
    ids = (contract.id, milestone.id, contract.business.email)
    committed.commit()  # and hold no read transaction while the browser writes
    return ids


def _milestone(committed: Session, milestone_id: int) -> Milestone:
    _fresh(committed)
    found = committed.get(Milestone, milestone_id)
    assert found is not None
    return found


def _books_balance(committed: Session) -> None:
    _fresh(committed)
    report = ledger.check(committed)
    assert report.ok, report.problems


@pytest.fixture()
def shop(browser: Any, browser_app: Any, live_server: Any, committed: Session, gateway: Any) -> Any:
    # ``gateway``: this run's own Stripe idempotency namespace (ids restart between tests).
    return Page(browser, live_server.url)


def test_milestone_paid_with_the_success_card(shop: Page, committed: Session) -> None:
    contract_id, milestone_id, email = _pending_milestone(committed)
    shop.sign_in(email, PASSWORD)
    shop.open(f"/contracts/{contract_id}")
    shop.press_containing("Fund")
    assert shop.path == f"/milestones/{milestone_id}/fund"
    assert "Emulator test cards" in shop.text  # the demo says what to type
    shop.type_card(VISA)
    shop.pay()
    assert shop.path == f"/contracts/{contract_id}", shop.path
    assert "Payment received" in shop.text and "is funded" in shop.text
    shop.screenshot("checkout-01-milestone-funded")
    assert _milestone(committed, milestone_id).state == "funded"
    assert ledger.balance(committed, ledger.escrow(milestone_id), "USD") == 12_000
    assert _entries(committed, f"milestone-{milestone_id}-") == 1
    _books_balance(committed)


def test_three_d_secure_completed_funds_the_milestone(shop: Page, committed: Session) -> None:
    contract_id, milestone_id, email = _pending_milestone(committed)
    shop.sign_in(email, PASSWORD)
    shop.open(f"/milestones/{milestone_id}/fund")
    shop.type_card(THREE_D_SECURE)
    shop.start_paying()
    shop.screenshot("checkout-02-three-d-secure")
    shop.answer_three_d_secure(complete=True)
    assert shop.path == f"/contracts/{contract_id}", shop.path
    assert "Payment received" in shop.text
    assert _milestone(committed, milestone_id).state == "funded"
    assert ledger.balance(committed, ledger.escrow(milestone_id), "USD") == 12_000
    assert _entries(committed, f"milestone-{milestone_id}-") == 1
    _books_balance(committed)


def test_three_d_secure_cancelled_leaves_the_milestone_unfunded(
    shop: Page, committed: Session
) -> None:
    _contract_id, milestone_id, email = _pending_milestone(committed)
    before = ledger.snapshot(committed)
    shop.sign_in(email, PASSWORD)
    shop.open(f"/milestones/{milestone_id}/fund")
    shop.type_card(THREE_D_SECURE)
    shop.start_paying()
    shop.answer_three_d_secure(complete=False)
    message = shop.card_error()
    assert "unable to authenticate" in message, message
    assert shop.path == f"/milestones/{milestone_id}/fund"
    shop.screenshot("checkout-03-three-d-secure-failed")
    assert _milestone(committed, milestone_id).state == "pending"
    _fresh(committed)
    assert ledger.snapshot(committed) == before and _entries(committed, "milestone-") == 0
    # Coming back later, the page says what happened and that nothing was charged.
    shop.open(f"/milestones/{milestone_id}/fund")
    assert "failed authentication" in shop.text and "Nothing was charged" in shop.text
    _books_balance(committed)


def test_declined_card_is_shown_inline_and_books_nothing(shop: Page, committed: Session) -> None:
    _contract_id, milestone_id, email = _pending_milestone(committed)
    before = ledger.snapshot(committed)
    shop.sign_in(email, PASSWORD)
    shop.open(f"/milestones/{milestone_id}/fund")
    shop.type_card(DECLINED)
    shop.start_paying()
    assert "Your card was declined." in shop.card_error()
    assert shop.path == f"/milestones/{milestone_id}/fund"
    shop.screenshot("checkout-04-declined")
    assert _milestone(committed, milestone_id).state == "pending"
    _fresh(committed)
    assert ledger.snapshot(committed) == before
    # Another card on the same page pays the same PaymentIntent.
    shop.type_card(VISA)
    shop.pay()
    assert "Payment received" in shop.text
    assert _entries(committed, f"milestone-{milestone_id}-") == 1
    _books_balance(committed)


def test_licence_purchase(shop: Page, browser_app: Any, committed: Session) -> None:
    asset = published_asset(committed, storage_for(browser_app))
    business = make_business(committed)
    asset_id, email = asset.id, business.email
    committed.commit()
    shop.sign_in(email, PASSWORD)
    shop.open(f"/media/{asset_id}")
    shop.select("license_type", "standard")
    shop.press("Continue to payment")
    assert shop.path.startswith("/licenses/") and shop.path.endswith("/pay"), shop.path
    shop.type_card(VISA)
    shop.pay()
    assert shop.path == "/my/licenses", shop.path
    assert "Licence bought" in shop.text
    _fresh(committed)
    licence = committed.scalars(select(MediaLicense)).one()
    assert licence.status == LicenseStatus.ACTIVE
    assert _entries(committed, f"license-{licence.id}-sale") == 1
    _books_balance(committed)


def test_contest_prize(shop: Page, committed: Session) -> None:
    business = make_business(committed)
    contest = contests.create(
        committed,
        business,
        contests.ContestInput(
            title="Logo for a roastery",
            description="A bold, simple mark.",
            category="Design & Creative",
            prize_minor=30_000,
            currency="USD",
            deadline=clock.now() + timedelta(days=10),
        ),
    )
    contest_id, email = contest.id, business.email
    committed.commit()
    shop.sign_in(email, PASSWORD)
    shop.open(f"/contests/{contest_id}/fund")
    shop.type_card(VISA)
    shop.pay()
    assert shop.path == f"/contests/{contest_id}", shop.path
    assert "open for entries" in shop.text
    _fresh(committed)
    assert committed.get(Contest, contest_id).state == "open", shop.text  # type: ignore[union-attr]
    assert ledger.balance(committed, ledger.escrow_contest(contest_id), "USD") == 30_000
    assert _entries(committed, f"contest-{contest_id}-") == 1
    _books_balance(committed)


def test_double_click_and_back_button_after_paying_charge_once(
    shop: Page, committed: Session, emulator: Any
) -> None:
    contract_id, milestone_id, email = _pending_milestone(committed)
    shop.sign_in(email, PASSWORD)
    shop.open(f"/milestones/{milestone_id}/fund")
    shop.type_card(VISA)
    shop.start_paying(double_click=True)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(shop.driver, 15).until(lambda _d: shop.path == f"/contracts/{contract_id}")
    assert "Payment received" in shop.text
    # Back to the payment page: the server sends the business to the contract again.
    shop.driver.back()
    WebDriverWait(shop.driver, 15).until(lambda _d: shop.path == f"/contracts/{contract_id}")
    assert "already funded" in shop.text
    # The return page itself, reopened (a bookmark, a second tab): still one booking.
    payment_intent_id = _milestone(committed, milestone_id).payment_intent_id
    shop.open(f"/payments/return?payment_intent={payment_intent_id}")
    assert shop.path == f"/contracts/{contract_id}"
    assert _entries(committed, f"milestone-{milestone_id}-") == 1
    # Every charge the emulator holds (other tests' too, hence the paging).
    charges = stripe_client(emulator).v1.charges.list({"limit": 100}).auto_paging_iter()
    paid = [c for c in charges if c.payment_intent == payment_intent_id and c.paid]
    assert len(paid) == 1 and paid[0].amount == 12_000, [c.id for c in paid]
    _books_balance(committed)


def test_checkout_page_fits_a_phone_and_passes_axe(shop: Page, committed: Session) -> None:
    from tests.e2e.test_pages_layout import DESKTOP, PHONE, _axe, _overflow, _viewport

    _contract_id, milestone_id, email = _pending_milestone(committed)
    shop.sign_in(email, PASSWORD)
    _viewport(shop.driver, PHONE)
    shop.open(f"/milestones/{milestone_id}/fund")
    shop.type_card(DECLINED)
    shop.start_paying()
    shop.card_error()  # the page with its card field, hint and an inline error
    size = _overflow(shop.driver, PHONE)
    assert size["scroll"] <= size["viewport"], size
    violations = _axe(shop.driver)
    shop.screenshot("checkout-05-phone")
    _viewport(shop.driver, DESKTOP)
    assert violations == [], violations
