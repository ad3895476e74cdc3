"""`flask seed-demo`: a realistic, varied and deterministic demo marketplace.

Everything goes through the real services (validation, audit rows, index outbox), so demo
data obeys the same rules as user data. Same seed, same data.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.accounts import passwords
from app.accounts import services as accounts
from app.accounts.models import Availability, User
from app.briefs import services as briefs
from app.briefs.models import Brief, BriefStatus
from app.demand import services as demand
from app.extensions import db
from app.matching import vectors
from app.media.storage import MediaStorage, storage_for
from app.offers import services as offers
from app.offers import validation as offer_input
from app.offers.models import Offer
from app.seed import catalog
from app.seed.gallery import add_demo_pictures
from app.seed.outcomes import seed_outcomes

DEMO_PASSWORD = "demo-password-1"
DEMO_ACCOUNTS: dict[str, str] = {
    "creator": "creator@cobalt.example",
    "business": "business@cobalt.example",
    "moderator": "moderator@cobalt.example",
    "admin": "admin@cobalt.example",
}
CURRENCIES = ("USD", "EUR", "GBP")
CURRENCY_WEIGHTS = (6, 3, 1)


@dataclass(frozen=True)
class SeedSize:
    creators: int = 200
    businesses: int = 30
    briefs: int = 60


def _currency(rng: random.Random) -> str:
    return rng.choices(CURRENCIES, weights=CURRENCY_WEIGHTS)[0]


def _price(rng: random.Random, base: float) -> int:
    """A price around ``base`` whole units, rounded like people price (minor units)."""
    value = base * rng.uniform(0.6, 1.6)
    step = 5 if value < 200 else 25
    return max(step, int(round(value / step) * step)) * 100


def _person(rng: random.Random, n: int) -> tuple[str, str]:
    first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
    email = f"{first}.{last}.{n}@cobalt.example".lower()
    email = email.encode("ascii", "ignore").decode()
    return f"{first} {last}", email


def _service_input(
    rng: random.Random, template: tuple, currency: str
) -> offer_input.ServiceOfferInput:
    category, title, description, skills, base, days = template
    tiers = ["basic", "standard", "premium"][: rng.choice((1, 2, 3, 3))]
    packages, price = [], _price(rng, base)
    for position, tier in enumerate(tiers):
        packages.append(
            offer_input.PackageInput(
                tier=tier,
                price_minor=price,
                delivery_days=days + 2 * position,
                revisions=1 + position,
                includes={
                    "basic": "The essentials: " + skills[0].lower() + ", one concept",
                    "standard": "Everything in basic plus " + skills[-1].lower() + ", two concepts",
                    "premium": "Full package with source files, priority support and "
                    + ", ".join(s.lower() for s in skills[:3]),
                }[tier],
            )
        )
        price = int(price * rng.uniform(1.5, 2.2)) // 100 * 100
    return offer_input.ServiceOfferInput(
        title=title,
        description=description,
        category=category,
        packages=packages,
        tags=list(skills),
        currency=currency,
    )


def _stock_input(rng: random.Random, template: tuple, currency: str) -> offer_input.StockMediaInput:
    category, title, description, tags = template
    standard = _price(rng, 30)
    return offer_input.StockMediaInput(
        title=title,
        description=description,
        category=category,
        standard_license_minor=standard,
        enhanced_license_minor=standard * rng.choice((3, 4, 5)),
        tags=list(tags),
        currency=currency,
    )


def _influencer_input(
    rng: random.Random, template: tuple, currency: str, handle: str
) -> offer_input.InfluencerInput:
    category, topic, topics, platforms = template
    platform = rng.choice(platforms)
    audience = int(10 ** rng.uniform(3.7, 6.3))
    per_thousand = rng.uniform(8, 25)
    base = max(50, int(audience / 1000 * per_thousand))
    kinds = {"youtube": ("video", "live"), "twitch": ("live", "video")}.get(
        platform, ("post", "story", "reel", "ugc_clip")
    )
    deliverables = [
        offer_input.DeliverableInput(
            kind=kind,
            price_minor=_price(rng, base * factor),
            delivery_days=days,
            description=f"One sponsored {kind.replace('_', ' ')} about {topic.lower()}",
        )
        for kind, factor, days in zip(kinds, (1.0, 0.5, 1.4, 0.8), (7, 3, 10, 5), strict=False)
    ]
    return offer_input.InfluencerInput(
        title=f"{topic} on {platform.capitalize()}",
        category=category,
        description=f"I create content about {topic.lower()} for an engaged audience. "
        f"Sponsored content is always disclosed with #ad.",
        platform=platform,
        handle=handle,
        audience_size=audience,
        engagement_rate_bp=int(rng.uniform(120, 900)),
        deliverables=deliverables,
        audience_topics=list(topics),
        audience_regions=rng.sample(["US", "GB", "DE", "FR", "BR", "IN"], 2),
        tags=list(topics),
        currency=currency,
    )


def _audience(rng: random.Random, kinds: tuple[str, ...]) -> dict[str, Any]:
    """What an influencer brief asks of the audience (other briefs ask nothing)."""
    if "influencer" not in kinds:
        return {}
    low = rng.choice((5_000, 10_000, 50_000))
    return {
        "audience_regions": rng.sample(["US", "GB", "DE", "FR", "BR", "IN"], 2),
        "audience_min_followers": low,
        "audience_max_followers": low * rng.choice((10, 20, 50)),
        "audience_min_engagement_bp": rng.choice((150, 200, 300)),
    }


def _make_user(
    session: Session,
    *,
    email: str,
    name: str,
    creator: bool,
    business: bool,
    company: str | None = None,
) -> User:
    return accounts.register(
        session,
        email=email,
        password=DEMO_PASSWORD,
        display_name=name,
        as_creator=creator,
        as_business=business,
        company_name=company,
        password_hash=_demo_hash(),
        confirmed=True,
    )


@functools.cache
def _demo_hash() -> str:
    # One argon2 hash for every demo account: hashing 230 times would take most of a minute.
    return passwords.hash_password(DEMO_PASSWORD)


def seed(
    session: Session,
    *,
    seed_value: int = 20251125,
    size: SeedSize = SeedSize(),
    storage: MediaStorage | None = None,
    outcomes: bool = True,
) -> dict[str, int]:
    """Create the demo marketplace in ``session``; returns counts. Caller commits.

    With ``storage``, pictures too (avatars, portfolios, offer galleries, stock media).
    With ``outcomes`` (needs an app context: it builds the matching index), also past
    contracts and simulated recommendation outcomes (``app.seed.outcomes``).
    """
    rng = random.Random(seed_value)
    logins = DEMO_ACCOUNTS
    creators = [
        _make_user(
            session, email=logins["creator"], name="Mara Lindqvist", creator=True, business=False
        )
    ]
    demo_business = _make_user(
        session,
        email=logins["business"],
        name="Tom Becker",
        creator=False,
        business=True,
        company="Northwind Coffee",
    )
    moderator = _make_user(
        session, email=logins["moderator"], name="Riley Moderator", creator=False, business=True
    )
    moderator.is_moderator, moderator.is_business = True, False
    admin = _make_user(
        session, email=logins["admin"], name="Alex Admin", creator=False, business=True
    )
    admin.is_admin, admin.is_business = True, False
    for n in range(1, size.creators):
        name, email = _person(rng, n)
        creators.append(
            _make_user(session, email=email, name=name, creator=True, business=rng.random() < 0.05)
        )
    businesses = [demo_business]
    for n in range(1, size.businesses):
        name, email = _person(rng, 1000 + n)
        company = " ".join(rng.choice(words) for words in catalog.COMPANY_WORDS)
        businesses.append(
            _make_user(
                session, email=email, name=name, creator=False, business=True, company=company
            )
        )

    offer_count = 0
    made: list[Offer] = []
    for index, creator in enumerate(creators):
        currency = _currency(rng)
        roll = rng.random()
        inputs: list[offer_input.OfferInput]
        skills: list[str]
        if index == 0 or roll < 0.62:
            services = rng.sample(catalog.SERVICES, rng.choice((1, 2, 2, 3)))
            inputs = [_service_input(rng, t, currency) for t in services]
            headline = services[0][1]
            skills = sorted({s for t in services for s in t[3]})
        elif roll < 0.82:
            themes = rng.sample(catalog.STOCK_THEMES, rng.choice((1, 2, 3)))
            inputs = [_stock_input(rng, t, currency) for t in themes]
            headline = f"Stock {themes[0][0].lower()} contributor"
            skills = sorted({s for t in themes for s in t[3]})[:8]
        else:
            niche = rng.choice(catalog.INFLUENCER_NICHES)
            handle = creator.display_name.split()[0].lower() + str(rng.randint(10, 999))
            inputs = [_influencer_input(rng, niche, currency, handle)]
            headline = f"Creator: {niche[1].lower()}"
            skills = list(niche[2])
        accounts.update_profile(
            session,
            creator,
            accounts.ProfileInput(
                headline=headline[:140],
                bio=f"Independent creator. {headline}.",
                skills=skills,
                portfolio_links=[f"https://portfolio.cobalt.example/{creator.id}"],
                country=rng.choice(catalog.COUNTRIES),
                languages=rng.sample(catalog.LANGUAGES, 2),
                hourly_rate_minor=_price(rng, 60),
                currency=currency,
                availability=rng.choices([a.value for a in Availability], weights=(8, 2, 1))[0],
            ),
        )
        for data in inputs:
            offer = offers.create_offer(session, creator, data)
            made.append(offer)
            if rng.random() < 0.92:
                offers.publish(session, offer, creator)
            offer_count += 1

    picture_counts = (
        add_demo_pictures(
            session, storage, random.Random(seed_value + 1), creators, made, moderator
        )
        if storage is not None
        else {}
    )

    today = clock.now().date()
    brief_list: list[Brief] = []
    for n in range(size.briefs):
        category, title, description, wanted, kinds, (low, high) = catalog.BRIEFS[
            n % len(catalog.BRIEFS)
        ]
        business = businesses[n % len(businesses)]
        budget_min = _price(rng, low)
        brief_data = briefs.BriefInput(
            title=title
            if n < len(catalog.BRIEFS)
            else f"{title} (round {n // len(catalog.BRIEFS) + 1})",
            description=description,
            category=category,
            skills=list(wanted),
            offer_kinds=list(kinds),
            budget_min_minor=budget_min,
            budget_max_minor=max(budget_min, _price(rng, high)),
            currency=_currency(rng),
            deadline=today + timedelta(days=rng.randint(10, 90)),
            visibility="invite_only" if rng.random() < 0.1 else "public",
            **_audience(rng, kinds),
        )
        brief_list.append(
            briefs.create_brief(session, business, brief_data, publish=rng.random() < 0.9)
        )

    proposal_count = 0
    open_briefs = [
        b for b in brief_list if b.status is BriefStatus.OPEN and b.visibility == "public"
    ]
    for brief in open_briefs:
        for creator in rng.sample(creators[1:], rng.randint(0, 5)):
            price = rng.randint(brief.budget_min_minor // 100, brief.budget_max_minor // 100) * 100
            briefs.submit_proposal(
                session,
                brief,
                creator,
                briefs.ProposalInput(
                    cover_letter=rng.choice(catalog.COVER_LETTERS),
                    price_minor=price,
                    delivery_days=rng.randint(3, 30),
                ),
            )
            proposal_count += 1
    session.flush()
    counts = {
        "creators": len(creators),
        "businesses": len(businesses),
        "offers": offer_count,
        "briefs": len(brief_list),
        "proposals": proposal_count,
        **picture_counts,
    }
    counts["interests"] = _interests(session, businesses)
    if outcomes:
        counts |= seed_outcomes(session, random.Random(seed_value + 2), businesses, brief_list)
        # What the worker would store: the vectors demand clusters (creator insights) read.
        counts["vectors"] = vectors.backfill(session) + demand.backfill(session)
    return counts


def _interests(session: Session, businesses: list[User]) -> int:
    """Each business expresses interest in the work of one brief template (demand signals)."""
    for n, business in enumerate(businesses):
        category, title, description, wanted, _kinds, _budget = catalog.BRIEFS[
            (2 * n) % len(catalog.BRIEFS)
        ]
        demand.express_interest(
            session,
            business,
            demand.InterestInput(category=category, skill=wanted[0], text=description[:500]),
        )
    return len(businesses)


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def seed_if_empty(app: Flask) -> bool:
    """Seed and index on first start only; returns whether it seeded."""
    session = db.session()
    if not database_is_empty(session):
        return False
    counts = seed(session, storage=storage_for(app))
    session.commit()
    print("Demo data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return True
