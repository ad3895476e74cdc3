"""Landing page and the per-role dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func, select

from app.accounts.auth import current
from app.briefs.models import Brief, BriefStatus, Visibility
from app.extensions import db
from app.media import gallery
from app.offers.catalog import card_loading, listed_offers
from app.offers.models import Offer, OfferStatus

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    session = db.session()
    latest = session.scalars(
        listed_offers().order_by(Offer.published_at.desc()).limit(6).options(*card_loading())
    ).all()
    open_briefs = session.scalar(
        select(func.count())
        .select_from(Brief)
        .where(Brief.status == BriefStatus.OPEN, Brief.visibility == Visibility.PUBLIC)
        .where(Brief.hidden_at.is_(None))
    )
    return render_template(
        "pages/home.html",
        latest=latest,
        open_briefs=open_briefs or 0,
        pictures=gallery.for_offer_cards(session, latest),
    )


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    user = current()
    session = db.session()
    my_offers = (
        session.scalars(
            select(Offer)
            .where(Offer.creator_id == user.id, Offer.status != OfferStatus.REMOVED)
            .order_by(Offer.updated_at.desc())
            .limit(10)
        ).all()
        if user.is_creator
        else []
    )
    my_briefs = (
        session.scalars(
            select(Brief)
            .where(Brief.business_id == user.id)
            .order_by(Brief.updated_at.desc())
            .limit(10)
        ).all()
        if user.is_business
        else []
    )
    return render_template(
        "pages/dashboard.html", user=user, my_offers=my_offers, my_briefs=my_briefs
    )
