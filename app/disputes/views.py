"""Dispute pages: open (from the contract page), the dispute page (parties and moderators),
respond, evidence, settlement, withdraw, and the moderators' queue and decisions.

Parties of other contracts get 404; non-moderators get 403 on moderator pages. Domain errors
re-render with a 4xx; ``app.web.submit`` undoes the failed call's writes and stored files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
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
from app.web import Page, submit

bp = Blueprint("disputes", __name__)

AREA = "disputes"


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

    return submit(  # a GET (form not submitted) renders the page with 200
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


@dataclass(frozen=True)
class DisputeAction:
    """One button or form on the dispute page: its form, what it calls, what it says."""

    form: type[FlaskForm]
    form_name: str
    call: Callable[[Dispute, User, Any], object]
    done: str
    role: Role | None = None  # moderators' actions; parties' otherwise


def _settlement_refund(form: Any) -> int:
    return int(getattr(form.refund, "minor", -1))


def _statement(
    service: Callable[..., object], field: str
) -> Callable[[Dispute, User, Any], object]:
    """A party's statement with files: the form's ``field`` goes to the service under the
    same name, the uploaded files are stored in the dispute's folder."""

    def call(dispute: Dispute, user: User, form: Any) -> object:
        text = getattr(form, field).data or ""
        files = _store(dispute.id, form.files.data)
        return service(db.session(), dispute.id, user=user, files=files, **{field: text})

    return call


ACTIONS: dict[str, tuple[str, DisputeAction]] = {
    "respond": (
        "respond",
        DisputeAction(
            RespondForm,
            "respond_form",
            _statement(services.respond, "response"),
            "Response sent. A moderator will review the dispute.",
        ),
    ),
    "add_evidence": (
        "evidence",
        DisputeAction(
            EvidenceForm,
            "evidence_form",
            _statement(services.add_evidence, "body"),
            "Evidence added.",
        ),
    ),
    "propose_settlement": (
        "settlement",
        DisputeAction(
            SettlementForm,
            "settlement_form",
            lambda d, u, f: services.propose_settlement(
                db.session(), d.id, user=u, refund_minor=_settlement_refund(f)
            ),
            "Settlement proposed. The other party can accept it.",
        ),
    ),
    "accept_settlement": (
        "settlement/accept",
        DisputeAction(
            SettlementForm,
            "settlement_form",
            lambda d, u, f: services.accept_settlement(
                db.session(),
                gateway_for(current_app),
                d.id,
                user=u,
                refund_minor=_settlement_refund(f),
            ),
            "Settled. The money moves as agreed.",
        ),
    ),
    "withdraw": (
        "withdraw",
        DisputeAction(  # only the form's CSRF token matters
            EvidenceForm,
            "evidence_form",
            lambda d, u, f: services.withdraw(db.session(), d.id, user=u),
            "Dispute withdrawn.",
        ),
    ),
    "claim": (
        "claim",
        DisputeAction(
            EvidenceForm,
            "evidence_form",
            lambda d, u, f: services.claim(db.session(), d.id, moderator=u),
            "You are handling this dispute.",
            role=Role.MODERATOR,
        ),
    ),
    "resolve": (
        "resolve",
        DisputeAction(
            ResolveForm,
            "resolve_form",
            lambda d, u, f: services.resolve(
                db.session(),
                gateway_for(current_app),
                d.id,
                moderator=u,
                outcome=f.outcome.data or "",
                note=f.note.data or "",
                refund_minor=getattr(f.refund, "minor", None),
            ),
            "Dispute resolved.",
            role=Role.MODERATOR,
        ),
    ),
}


def _action_view(action: DisputeAction) -> Callable[[int], Page | Response]:
    def view(dispute_id: int) -> Page | Response:
        user = current()
        dispute = _dispute(dispute_id, user)
        form = action.form()
        return submit(
            form,
            lambda: action.call(dispute, user, form),
            done=action.done,
            then=url_for("disputes.detail", dispute_id=dispute.id),
            render=lambda status: _render(dispute, user, status, **{action.form_name: form}),
            code=302,
        )

    return view


for _endpoint, (_path, _action) in ACTIONS.items():
    _guard = role_required(_action.role) if _action.role else login_required
    bp.add_url_rule(
        f"/disputes/<int:dispute_id>/{_path}",
        endpoint=_endpoint,
        view_func=_guard(_action_view(_action)),
        methods=["POST"],
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
