"""HTML pages for influencer campaigns, on the same services as the JSON API.

The two parties (and moderators, read-only) see a campaign; anyone else gets 404. Views are
thin: load and authorise, one service call in ``app.web.submit`` (its domain errors become
form errors or a flash on the re-rendered page, and undo only that call's writes).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app import uploads
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.campaigns import services
from app.campaigns.content import disclosures_for
from app.campaigns.forms import (
    ActionForm,
    DraftForm,
    OrderForm,
    PostForm,
    ViolationForm,
)
from app.campaigns.models import Campaign
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, select_choices, texts
from app.offers.models import Offer
from app.offers.services import visible_offer
from app.payments.forms import ChangesForm  # the same request for changes as a milestone
from app.payments.models import Milestone
from app.web import Page, attempt, form_page, status_for, submit

bp = Blueprint("campaigns", __name__)


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
    form = _order_form(offer)
    return form_page(
        "campaigns/order.html",
        form,
        lambda: services.order(db.session(), offer, user, form.deliverables.data or []),
        done="Campaign ordered. Fund the milestone so the creator can start.",
        then=lambda campaign: url_for("campaigns.detail", campaign_id=campaign.id),
        offer=offer,
    )


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


def _act(
    campaign_id: int, action: Any, done: str, form_name: str | None = None, form: Any = None
) -> Page | Response:
    """Run one campaign action for the current user; re-render the page on a domain error."""
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    forms = {form_name: form} if form_name else {}
    return submit(
        form,
        action,
        done=done,
        then=url_for("campaigns.detail", campaign_id=campaign.id),
        render=lambda status: render_campaign(campaign, user, status=status, **forms),
    )


@bp.get("/campaigns")
@login_required
def mine() -> str:
    user = current()
    campaigns = services.of_user(db.session(), user)
    return render_template("campaigns/mine.html", campaigns=campaigns, user=user)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> Page:
    user = current()
    return render_campaign(services.visible(db.session(), campaign_id, user), user)


# --- the draft and its file -------------------------------------------------------------------


AREA = "campaign_drafts"


@bp.post("/campaigns/<int:campaign_id>/draft")
@login_required
def submit_draft(campaign_id: int) -> Page | Response:
    form = DraftForm()
    return _act(
        campaign_id,
        lambda: services.submit_draft(
            db.session(),
            campaign_id,
            current(),
            **texts(form, "text", "caption"),
            file_name=uploads.store_delivered(AREA, campaign_id, form.file.data),
        ),
        "Draft submitted for approval.",
        "draft_form",
        form,
    )


@bp.get("/campaigns/<int:campaign_id>/draft-file")
@login_required
def draft_file(campaign_id: int) -> Response:
    campaign = services.visible(db.session(), campaign_id, current())
    if not campaign.draft_file:
        abort(404)
    return uploads.send_stored(AREA, campaign.id, campaign.draft_file)


# --- review, live post, confirmation, violations ----------------------------------------------


@bp.post("/campaigns/<int:campaign_id>/approve")
@login_required
def approve(campaign_id: int) -> Page | Response:
    user = current()
    campaign = services.visible(db.session(), campaign_id, user)
    try:
        with attempt():
            services.approve(db.session(), campaign_id, user)
    except ValidationFailed as error:
        # The disclosure problem is shown next to the draft caption it is about.
        errors = error.errors.get("caption") or [error.message]
        return render_campaign(campaign, user, status=FORM_ERROR_STATUS, approve_errors=errors)
    except DomainError as error:
        flash(error.message, "error")
        return render_campaign(campaign, user, status=status_for(error))
    flash("Draft approved: the creator can post it.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id), 303)


@bp.post("/campaigns/<int:campaign_id>/request-changes")
@login_required
def request_changes(campaign_id: int) -> Page | Response:
    form = ChangesForm()
    return _act(
        campaign_id,
        lambda: services.request_changes(
            db.session(), campaign_id, current(), **texts(form, "note")
        ),
        "Changes requested.",
        "changes_form",
        form,
    )


@bp.post("/campaigns/<int:campaign_id>/post")
@login_required
def submit_post(campaign_id: int) -> Page | Response:
    form = PostForm()
    return _act(
        campaign_id,
        lambda: services.submit_post(
            db.session(), campaign_id, current(), **texts(form, "post_url", "caption")
        ),
        "Live post submitted. The business has been asked to confirm it.",
        "post_form",
        form,
    )


@bp.post("/campaigns/<int:campaign_id>/confirm")
@login_required
def confirm(campaign_id: int) -> Page | Response:
    return _act(
        campaign_id,
        lambda: services.confirm(db.session(), campaign_id, current()),
        "Post confirmed: the payment is released to the creator.",
    )


@bp.post("/campaigns/<int:campaign_id>/violations")
@login_required
def report_violation(campaign_id: int) -> Page | Response:
    form = ViolationForm()
    return _act(
        campaign_id,
        lambda: services.report_violation(
            db.session(), campaign_id, current(), **texts(form, "kind", "detail")
        ),
        "Violation recorded. You can open a dispute on the contract.",
        "violation_form",
        form,
    )
