"""HTML pages for name-your-price negotiations, on the same services as the JSON API.

Only the two parties see a negotiation (anyone else gets 404). Views are thin: load and
authorise, one service call in ``app.web.submit``: its domain errors become form errors or a
flash message on the re-rendered page, and undo only that call's writes.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app import clock
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.errors import Conflict, DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors
from app.negotiation import services
from app.negotiation.forms import ActionForm, TermsForm
from app.negotiation.models import Negotiation, NegotiationState, RoundStatus
from app.offers.services import visible_offer
from app.web import Page, attempt, status_for, submit

bp = Blueprint("negotiation", __name__)


def render_negotiation(
    negotiation: Negotiation, user: User, *, status: int = 200, form: TermsForm | None = None
) -> Page:
    """The negotiation page: rounds history and, if it is the viewer's turn, the answers."""
    rnd = services.latest(negotiation)
    side = services.side_of(negotiation, user)
    now = clock.now()
    pending = negotiation.state is NegotiationState.OPEN and rnd.status is RoundStatus.PENDING
    expired = pending and rnd.expires_at <= now
    context = {
        "negotiation": negotiation,
        "rounds": sorted(negotiation.rounds, key=lambda r: r.number),
        "latest": rnd,
        "side": side,
        "now": now,
        "my_turn": pending and rnd.side is not side,
        "latest_expired": expired or rnd.status is RoundStatus.EXPIRED,
        "form": form or TermsForm(formdata=None),
        "action_form": ActionForm(),
    }
    return render_template("negotiation/detail.html", **context), status


@bp.route("/offers/<int:offer_id>/negotiate", methods=["GET", "POST"])
@role_required(Role.BUSINESS)
def propose(offer_id: int) -> Page | Response:
    user = current()
    offer = visible_offer(db.session(), offer_id, user)
    form, status = TermsForm(), 200
    if form.validate_on_submit():
        try:
            with attempt():
                negotiation = services.propose(db.session(), offer, user, form.terms_input())
        except Conflict as error:  # already negotiating on this offer: go there instead
            flash(error.message, "info")
            existing = error.extra.get("negotiation")
            if existing is not None:
                return redirect(url_for("negotiation.detail", negotiation_id=existing), 303)
            status = error.status
        except DomainError as error:
            apply_errors(form, error)
            status = status_for(error)
        else:
            flash("Your offer was sent. The creator has until it expires to answer.", "success")
            return redirect(url_for("negotiation.detail", negotiation_id=negotiation.id), 303)
    elif form.is_submitted():
        status = FORM_ERROR_STATUS
    return render_template("negotiation/propose.html", offer=offer, form=form), status


@bp.get("/negotiations")
@login_required
def mine() -> str:
    user = current()
    return render_template(
        "negotiation/mine.html", negotiations=services.mine(db.session(), user), user=user
    )


@bp.get("/negotiations/<int:negotiation_id>")
@login_required
def detail(negotiation_id: int) -> Page:
    user = current()
    return render_negotiation(services.visible(db.session(), negotiation_id, user), user)


@bp.post("/negotiations/<int:negotiation_id>/<any(accept, decline):action>")
@login_required
def answer(negotiation_id: int, action: str) -> Page | Response:
    user = current()
    negotiation = services.visible(db.session(), negotiation_id, user)  # 404 for non-parties
    if not ActionForm().validate_on_submit():
        abort(400)
    accepting = action == "accept"
    return submit(
        None,
        lambda: services.respond(db.session(), negotiation_id, user, action),
        done="Offer accepted: the contract is ready. Fund it to get the work started."
        if accepting
        else "Offer declined.",
        then=lambda done: (
            url_for("contracts.detail", contract_id=done.contract_id)
            if accepting and done.contract_id is not None
            else url_for("negotiation.detail", negotiation_id=negotiation_id)
        ),
        render=lambda status: render_negotiation(negotiation, user, status=status),
    )


@bp.post("/negotiations/<int:negotiation_id>/counter")
@login_required
def counter(negotiation_id: int) -> Page | Response:
    user = current()
    negotiation = services.visible(db.session(), negotiation_id, user)
    form = TermsForm()
    return submit(
        form,
        lambda: services.respond(db.session(), negotiation_id, user, "counter", form.terms_input()),
        done="Counter-offer sent.",
        then=url_for("negotiation.detail", negotiation_id=negotiation_id),
        render=lambda status: render_negotiation(negotiation, user, status=status, form=form),
    )
