"""Dispute pages: open (from the contract page), the dispute page (parties and moderators),
respond, evidence, settlement, withdraw, and the moderators' queue and decisions.

Parties of other contracts get 404; non-moderators get 403 on moderator pages. Domain errors
re-render with a 4xx; ``app.web.submit`` undoes the failed call's writes and stored files.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app import uploads as storage
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.db import MAX_ID
from app.disputes import money, queries, services
from app.disputes.forms import (
    EvidenceForm,
    OpenDisputeForm,
    ResolveForm,
    RespondForm,
    SettlementForm,
)
from app.disputes.models import Dispute, DisputeEvidence
from app.extensions import db
from app.messaging import services as messaging
from app.payments.gateway import gateway_for
from app.payments.models import Milestone
from app.payments.views import _milestone as party_milestone
from app.web import submit

bp = Blueprint("disputes", __name__)

AREA = "disputes"
Page = str | tuple[str, int]


def upload_limits() -> tuple[int, int]:
    return storage.limits("DISPUTE", 10, 10 * 1024 * 1024)


def _store(owner_id: int, files: Any) -> list[storage.StoredFile]:
    max_files, max_bytes = upload_limits()
    return storage.store(AREA, owner_id, files or [], max_files=max_files, max_bytes=max_bytes)


def _dispute(dispute_id: int, user: User) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id) if dispute_id <= MAX_ID else None
    if dispute is None or not services.may_view(dispute, user):
        abort(404)
    return dispute


# --- opening ----------------------------------------------------------------------------


@bp.route("/milestones/<int:milestone_id>/dispute", methods=["GET", "POST"])
@login_required
def open_dispute(milestone_id: int) -> Page | Response:
    user = current()
    milestone: Milestone = party_milestone(milestone_id, user)
    form = OpenDisputeForm()

    def render(status: int) -> Page:
        context = {"milestone": milestone, "form": form, "limits": upload_limits()}
        return render_template("disputes/open.html", **context), status

    def open_with_files() -> Dispute:
        session = db.session()
        dispute = services.open_dispute(
            session,
            milestone.id,
            user=user,
            reason=form.reason.data or "",
            evidence=form.evidence.data or "",
        )
        if storage.uploads_of(form.files.data or []):
            # Stored once the dispute has an id (its folder); same unit of work.
            files = _store(dispute.id, form.files.data)
            services.add_evidence(session, dispute.id, user=user, body="", files=files)
        return dispute

    if request.method == "GET":
        return render(200)
    return submit(
        form,
        open_with_files,
        done="Dispute opened. The payment is frozen until it is resolved.",
        then=lambda dispute: url_for("disputes.detail", dispute_id=dispute.id),
        render=render,
        code=302,
    )


# --- the dispute page -------------------------------------------------------------------


def _render(dispute: Dispute, user: User, status: int = 200, **forms: Any) -> Page:
    session = db.session()
    business, creator = dispute.party_ids()
    is_staff = services.is_staff(user) and user.id not in (business, creator)
    thread = messaging.thread_for_contract(session, dispute.contract) if is_staff else None
    messages = (
        messaging.messages_of(session, thread)
        if thread is not None and messaging.may_read(session, thread, user)
        else None
    )
    context: dict[str, Any] = {
        "dispute": dispute,
        "milestone": dispute.milestone,
        "contract": dispute.contract,
        "user": user,
        "is_staff": is_staff,
        "is_party": user.id in (business, creator),
        "messages": messages,
        "thread": thread,
        "history": {uid: queries.party_history(session, uid) for uid in (business, creator)}
        if is_staff
        else {},
        "held": money.held(dispute.milestone),
        "at_stake": money.disputed_amount(dispute.milestone),
        "respond_form": forms.get("respond_form") or RespondForm(formdata=None),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(formdata=None),
        "settlement_form": forms.get("settlement_form") or SettlementForm(formdata=None),
        "resolve_form": forms.get("resolve_form") or ResolveForm(formdata=None),
        "limits": upload_limits(),
    }
    return render_template("disputes/detail.html", **context), status


@bp.get("/disputes/<int:dispute_id>")
@login_required
def detail(dispute_id: int) -> Page:
    user = current()
    return _render(_dispute(dispute_id, user), user)


@bp.get("/disputes")
@login_required
def mine() -> str:
    items, _total = queries.disputes_of(db.session(), current().id)
    return render_template("disputes/mine.html", disputes=items)


def _act(dispute: Dispute, form_name: str, form: Any, action: Any, done: str) -> Page | Response:
    user = current()
    return submit(
        form,
        action,
        done=done,
        then=url_for("disputes.detail", dispute_id=dispute.id),
        render=lambda status: _render(dispute, user, status, **{form_name: form}),
        code=302,
    )


@bp.post("/disputes/<int:dispute_id>/respond")
@login_required
def respond(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = RespondForm()
    return _act(
        dispute,
        "respond_form",
        form,
        lambda: services.respond(
            db.session(),
            dispute.id,
            user=user,
            response=form.response.data or "",
            files=_store(dispute.id, form.files.data),
        ),
        "Response sent. A moderator will review the dispute.",
    )


@bp.post("/disputes/<int:dispute_id>/evidence")
@login_required
def add_evidence(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = EvidenceForm()
    return _act(
        dispute,
        "evidence_form",
        form,
        lambda: services.add_evidence(
            db.session(),
            dispute.id,
            user=user,
            body=form.body.data or "",
            files=_store(dispute.id, form.files.data),
        ),
        "Evidence added.",
    )


@bp.post("/disputes/<int:dispute_id>/settlement")
@login_required
def propose_settlement(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = SettlementForm()
    return _act(
        dispute,
        "settlement_form",
        form,
        lambda: services.propose_settlement(
            db.session(), dispute.id, user=user, refund_minor=getattr(form.refund, "minor", -1)
        ),
        "Settlement proposed. The other party can accept it.",
    )


@bp.post("/disputes/<int:dispute_id>/settlement/accept")
@login_required
def accept_settlement(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = SettlementForm()
    return _act(
        dispute,
        "settlement_form",
        form,
        lambda: services.accept_settlement(
            db.session(),
            gateway_for(current_app),
            dispute.id,
            user=user,
            refund_minor=getattr(form.refund, "minor", -1),
        ),
        "Settled. The money moves as agreed.",
    )


@bp.post("/disputes/<int:dispute_id>/withdraw")
@login_required
def withdraw(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = EvidenceForm()  # only its CSRF token matters
    return _act(
        dispute,
        "evidence_form",
        form,
        lambda: services.withdraw(db.session(), dispute.id, user=user),
        "Dispute withdrawn.",
    )


@bp.get("/disputes/<int:dispute_id>/evidence/<int:evidence_id>")
@login_required
def evidence_file(dispute_id: int, evidence_id: int) -> Response:
    dispute = _dispute(dispute_id, current())
    item = db.session.get(DisputeEvidence, evidence_id) if evidence_id <= MAX_ID else None
    if item is None or item.dispute_id != dispute.id or not item.stored_name:
        abort(404)
    return storage.send(AREA, dispute.id, item.stored_name, item.original_name or "file")


# --- moderators -------------------------------------------------------------------------


@bp.get("/moderation/disputes")
@role_required(Role.MODERATOR)
def queue() -> str:
    which = request.args.get("filter", "waiting")
    if which not in queries.QUEUE_FILTERS:
        which = "waiting"
    items = queries.queue(db.session(), which)
    return render_template(
        "disputes/queue.html", disputes=items, which=which, filters=queries.QUEUE_FILTERS
    )


@bp.post("/disputes/<int:dispute_id>/claim")
@role_required(Role.MODERATOR)
def claim(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = EvidenceForm()
    return _act(
        dispute,
        "evidence_form",
        form,
        lambda: services.claim(db.session(), dispute.id, moderator=user),
        "You are handling this dispute.",
    )


@bp.post("/disputes/<int:dispute_id>/resolve")
@role_required(Role.MODERATOR)
def resolve(dispute_id: int) -> Page | Response:
    user = current()
    dispute = _dispute(dispute_id, user)
    form = ResolveForm()
    return _act(
        dispute,
        "resolve_form",
        form,
        lambda: services.resolve(
            db.session(),
            gateway_for(current_app),
            dispute.id,
            moderator=user,
            outcome=form.outcome.data or "",
            note=form.note.data or "",
            refund_minor=getattr(form.refund, "minor", None),
        ),
        "Dispute resolved.",
    )


@bp.app_context_processor
def _dispute_helpers() -> dict[str, Any]:
    return {"contract_disputes": contract_disputes}


def contract_disputes(contract_id: int) -> list[Dispute]:
    """Disputes of a contract, for its page (the viewer is already a party)."""
    from sqlalchemy import select

    return list(
        db.session.scalars(
            select(Dispute).where(Dispute.contract_id == contract_id).order_by(Dispute.id)
        )
    )
