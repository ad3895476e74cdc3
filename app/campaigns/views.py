"""HTML pages for influencer campaigns, on the same services as the JSON API.

The two parties (and moderators, read-only) see a campaign; anyone else gets 404. Views are
thin: load and authorise, one service call, then domain errors become form errors or a flash
with a 4xx status, so the unit of work rolls back (``app.web.commit_unit_of_work``).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import login_required
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from app import uploads
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.campaigns import services
from app.campaigns.content import disclosures_for
from app.campaigns.forms import (
    ActionForm,
    ChangesForm,
    DraftForm,
    OrderForm,
    PostForm,
    ViolationForm,
)
from app.campaigns.models import Campaign
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors, select_choices
from app.offers.models import Offer
from app.offers.services import visible_offer
from app.payments.models import Milestone

bp = Blueprint("campaigns", __name__)

Page = tuple[str, int]
MAX_DRAFT_FILE_BYTES = 20 * 1024 * 1024


def _status(error: DomainError) -> int:
    return FORM_ERROR_STATUS if error.status in (400, 422) else error.status


# --- ordering from the offer page -------------------------------------------------------------


def _order_form(offer: Offer) -> OrderForm:
    form = OrderForm()
    form.deliverables.choices = select_choices(
        (str(d.kind), f"{d.kind} · {d.description}") for d in offer.deliverables
    )
    return form


@bp.route("/offers/<int:offer_id>/sponsor", methods=["GET", "POST"])
@role_required(Role.BUSINESS)
def order(offer_id: int) -> Page | Response:
    user = current()
    offer = visible_offer(db.session(), offer_id, user)
    form, status = _order_form(offer), 200
    if form.validate_on_submit():
        try:
            campaign = services.order(db.session(), offer, user, form.deliverables.data or [])
        except DomainError as error:
            apply_errors(form, error)
            status = _status(error)
        else:
            flash("Campaign ordered. Fund the milestone so the creator can start.", "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id), 303)
    elif form.is_submitted():
        status = FORM_ERROR_STATUS
    return render_template("campaigns/order.html", offer=offer, form=form), status


# --- the campaign page ------------------------------------------------------------------------


def render_campaign(campaign: Campaign, user: User, *, status: int = 200, **forms: Any) -> Page:
    """The campaign page with the forms the viewer may use in the current state."""
    context: dict[str, Any] = {
        "campaign": campaign,
        "milestone": db.session.get(Milestone, campaign.milestone_id),
        "is_business": user.id == campaign.business_id,
        "is_creator": user.id == campaign.creator_id,
        "disclosures": disclosures_for(campaign.platform),
        "action_form": ActionForm(),
        "draft_form": forms.get("draft_form") or DraftForm(formdata=None),
        "changes_form": forms.get("changes_form") or ChangesForm(formdata=None),
        "post_form": forms.get("post_form") or PostForm(formdata=None),
        "violation_form": forms.get("violation_form") or ViolationForm(formdata=None),
        "approve_errors": forms.get("approve_errors") or [],
    }
    return render_template("campaigns/detail.html", **context), status


def _failed(campaign_id: int, user: User, error: DomainError, form_name: str, form: Any) -> Page:
    """Re-render what is stored with the error on the form; the 4xx rolls the work back."""
    db.session.rollback()
    apply_errors(form, error)
    campaign = services.visible(db.session(), campaign_id, user)
    return render_campaign(campaign, user, status=_status(error), **{form_name: form})


def _done(campaign_id: int, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id), 303)


@bp.get("/campaigns")
@login_required
def mine() -> str:
    user = current()
    campaigns = db.session.scalars(
        select(Campaign)
        .where(or_(Campaign.business_id == user.id, Campaign.creator_id == user.id))
        .order_by(Campaign.id.desc())
        .limit(200)
    )
    return render_template("campaigns/mine.html", campaigns=list(campaigns), user=user)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> Page:
    user = current()
    return render_campaign(services.visible(db.session(), campaign_id, user), user)


# --- the draft and its file -------------------------------------------------------------------


AREA = "campaign_drafts"


def _store_draft_file(campaign_id: int, upload: Any) -> str | None:
    max_bytes = int(current_app.config.get("DELIVERY_MAX_FILE_BYTES", MAX_DRAFT_FILE_BYTES))
    return uploads.store_one(AREA, campaign_id, upload, max_bytes=max_bytes)


bp.after_request(uploads.after_request)
bp.teardown_request(uploads.teardown)


@bp.post("/campaigns/<int:campaign_id>/draft")
@login_required
def submit_draft(campaign_id: int) -> Page | Response:
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    form = DraftForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, user, status=FORM_ERROR_STATUS, draft_form=form)
    try:
        file_name = _store_draft_file(campaign.id, form.file.data)
        services.submit_draft(
            db.session(),
            campaign.id,
            user,
            text=form.text.data or "",
            caption=form.caption.data or "",
            file_name=file_name,
        )
    except DomainError as error:
        uploads.discard_tracked()
        return _failed(campaign_id, user, error, "draft_form", form)
    return _done(campaign_id, "Draft submitted for approval.")


@bp.get("/campaigns/<int:campaign_id>/draft-file")
@login_required
def draft_file(campaign_id: int) -> Response:
    campaign = services.visible(db.session(), campaign_id, current())
    if not campaign.draft_file:
        abort(404)
    # Always a download: an uploaded .html or .svg must never render on our origin.
    name = campaign.draft_file
    return uploads.send(AREA, campaign.id, name, name.partition("_")[2] or name)


# --- review, live post, confirmation, violations ----------------------------------------------


@bp.post("/campaigns/<int:campaign_id>/approve")
@login_required
def approve(campaign_id: int) -> Page | Response:
    user = current()
    services.visible(db.session(), campaign_id, user)
    try:
        services.approve(db.session(), campaign_id, user)
    except DomainError as error:
        db.session.rollback()
        campaign = services.visible(db.session(), campaign_id, user)
        if isinstance(error, ValidationFailed) and "caption" in error.errors:
            # The disclosure problem is shown next to the draft caption it is about.
            return render_campaign(
                campaign, user, status=FORM_ERROR_STATUS, approve_errors=error.errors["caption"]
            )
        flash(error.message, "error")
        return render_campaign(campaign, user, status=_status(error))
    return _done(campaign_id, "Draft approved: the creator can post it.")


@bp.post("/campaigns/<int:campaign_id>/request-changes")
@login_required
def request_changes(campaign_id: int) -> Page | Response:
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    form = ChangesForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, user, status=FORM_ERROR_STATUS, changes_form=form)
    try:
        services.request_changes(db.session(), campaign_id, user, note=form.note.data or "")
    except DomainError as error:
        return _failed(campaign_id, user, error, "changes_form", form)
    return _done(campaign_id, "Changes requested.")


@bp.post("/campaigns/<int:campaign_id>/post")
@login_required
def submit_post(campaign_id: int) -> Page | Response:
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    form = PostForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, user, status=FORM_ERROR_STATUS, post_form=form)
    try:
        services.submit_post(
            db.session(),
            campaign_id,
            user,
            post_url=form.post_url.data or "",
            caption=form.caption.data or "",
        )
    except DomainError as error:
        return _failed(campaign_id, user, error, "post_form", form)
    return _done(campaign_id, "Live post submitted. The business has been asked to confirm it.")


@bp.post("/campaigns/<int:campaign_id>/confirm")
@login_required
def confirm(campaign_id: int) -> Page | Response:
    user = current()
    services.visible(db.session(), campaign_id, user)
    try:
        services.confirm(db.session(), campaign_id, user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        campaign = services.visible(db.session(), campaign_id, user)
        return render_campaign(campaign, user, status=_status(error))
    return _done(campaign_id, "Post confirmed: the payment is released to the creator.")


@bp.post("/campaigns/<int:campaign_id>/violations")
@login_required
def report_violation(campaign_id: int) -> Page | Response:
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    form = ViolationForm()
    if not form.validate_on_submit():
        return render_campaign(campaign, user, status=FORM_ERROR_STATUS, violation_form=form)
    try:
        services.report_violation(
            db.session(),
            campaign_id,
            user,
            kind=form.kind.data or "",
            detail=form.detail.data or "",
        )
    except DomainError as error:
        return _failed(campaign_id, user, error, "violation_form", form)
    return _done(campaign_id, "Violation recorded. You can open a dispute on the contract.")
