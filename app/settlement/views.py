"""Admins' list of payouts needing attention (retry), and moderators' chargebacks (evidence).

Every sale kind lands here: the pages read the one settlement path's rows (payouts,
chargebacks), so milestones, licences and contest prizes are handled the same way.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app import settlement
from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.errors import DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors
from app.payments.gateway import gateway_for
from app.settlement import chargebacks
from app.web import attempt, status_for

bp = Blueprint("settlement", __name__)
Page = str | tuple[str, int]


class ActionForm(FlaskForm):
    """A button (CSRF only)."""


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(
        "Evidence for the bank",
        validators=[DataRequired(), Length(max=chargebacks.MAX_EVIDENCE)],
        description="What was delivered and when, messages, files: sent to Stripe as is.",
    )


@bp.get("/admin/payouts")
@role_required(Role.ADMIN)
def attention() -> str:
    session = db.session()
    return render_template(
        "settlement/attention.html",
        payouts=settlement.needing_attention(session),
        form=ActionForm(formdata=None),
    )


@bp.post("/admin/payouts/<int:payout_id>/retry")
@role_required(Role.ADMIN)
def retry(payout_id: int) -> Response | Page:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with attempt():
                settlement.retry(
                    db.session(), gateway_for(current_app), payout_id, actor_id=current().id
                )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("The payout will be sent again on the worker's next round.", "success")
    return redirect(url_for("settlement.attention"))


def _chargebacks_page(form: EvidenceForm | None = None, status: int = 200) -> Page:
    return render_template(
        "settlement/chargebacks.html",
        chargebacks=chargebacks.listing(db.session()),
        form=form or EvidenceForm(formdata=None),
    ), status


@bp.get("/moderation/chargebacks")
@role_required(Role.MODERATOR)
def chargeback_list() -> Page:
    return _chargebacks_page()


@bp.post("/moderation/chargebacks/<int:chargeback_id>/evidence")
@role_required(Role.MODERATOR)
def evidence(chargeback_id: int) -> Response | Page:
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            with attempt():
                chargebacks.submit_evidence(
                    db.session(),
                    gateway_for(current_app),
                    chargeback_id,
                    text=form.evidence.data or "",
                )
        except DomainError as error:
            apply_errors(form, error)
            return _chargebacks_page(form, status_for(error))
        flash("The evidence was sent to Stripe for the bank's review.", "success")
        return redirect(url_for("settlement.chargeback_list"))
    return _chargebacks_page(form, FORM_ERROR_STATUS)
