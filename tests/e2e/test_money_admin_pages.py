"""The money pages of the people who look after it, in headless Chromium (issue 13): the
moderators' chargebacks page (see a chargeback, send evidence to Stripe) and the admins'
payouts needing attention (retry), each at a 1366 px desktop and a 390 px phone without
horizontal scrolling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import clock
from app.devtools.stripe_emulator import EmulatorProcess
from app.payments.gateway import PaymentGateway
from app.settlement import chargebacks
from app.settlement.models import Chargeback, Payout, PayoutState
from tests.e2e.browser import Page
from tests.e2e.test_pages_layout import DESKTOP, PHONE, _overflow, _viewport
from tests.factories import PASSWORD, make_user
from tests.kernel.test_payout_attention import _released, _until_attention
from tests.payments.helpers import funded_milestone, stripe_client

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture()
def staff_page(browser: Any, browser_app: Any, live_server: Any, gateway: Any) -> Page:
    return Page(browser, live_server.url)


def _fits(page: Page, width: int) -> None:
    size = _overflow(page.driver, width)
    assert size["scroll"] <= size["viewport"], f"{size['scroll']} px wide at {width}: {size}"


def _readable_cells(page: Page) -> list[int]:
    """Widths of the table's first row cells: squeezed columns (a letter a line) fit the
    screen but cannot be read, so on a phone each cell must take the row's width."""
    cells = page.driver.find_elements("css selector", "main table tbody tr:first-child td")
    return [int(cell.rect["width"]) for cell in cells]


def test_moderator_sees_a_chargeback_and_sends_evidence_on_desktop_and_phone(
    staff_page: Page,
    committed: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
) -> None:
    milestone = funded_milestone(committed, gateway, amount=10_000)
    stripe_dispute = emulator.open_dispute(str(milestone.charge_id))
    chargebacks.sync(committed, gateway, stripe_dispute["id"])
    moderator = make_user(committed, moderator=True)
    email = moderator.email
    committed.commit()

    staff_page.sign_in(email, PASSWORD)
    for width in (DESKTOP, PHONE):
        _viewport(staff_page.driver, width)
        staff_page.open("/moderation/chargebacks")
        assert stripe_dispute["id"] in staff_page.text
        assert "Send evidence to Stripe" in staff_page.text
        _fits(staff_page, width)
        staff_page.screenshot(f"chargebacks-{width}")

    # On the phone: the evidence goes to Stripe and the page shows it was sent.
    staff_page.fill("evidence", "Logo delivered on time; the business approved it.")
    staff_page.press("Send evidence to Stripe")
    assert "Evidence sent" in staff_page.text, staff_page.text[:500]
    _fits(staff_page, PHONE)
    at_stripe = stripe_client(emulator).v1.disputes.retrieve(stripe_dispute["id"])
    assert at_stripe.evidence.uncategorized_text.startswith("Logo delivered on time")
    assert at_stripe.status == "under_review"
    committed.rollback()
    committed.expire_all()
    chargeback = committed.query(Chargeback).one()
    assert chargeback.evidence_sent_at is not None


def test_admin_retries_a_payout_needing_attention_on_desktop_and_phone(
    staff_page: Page,
    committed: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    browser_app: Any,
) -> None:
    previous = browser_app.config["JOBS_MAX_ATTEMPTS"]
    browser_app.config["JOBS_MAX_ATTEMPTS"] = 3
    try:
        with clock.frozen_at(T0):
            payout = _released(committed, gateway, emulator)
            emulator.fail_next_transfers(mode="server_error")
            _until_attention(committed, gateway, payout)
    finally:
        browser_app.config["JOBS_MAX_ATTEMPTS"] = previous
    payout_id = payout.id
    admin = make_user(committed, admin=True)
    email = admin.email
    committed.commit()

    staff_page.sign_in(email, PASSWORD)
    for width in (DESKTOP, PHONE):
        _viewport(staff_page.driver, width)
        staff_page.open("/admin/payouts")
        assert "Payouts needing attention" in staff_page.text
        assert f"Milestone #{payout.subject_id}" in staff_page.text, staff_page.text[:800]
        _fits(staff_page, width)
        if width == PHONE:
            assert min(_readable_cells(staff_page)) >= 300, _readable_cells(staff_page)
        staff_page.screenshot(f"payouts-attention-{width}")

    staff_page.press("Retry")
    assert "No payout needs attention." in staff_page.text, staff_page.text[:500]
    _fits(staff_page, PHONE)
    committed.rollback()
    committed.expire_all()
    retried = committed.get(Payout, payout_id)
    assert retried is not None and retried.state is PayoutState.SCHEDULED
