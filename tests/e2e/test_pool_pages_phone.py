"""Demand-pool pages and the Orders page on a 390 px phone, with the long words people type
(a pool title, a company name): the board, a pool as a visitor, a pledger and its creator see
it, the new-pool form, the pledge page (Stripe.js card field) and both sides' Orders lists
with pool rows. No page may scroll sideways."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app import clock
from app.pools import pledging
from tests.e2e.browser import Page
from tests.e2e.test_pages_layout import PHONE, _viewport
from tests.factories import PASSWORD, make_business, make_creator
from tests.pools.support import make_pool, pledge

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

LONG = "Stockphotographypackforindependentcoffeeshopsandroasteries"


def _too_wide(driver) -> dict:  # noqa: ANN001
    """The page's width against the phone's 390 px, and the widest offenders. Measured
    against PHONE, not ``innerWidth``: Chrome's mobile emulation widens the layout viewport
    to fit a page that overflows, so ``innerWidth`` grows with the overflow."""
    return dict(
        driver.execute_script(
            """
            const limit = arguments[0];
            const wide = [...document.querySelectorAll('body *')]
              .filter(el => el.getBoundingClientRect().right > limit + 1)
              .slice(0, 5)
              .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
            return {scroll: document.documentElement.scrollWidth, wide: wide};
            """,
            PHONE,
        )
    )


def test_pool_pages_and_orders_fit_a_phone(browser, live_server, committed, gateway, emulator):
    session = committed
    creator = make_creator(session, name=f"Lena {LONG}")
    pool = make_pool(
        session,
        title=f"Pack: {LONG}",
        description=f"Forty photos. {LONG * 3}",
        delivery_promise=f"A zip: {LONG * 2}",
        deadline=clock.now() + timedelta(days=3),
    )
    pool.creator = creator
    pledger = make_business(session, name=f"Roastery {LONG}")
    pledger.company_name = f"Roastery {LONG} Ltd"
    pledge(session, gateway, pool, business=pledger)
    saving = make_business(session)
    pledging.start_pledge(session, gateway, pool.id, saving)
    session.commit()
    pool_id, emails = pool.id, (creator.email, pledger.email, saving.email)
    session.rollback()

    page = Page(browser, live_server.url)
    pages = {
        None: ["/pools", f"/pools/{pool_id}"],
        emails[1]: ["/pools", f"/pools/{pool_id}", "/orders?show=all"],
        emails[2]: [f"/pools/{pool_id}/pledge", "/orders?show=all"],
        emails[0]: ["/pools", "/pools/new", f"/pools/{pool_id}", "/orders?show=all"],
    }
    problems: list[str] = []
    for email, paths in pages.items():
        _viewport(browser, PHONE)
        if email is None:
            browser.delete_all_cookies()
        else:
            page.sign_in(email, PASSWORD)
        for path in paths:
            page.open(path)
            assert "Page not found" not in page.text and "Server error" not in page.text, path
            if path.startswith("/orders"):
                assert LONG in page.text, f"{email}: no pool row on {path}"
            size = _too_wide(browser)
            if size["scroll"] > PHONE:
                problems.append(f"{email} {path}: {size['scroll']} px: {size['wide']}")
    assert not problems, json.dumps(problems, indent=1)
