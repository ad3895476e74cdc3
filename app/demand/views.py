"""A business's interests page: express one, see and withdraw them."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, render_template, url_for
from werkzeug.wrappers import Response

from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.demand import services
from app.demand.forms import InterestForm
from app.extensions import db
from app.web import Page, submit

bp = Blueprint("demand", __name__)


@bp.route("/interests", methods=["GET", "POST"])
@role_required(Role.BUSINESS)
def interests() -> Page | Response:
    form = InterestForm()

    def render(status: int) -> Page:
        live = services.live_interests(db.session(), current().id)
        return render_template("demand/interests.html", form=form, interests=live), status

    return submit(
        form,
        lambda: services.express_interest(db.session(), current(), form.interest_input()),
        done="Interest saved: creators see it in their demand insights.",
        then=url_for("demand.interests"),
        render=render,
    )


@bp.post("/interests/<int:interest_id>/withdraw")
@role_required(Role.BUSINESS)
def withdraw(interest_id: int) -> Page | Response:
    return submit(
        None,
        lambda: services.withdraw_interest(db.session(), current(), interest_id),
        done="Interest withdrawn.",
        then=url_for("demand.interests"),
        render=_error_page,
    )


def _error_page(status: int) -> NoReturn:
    abort(status)  # someone else's or no such interest: 404, as for any missing object
