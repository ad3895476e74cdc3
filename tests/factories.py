"""Factories that build valid objects through the real services (so invariants hold)."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.accounts.models import User

PASSWORD = "correct horse battery"
# A <script> element without a src (inline code, which the CSP forbids); vendored files are fine.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
_counter = itertools.count(1)


def make_user(
    session: Session,
    *,
    creator: bool = False,
    business: bool = False,
    moderator: bool = False,
    admin: bool = False,
    email: str | None = None,
    name: str | None = None,
    **profile: Any,
) -> User:
    n = next(_counter)
    user = accounts.register(
        session,
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        display_name=name or f"Test User {n}",
        # Staff accounts sign up like anyone else, then get their role (and lose this one).
        as_creator=creator or not business,
        as_business=business,
        confirmed=True,
    )
    user.is_creator = creator
    user.is_moderator = moderator
    user.is_admin = admin
    if user.profile is not None:
        for key, value in profile.items():
            setattr(user.profile, key, value)
    session.flush()
    return user


def make_creator(session: Session, **kwargs: Any) -> User:
    return make_user(session, creator=True, **kwargs)


def make_business(session: Session, **kwargs: Any) -> User:
    return make_user(session, business=True, **kwargs)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def mailed_path(app: Any, to: str, prefix: str = "/confirm/") -> str:
    """The path of the newest link starting with ``prefix`` mailed to ``to`` (the console mail
    backend's outbox), e.g. the sign-up confirmation link."""
    from app import mail

    for message in reversed(mail.outbox(app)):
        if message.to == to.strip().lower():
            match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no {prefix} link mailed to {to}")


def sign_up(
    client: FlaskClient,
    email: str,
    *,
    creator: bool = True,
    business: bool = False,
    name: str = "New Person",
    password: str = PASSWORD,
) -> User:
    """Sign up through the form and follow the emailed confirmation link (signed in after)."""
    from app.extensions import db

    data = {"email": email, "display_name": name, "password": password}
    data |= {"as_creator": "y"} if creator else {}
    data |= {"as_business": "y"} if business else {}
    response = client.post("/register", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    path = mailed_path(client.application, email)
    response = client.post(path)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    assert user is not None and user.email_confirmed_at is not None
    return user


def api_token(session: Session, user: User) -> dict[str, str]:
    """Authorization headers with a fresh API token for ``user``."""
    _token, secret = accounts.create_api_token(session, user, name="tests")
    return {"Authorization": f"Bearer {secret}"}


def make_brief(session: Session, business: User, **overrides: Any) -> Any:
    """A valid brief through the briefs service; ``publish=True`` opens it (default: open)."""
    from datetime import timedelta

    from app import clock
    from app.briefs import services as briefs

    publish = overrides.pop("publish", True)
    values: dict[str, Any] = {
        "title": "Logo for a coffee roastery",
        "description": "We need a modern logo and a small brand sheet for our roastery.",
        "category": "Design & Creative",
        "skills": ["logo design", "branding"],
        "offer_kinds": ["service"],
        "budget_min_minor": 20_000,
        "budget_max_minor": 50_000,
        "currency": "USD",
        "deadline": clock.now().date() + timedelta(days=30),
        "visibility": "public",
    }
    values.update(overrides)
    return briefs.create_brief(session, business, briefs.BriefInput(**values), publish=publish)


def make_proposal(session: Session, brief: Any, creator: User, **overrides: Any) -> Any:
    """A valid proposal through the briefs service."""
    from app.briefs import services as briefs

    values: dict[str, Any] = {
        "cover_letter": "I have designed forty logos for food brands; portfolio attached.",
        "price_minor": 30_000,
        "delivery_days": 10,
    }
    values.update(overrides)
    return briefs.submit_proposal(session, brief, creator, briefs.ProposalInput(**values))


def offer_input(kind: str = "service", **overrides: Any) -> Any:
    """Valid service input for an offer of ``kind``; ``overrides`` replace fields."""
    from dataclasses import replace

    from app.offers import validation as v

    common: dict[str, Any] = {
        "title": "Logo design for small brands",
        "description": "A clean, memorable logo with source files and a short style guide.",
        "tags": ["logo", "branding"],
        "currency": "USD",
    }
    data: Any
    if kind == "service":
        data = v.ServiceOfferInput(
            category="Design & Creative",
            packages=[
                v.PackageInput("basic", 5_000, 5, 1, "One concept"),
                v.PackageInput("standard", 10_000, 4, 2, "Three concepts"),
                v.PackageInput("premium", 20_000, 3, 5, "Five concepts and a style guide"),
            ],
            **common,
        )
    elif kind == "stock_media":
        data = v.StockMediaInput(
            standard_license_minor=2_500, enhanced_license_minor=9_900, **common
        )
    else:
        data = v.InfluencerInput(
            platform="instagram",
            handle="studio.kim",
            audience_size=48_000,
            engagement_rate_bp=345,
            audience_topics=["design", "small business"],
            audience_regions=["DE", "AT"],
            deliverables=[
                v.DeliverableInput("post", 40_000, 7, "One feed post"),
                v.DeliverableInput("story", 15_000, 3, "Three story frames"),
            ],
            **common,
        )
    return replace(data, **overrides)


def make_offer(
    session: Session,
    creator: User,
    *,
    kind: str = "service",
    status: str = "draft",
    **overrides: Any,
) -> Any:
    """An offer through the offers services, moved to ``status`` through legal transitions."""
    from app.offers import services as offers

    offer = offers.create_offer(session, creator, offer_input(kind, **overrides))
    if status in ("published", "paused"):
        offers.publish(session, offer, creator)
    if status == "paused":
        offers.pause(session, offer, creator)
    if status == "removed":
        offers.remove(session, offer, creator)
    return offer


def published_influencer_offer(session: Session, creator: User | None = None) -> Any:
    """A published influencer offer (instagram; post 400.00, story 150.00) by a new creator."""
    return make_offer(
        session, creator or make_creator(session), kind="influencer", status="published"
    )
