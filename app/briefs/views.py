"""HTML views for briefs, proposals and invitations. Thin: parse, load, one service call."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import countries
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.briefs import assistant_form, queries, services
from app.briefs.forms import KIND_LABELS, BoardFilterForm, BriefForm, ProposalForm
from app.briefs.models import Brief, BriefStatus, Proposal, ProposalStatus
from app.briefs.states import EDITABLE_BRIEF_STATUSES
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import Conflict, DomainError, ValidationFailed
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors, split_list
from app.matching import assistant
from app.web import Page, attempt, post_actions, submit

bp = Blueprint("briefs", __name__)


def _viewer() -> User | None:
    return current() if current_user.is_authenticated else None


def _brief_input(form: BriefForm) -> services.BriefInput:
    return services.BriefInput(
        title=form.title.data or "",
        description=form.description.data or "",
        category=form.category.data or "",
        skills=split_list(form.skills.data),
        offer_kinds=list(form.offer_kinds.data or []),
        budget_min_minor=form.budget_min_minor.data or 0,
        budget_max_minor=form.budget_max_minor.data or 0,
        currency=form.currency.data or "",
        deadline=form.deadline.data,
        visibility=form.visibility.data or "",
        audience_regions=split_list(form.audience_regions.data),
        audience_min_followers=form.audience_min_followers.data,
        audience_max_followers=form.audience_max_followers.data,
        audience_min_engagement_bp=(
            int(form.audience_min_engagement.data * 100)
            if form.audience_min_engagement.data is not None
            else None
        ),
    )


def _form_data(brief: Brief) -> dict[str, Any]:
    names = ("title", "description", "category", "offer_kinds", "budget_min_minor")
    data: dict[str, Any] = {name: getattr(brief, name) for name in names}
    data.update(
        skills=", ".join(brief.skills),
        budget_max_minor=brief.budget_max_minor,
        currency=brief.currency,
        deadline=brief.deadline,
        visibility=str(brief.visibility),
        audience_regions=", ".join(countries.name(code) for code in brief.audience_regions),
        audience_min_followers=brief.audience_min_followers,
        audience_max_followers=brief.audience_max_followers,
        audience_min_engagement=(
            Decimal(brief.audience_min_engagement_bp) / 100
            if brief.audience_min_engagement_bp is not None
            else None
        ),
    )
    return data


def _render_detail(
    brief: Brief, user: User | None, *, proposal_form: ProposalForm | None = None, status: int = 200
) -> Page:
    session = db.session()
    is_owner = user is not None and user.id == brief.business_id
    own = services.find_proposal(session, brief.id, user.id) if user and not is_owner else None
    can_propose = (
        user is not None
        and user.is_creator
        and not is_owner
        and own is None
        and brief.status == BriefStatus.OPEN
    )
    # The contract an accepted proposal created, for the two parties to follow.
    contract = (
        session.scalar(select(Contract).where(Contract.brief_id == brief.id))
        if is_owner or (own is not None and own.status == ProposalStatus.ACCEPTED)
        else None
    )
    context = {
        "brief": brief,
        "contract": contract,
        "is_owner": is_owner,
        "editable": is_owner and brief.status in EDITABLE_BRIEF_STATUSES,
        "proposals": services.list_proposals(session, brief, user) if is_owner and user else [],
        "own_proposal": own,
        "proposal_form": proposal_form or (ProposalForm() if can_propose else None),
        "kind_labels": KIND_LABELS,
    }
    return render_template("briefs/detail.html", **context), status


@bp.get("/briefs")
def board() -> Page:
    form = BoardFilterForm(formdata=request.args)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), queries.MAX_PAGE)
    valid = form.validate()
    filters = queries.BoardFilters()
    if valid:
        filters = queries.BoardFilters(
            category=form.category.data or None,
            kind=form.kind.data or None,
            currency=form.currency.data or None,
            budget_min_minor=form.budget_min_minor.data,
            budget_max_minor=form.budget_max_minor.data,
            q=(form.q.data or "").strip() or None,
        )
    size = current_app.config["CATALOG_PAGE_SIZE"]
    try:
        with attempt():
            result = queries.board(db.session(), filters, page=page, per_page=size, cards=True)
    except ValidationFailed as error:
        apply_errors(form, error)
        valid = False
        result = queries.board(
            db.session(), queries.BoardFilters(), page=1, per_page=size, cards=True
        )
    context = {"form": form, "result": result, "kind_labels": KIND_LABELS}
    return render_template("briefs/board.html", **context), 200 if valid else FORM_ERROR_STATUS


@bp.get("/briefs/<int:brief_id>")
def detail(brief_id: int) -> Page:
    user = _viewer()
    return _render_detail(services.get_visible_brief(db.session(), brief_id, user), user)


def _assistant_page(brief: Brief | None) -> Page | None:
    """The form again with the brief assistant's suggestions (asked for, or applied); nothing
    is saved. None when the form was submitted to save or publish."""
    action = request.form.get("action")
    if request.method != "POST" or action not in assistant_form.ACTIONS:
        return None
    data = assistant_form.applied(request.form) if action == "apply" else request.form
    form = BriefForm(formdata=data)
    context: dict[str, Any] = {"form": form, "brief": brief, "assistance": None}
    if not current_app.config["MATCHING_ENABLED"]:
        context["assistant_error"] = "Suggestions are switched off on this server."
    else:
        try:
            context["assistance"] = assistant.assist(
                db.session(), assistant_form.draft(data), current()
            )
        except ValidationFailed as error:
            context["assistant_error"] = " ".join(m for ms in error.errors.values() for m in ms)
    return render_template("briefs/form.html", **context), 200


@bp.route("/briefs/new", methods=["GET", "POST"])
@role_required(Role.BUSINESS)
def new() -> Page | Response:
    if (page := _assistant_page(None)) is not None:
        return page
    form = BriefForm()
    if form.validate_on_submit():
        publish = request.form.get("action") == "publish"
        try:
            with attempt():
                brief = services.create_brief(
                    db.session(), current(), _brief_input(form), publish=publish
                )
        except DomainError as error:
            apply_errors(form, error)
        else:
            flash("Brief published." if publish else "Draft saved.", "success")
            return redirect(url_for("briefs.detail", brief_id=brief.id))
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("briefs/form.html", form=form, brief=None), status


def _owned_brief(brief_id: int, user: User) -> Brief:
    session = db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    services.require_owner(session, brief, user)
    return brief


@bp.route("/briefs/<int:brief_id>/edit", methods=["GET", "POST"])
@login_required
def edit(brief_id: int) -> Page | Response:
    user, session = current(), db.session()
    brief = _owned_brief(brief_id, user)
    if brief.status not in EDITABLE_BRIEF_STATUSES:
        flash(f"A {brief.status} brief can no longer be edited.", "error")
        return redirect(url_for("briefs.detail", brief_id=brief.id))
    if (page := _assistant_page(brief)) is not None:
        return page
    form = BriefForm(data=_form_data(brief))

    def save() -> None:
        services.update_brief(session, brief, user, _brief_input(form))
        if request.form.get("action") == "publish":
            services.publish_brief(session, brief, user)

    return submit(
        form,
        save,
        done="Brief saved.",
        then=url_for("briefs.detail", brief_id=brief.id),
        render=lambda status: (render_template("briefs/form.html", form=form, brief=brief), status),
        code=302,
    )


def _brief_action(brief_id: int, action: Callable[..., Any], done: str) -> Page | Response:
    user, session = current(), db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    try:
        action(session, brief, user)
    except (Conflict, ValidationFailed) as error:
        # Shown on the brief page; the error status makes the unit of work roll back.
        flash(error.message, "error")
        return _render_detail(brief, user, status=error.status)
    flash(done, "success")
    return redirect(url_for("briefs.detail", brief_id=brief.id))


# endpoint -> (service, what the flash says); POST /briefs/<id>/<endpoint>, owner only.
_BRIEF_ACTIONS = {
    "publish": (services.publish_brief, "Brief published."),
    "close": (services.close_brief, "Brief closed."),
    "cancel": (services.cancel_brief, "Brief cancelled."),
}
post_actions(bp, "/briefs/<int:brief_id>/{name}", _brief_action, _BRIEF_ACTIONS)


@bp.post("/briefs/<int:brief_id>/invite/<int:creator_id>")
@login_required
def invite(brief_id: int, creator_id: int) -> Page | Response:
    session = db.session()
    creator = session.get(User, creator_id) if 0 < creator_id <= MAX_ID else None
    if creator is None:
        abort(404)

    def _invite(session: Any, brief: Brief, user: User) -> None:
        services.invite_creator(session, brief, creator, user)

    return _brief_action(brief_id, _invite, f"{creator.display_name} is invited.")


@bp.post("/briefs/<int:brief_id>/proposals")
@role_required(Role.CREATOR)
def propose(brief_id: int) -> Page | Response:
    user, session = current(), db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    form = ProposalForm()
    if form.validate_on_submit():
        data = services.ProposalInput(
            cover_letter=form.cover_letter.data or "",
            price_minor=form.price_minor.data,  # type: ignore[arg-type]
            delivery_days=form.delivery_days.data,
        )
        try:
            services.submit_proposal(session, brief, user, data)
        except (Conflict, ValidationFailed) as error:
            apply_errors(form, error)
            return _render_detail(brief, user, proposal_form=form, status=error.status)
        flash("Proposal sent.", "success")
        return redirect(url_for("briefs.detail", brief_id=brief.id))
    return _render_detail(brief, user, proposal_form=form, status=FORM_ERROR_STATUS)


def _proposal_action(proposal_id: int, action: Callable[..., Any], done: str) -> Page | Response:
    user, session = current(), db.session()
    proposal: Proposal = services.get_proposal_for(session, proposal_id, user)
    try:
        with attempt():
            result = action(session, proposal, user)
    except Conflict as error:
        flash(error.message, "error")
        return _render_detail(proposal.brief, user, status=error.status)
    flash(done, "success")
    if result is not None:  # accepting returns the new contract
        return redirect(url_for("contracts.detail", contract_id=result.id))
    return redirect(url_for("briefs.detail", brief_id=proposal.brief_id))


# POST /proposals/<id>/<action> (endpoint "<action>_proposal") -> (service, flash message)
_PROPOSAL_ACTIONS = {
    "shortlist": (services.shortlist_proposal, "Proposal shortlisted."),
    "decline": (services.decline_proposal, "Proposal declined."),
    "accept": (services.accept_proposal, "Proposal accepted: the contract is ready."),
    "withdraw": (services.withdraw_proposal, "Proposal withdrawn."),
}
post_actions(
    bp,
    "/proposals/<int:proposal_id>/{name}",
    _proposal_action,
    _PROPOSAL_ACTIONS,
    endpoint="{name}_proposal",
)


@bp.get("/my/briefs")
@role_required(Role.BUSINESS)
def mine() -> str:
    session = db.session()
    briefs = queries.briefs_of(session, current())
    counts = queries.proposal_counts(session, briefs)
    return render_template("briefs/mine.html", briefs=briefs, counts=counts)


@bp.get("/my/proposals")
@role_required(Role.CREATOR)
def my_proposals() -> str:
    session, user = db.session(), current()
    return render_template(
        "briefs/my_proposals.html",
        proposals=queries.proposals_of(session, user),
        invitations=queries.invitations_of(session, user),
    )
