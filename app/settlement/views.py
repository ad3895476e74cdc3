"""Admins' list of payouts needing attention (retry), and moderators' chargebacks (evidence).

Every sale kind lands here: the pages read the one settlement path's rows (payouts,
chargebacks), so milestones, licences and contest prizes are handled the same way.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app import settlement
from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.extensions import db
from app.payments.gateway import gateway_for
from app.settlement import chargebacks
from app.web import Page, list_page, submit

bp = Blueprint("settlement", __name__)


class ActionForm(FlaskForm):
    """A button (CSRF only)."""


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(
        "Evidence for the bank",
        validators=[DataRequired(), Length(max=chargebacks.MAX_EVIDENCE)],
        description="What was delivered and when, messages, files: sent to Stripe as is.",
    )


def _attention_page(status: int = 200) -> Page:
    return render_template(
        "settlement/attention.html",
        payouts=settlement.needing_attention(db.session()),
        form=ActionForm(formdata=None),
    ), status


list_page(bp, "/admin/payouts", "attention", _attention_page, role_required(Role.ADMIN))


@bp.post("/admin/payouts/<int:payout_id>/retry")
@role_required(Role.ADMIN)
def retry(payout_id: int) -> Response | Page:
    return submit(
        ActionForm(),
        lambda: settlement.retry(
            db.session(), gateway_for(current_app), payout_id, actor_id=current().id
        ),
        done="The payout will be sent again on the worker's next round.",
        then=url_for("settlement.attention"),
        render=lambda status: _attention_page(status),
        code=302,
    )


def _chargebacks_page(form: EvidenceForm | None = None, status: int = 200) -> Page:
    return render_template(
        "settlement/chargebacks.html",
        chargebacks=chargebacks.listing(db.session()),
        form=form or EvidenceForm(formdata=None),
    ), status


list_page(
    bp,
    "/moderation/chargebacks",
    "chargeback_list",
    _chargebacks_page,
    role_required(Role.MODERATOR),
)


@bp.post("/moderation/chargebacks/<int:chargeback_id>/evidence")
@role_required(Role.MODERATOR)
def evidence(chargeback_id: int) -> Response | Page:
    form = EvidenceForm()
    return submit(
        form,
        lambda: chargebacks.submit_evidence(
            db.session(), gateway_for(current_app), chargeback_id, text=form.evidence.data or ""
        ),
        done="The evidence was sent to Stripe for the bank's review.",
        then=url_for("settlement.chargeback_list"),
        render=lambda status: _chargebacks_page(form, status),
        code=302,
    )
