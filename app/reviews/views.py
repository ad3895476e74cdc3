"""Review pages: write a review, a user's public reviews, and the published reputation rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.accounts.auth import current
from app.accounts.models import User
from app.db import MAX_ID
from app.errors import DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors
from app.payments import fees
from app.reviews import formula, services
from app.reviews.forms import ReviewForm
from app.reviews.models import Reputation, Side
from app.reviews.window import WINDOW
from app.web import Page, attempt

bp = Blueprint("reviews", __name__)


@bp.route("/contracts/<int:contract_id>/review", methods=["GET", "POST"])
@login_required
def write(contract_id: int) -> Page | Response:
    user = current()
    session = db.session()
    contract = services.contract_for(session, contract_id, user)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            with attempt():
                services.submit_review(session, contract, user, form.to_input())
        except DomainError as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    state = services.contract_reviews(session, contract, user)
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("reviews/write.html", contract=contract, form=form, state=state), status


@bp.get("/users/<int:user_id>/reviews")
def user_reviews(user_id: int) -> Page:
    session = db.session()
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not user.is_active:
        abort(404)
    sides = [
        s for s, has in ((Side.CREATOR, user.is_creator), (Side.BUSINESS, user.is_business)) if has
    ]
    sections = [
        (
            side,
            session.get(Reputation, (user.id, side)),
            services.received_reviews(session, user.id, side),
        )
        for side in sides
    ]
    return render_template("reviews/user.html", subject=user, sections=sections)


@bp.get("/reputation")
def reputation_rules() -> str:
    context: dict[str, Any] = {
        "formula": formula,
        "levels": formula.LEVELS,
        "new_level": formula.NEW,
        "window_days": WINDOW.days,
        "fee_formula": fees.FORMULA_TEXT,
    }
    return render_template("reviews/reputation.html", **context)


@bp.app_template_global()
def reputation_badge(user_id: int, side: str = "creator") -> Reputation | None:
    """For other domains' templates (public profile, contract page)."""
    return db.session.get(Reputation, (user_id, Side(side)))


@bp.app_template_global()
def recent_reviews(user_id: int, side: str = "creator", limit: int = 5) -> list[Any]:
    return services.received_reviews(db.session(), user_id, Side(side), limit=limit)


@bp.app_template_global()
def contract_review_state(contract: Any) -> services.ContractReviews:
    return services.contract_reviews(db.session(), contract, current())
