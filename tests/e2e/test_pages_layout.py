"""Every main page, as people see it: on a 390 px phone and a 1366 px desktop, with pictures,
without horizontal scrolling, and without accessibility violations found by axe-core.

One browser and one small seeded marketplace (the demo seed, pictures included) for the
whole module. Screenshots (JPEG) of each page on the phone, the width where layouts break,
land in test-artifacts/screenshots/.
axe-core is vendored (tests/e2e/vendor/axe-core) and injected with Selenium, so it runs
offline and never touches the app's CSP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import User
from app.briefs.models import Brief, BriefStatus
from app.media.models import MediaAsset, MediaState
from app.media.storage import storage_for
from app.offers.models import Offer, OfferKind, OfferStatus
from app.pools.services import PoolInput, open_pool
from app.seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, SeedSize, seed
from tests.e2e.browser import Page
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE, DESKTOP = 390, 1366
# Pages that must show pictures (the "Done when"), by the name used below.
WITH_PICTURES = {"home", "catalog", "stock-media", "offer", "profile", "recommendations"}


def _viewport(driver: Any, width: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800},
    )


def _screenshot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _loaded_pictures(driver)  # lazy pictures below the fold would be blank otherwise
    shot = driver.execute_cdp_cmd(
        # JPEG: a whole page as PNG costs Chrome several times the encoding time.
        "Page.captureScreenshot",
        {"format": "jpeg", "quality": 70, "captureBeyondViewport": True},
    )
    (ARTIFACTS / f"{name}.jpg").write_bytes(base64.b64decode(shot["data"]))


def _overflow(driver: Any, width: int | None = None) -> dict[str, Any]:
    """The document's width against ``width`` (the emulated screen), and the widest offenders
    if any. Not against ``innerWidth``: Chrome's mobile emulation widens the layout viewport
    to fit a page that overflows, so ``innerWidth`` grows with the overflow."""
    return dict(
        driver.execute_script(
            """
            const limit = arguments[0] || window.innerWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter(el => el.getBoundingClientRect().right > limit + 1)
              .slice(0, 5)
              .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
            return {scroll: document.documentElement.scrollWidth, viewport: limit, wide: wide};
            """,
            width,
        )
    )


def _loaded_pictures(driver: Any) -> int:
    """Pictures on the page that really decoded (lazy ones are scrolled into view first)."""
    return int(
        driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const images = [...document.querySelectorAll('main img')];
            images.forEach(img => { img.loading = 'eager'; });
            Promise.all(images.map(img => img.decode().catch(() => null)))
              .then(() => done(images.filter(img => img.naturalWidth > 0).length));
            """
        )
    )


def _axe(driver: Any) -> list[dict[str, Any]]:
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
          .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));
        """,
        AXE_TAGS,
    )
    return list(result)


@pytest.fixture()
def marketplace(browser_app, committed) -> dict[str, Any]:
    """A small demo marketplace (the real seed, with pictures), committed."""
    seed(
        committed,
        size=SeedSize(creators=20, businesses=3, briefs=8),
        storage=storage_for(browser_app),
    )
    committed.commit()
    demo_creator = committed.scalar(select(User).where(User.email == DEMO_ACCOUNTS["creator"]))
    business = committed.scalar(select(User).where(User.email == DEMO_ACCOUNTS["business"]))
    assert demo_creator is not None and business is not None
    offer = committed.scalar(
        select(Offer)
        .where(Offer.creator_id == demo_creator.id, Offer.status == OfferStatus.PUBLISHED)
        .order_by(Offer.id)
    )
    asset = committed.scalar(
        select(MediaAsset).where(MediaAsset.state == MediaState.PUBLISHED).order_by(MediaAsset.id)
    )
    brief = committed.scalar(
        select(Brief)
        .where(Brief.business_id == business.id, Brief.status == BriefStatus.OPEN)
        .order_by(Brief.id)
    )
    stock_offer = committed.scalar(
        select(Offer)
        .where(Offer.kind == OfferKind.STOCK_MEDIA, Offer.status == OfferStatus.PUBLISHED)
        .order_by(Offer.id)
    )
    assert offer and asset and brief and stock_offer, "the demo seed made too little"
    pool = open_pool(
        committed,
        demo_creator,
        PoolInput(
            title="Stock photo pack: coffee shops",
            description="Forty photos of independent coffee shops, web and print sizes.",
            category=offer.category,
            currency="EUR",
            deadline=clock.now() + timedelta(days=7),
            min_pledges=2,
            tiers=[(2, 8000), (3, 6000), (5, 4500)],
            delivery_promise="A zip of 40 photos with a commercial licence",
        ),
    )
    ids = {
        "creator": demo_creator.id,
        "offer": offer.id,
        "asset": asset.id,
        "brief": brief.id,
        "stock_offer": stock_offer.id,
        "pool": pool.id,
    }
    committed.commit()  # hold no read transaction while the browser works
    return ids


def _pages(ids: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """(name, path) of the main pages, per who looks at them."""
    return {
        "anonymous": [
            ("home", "/"),
            ("catalog", "/offers"),
            ("catalog-search", "/offers?q=help+me+with+my+taxes"),
            ("offer", f"/offers/{ids['offer']}"),
            ("stock-offer", f"/offers/{ids['stock_offer']}"),
            ("stock-media", "/media"),
            ("stock-asset", f"/media/{ids['asset']}"),
            ("profile", f"/creators/{ids['creator']}"),
            ("briefs", "/briefs"),
            ("contests", "/contests"),
            ("pools", "/pools"),
            ("pool", f"/pools/{ids['pool']}"),
            ("login", "/login"),
            ("register", "/register"),
        ],
        "business": [
            ("dashboard-business", "/dashboard"),
            ("recommendations", f"/briefs/{ids['brief']}/recommendations"),
            ("brief", f"/briefs/{ids['brief']}"),
            ("brief-form", "/briefs/new"),
            ("my-briefs", "/my/briefs"),
            ("interests", "/interests"),
            ("payments", "/payments"),
            ("orders-business", "/orders?show=all"),
            ("notifications-business", "/notifications"),
            ("pool-business", f"/pools/{ids['pool']}"),
            ("pool-pledge", f"/pools/{ids['pool']}/pledge"),
        ],
        "creator": [
            ("my-offers", "/my/offers"),
            ("offer-form", "/offers/new/service"),
            ("offer-pictures", f"/offers/{ids['offer']}/pictures"),
            ("profile-form", "/settings/profile"),
            ("pictures", "/settings/pictures"),
            ("earnings", "/earnings"),
            ("insights", "/insights"),
            ("messages", "/messages"),
            ("orders-creator", "/orders?show=all"),
            ("notifications", "/notifications"),
            ("notification-settings", "/notifications/settings"),
            ("pool-form", "/pools/new"),
            ("pool-creator", f"/pools/{ids['pool']}"),
        ],
        "admin": [
            ("admin", "/admin"),
            ("moderation", "/moderation"),
        ],
    }


def test_main_pages_fit_a_phone_show_pictures_pass_axe_and_the_menu_collapses(
    browser, live_server, marketplace
):
    page = Page(browser, live_server.url)
    problems: list[str] = []
    logins: dict[str, Callable[[], None]] = {
        "anonymous": browser.delete_all_cookies,
        "business": lambda: page.sign_in(DEMO_ACCOUNTS["business"], DEMO_PASSWORD),
        "creator": lambda: page.sign_in(DEMO_ACCOUNTS["creator"], DEMO_PASSWORD),
        "admin": lambda: page.sign_in(DEMO_ACCOUNTS["admin"], DEMO_PASSWORD),
    }
    for who, pages in _pages(marketplace).items():
        _viewport(browser, DESKTOP)
        logins[who]()
        for name, path in pages:
            _viewport(browser, DESKTOP)
            page.open(path)
            if "Page not found" in page.text or "Server error" in page.text:
                problems.append(f"{name}: {page.text[:200]}")
                continue
            for violation in _axe(browser):
                problems.append(
                    f"{name}: axe {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} at {violation['nodes']}"
                )
            if name in WITH_PICTURES and _loaded_pictures(browser) == 0:
                problems.append(f"{name}: no picture shown")
            _viewport(browser, PHONE)
            page.open(path)
            size = _overflow(browser, PHONE)
            if size["scroll"] > size["viewport"]:
                problems.append(f"{name}: {size['scroll']} px wide at {PHONE} px: {size['wide']}")
            _screenshot(browser, f"layout-{name}-{PHONE}")
    assert not problems, json.dumps(problems, indent=1)

    # The header collapses behind its "Menu" button on a phone and opens with it.
    _viewport(browser, PHONE)
    page.open("/")
    menu = browser.find_element("id", "site-menu")
    toggle = browser.find_element("css selector", "[data-nav-toggle]")
    assert toggle.is_displayed() and not menu.is_displayed()
    toggle.click()
    assert menu.is_displayed() and toggle.get_attribute("aria-expanded") == "true"
    _viewport(browser, DESKTOP)
    page.open("/")
    assert browser.find_element("id", "site-menu").is_displayed()
    assert not browser.find_element("css selector", "[data-nav-toggle]").is_displayed()
