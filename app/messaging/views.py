"""Message pages: a contract's or a proposal's thread, posting with attachments, downloads,
and the inbox. Only the two parties (and the moderator handling a dispute on the contract)
see a thread; anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import uploads as storage
from app.accounts.auth import current
from app.accounts.models import User
from app.briefs.models import Proposal
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS
from app.messaging import services
from app.messaging.forms import MessageForm
from app.messaging.models import MessageThread
from app.web import Page, attempt, submit, unread_counter

bp = Blueprint("messaging", __name__)

AREA = "messages"


def upload_limits() -> tuple[int, int]:
    return storage.limits("MESSAGE", 5, 10 * 1024 * 1024)


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    return {
        "unread_messages": unread_counter(services.unread_total),
        "thread_unread": _thread_unread,
    }


def _thread_unread(*, contract_id: int | None = None, proposal_id: int | None = None) -> int:
    """Unread messages for the viewer in a contract's or a proposal's thread."""
    if not current_user.is_authenticated:
        return 0
    session = db.session()
    column = MessageThread.contract_id if contract_id is not None else MessageThread.proposal_id
    thread_id = session.scalar(
        select(MessageThread.id).where(column == (contract_id if contract_id else proposal_id))
    )
    if thread_id is None:
        return 0
    return services.unread_counts(session, current_user.id).get(thread_id, 0)


def _contract(contract_id: int, user: User) -> Contract:
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    if contract is None:
        abort(404)
    return contract


def _contract_thread(contract_id: int, user: User) -> tuple[MessageThread, Any]:
    contract = _contract(contract_id, user)
    session = db.session()
    if user.id in (contract.business_id, contract.creator_id):
        return services.thread_for_contract(session, contract), contract
    thread = session.scalars(
        select(MessageThread).where(MessageThread.contract_id == contract.id)
    ).first()
    if thread is None or not services.may_read(session, thread, user):
        abort(404)
    return thread, contract


def _proposal_thread(proposal_id: int, user: User) -> tuple[MessageThread, Any]:
    proposal = db.session.get(Proposal, proposal_id) if proposal_id <= MAX_ID else None
    if proposal is None or user.id not in (proposal.brief.business_id, proposal.creator_id):
        abort(404)
    return services.thread_for_proposal(db.session(), proposal), proposal


def _page(thread: MessageThread, subject: Any, kind: str, form: MessageForm, status: int) -> Page:
    user = current()
    session = db.session()
    messages = services.messages_of(session, thread)
    if status == 200:
        services.mark_read(session, thread, user)
    post_url = _thread_url(thread, subject, kind)
    context = {
        "thread": thread,
        "subject": subject,
        "kind": kind,
        "messages": messages,
        "form": form,
        "post_url": post_url,
        "can_post": user.id in thread.party_ids(),
        "limits": upload_limits(),
    }
    return render_template("messaging/thread.html", **context), status


def _thread_url(thread: MessageThread, subject: Any, kind: str) -> str:
    if kind == "direct":
        return url_for("messaging.direct_thread", thread_id=thread.id)
    return url_for(f"messaging.{kind}_thread", **{f"{kind}_id": subject.id})


def _post(thread: MessageThread, subject: Any, kind: str) -> Page | Response:
    user = current()
    form = MessageForm()
    max_files, max_bytes = upload_limits()

    def post() -> object:
        stored = storage.store(
            AREA, thread.id, form.files.data or [], max_files=max_files, max_bytes=max_bytes
        )
        return services.post(
            db.session(), thread, sender=user, body=form.body.data or "", files=stored
        )

    return submit(
        form,
        post,
        done="Message sent.",
        then=_thread_url(thread, subject, kind),
        # Any refusal shows the form again with its errors: 422.
        render=lambda status: _page(thread, subject, kind, form, FORM_ERROR_STATUS),
        code=302,
    )


def _thread_page(thread: MessageThread, subject: Any, kind: str) -> Page | Response:
    """A conversation's page: POST sends a message, GET shows it with an empty form."""
    if request.method == "POST":
        return _post(thread, subject, kind)
    return _page(thread, subject, kind, MessageForm(formdata=None), 200)


@bp.route("/contracts/<int:contract_id>/messages", methods=["GET", "POST"])
@login_required
def contract_thread(contract_id: int) -> Page | Response:
    thread, contract = _contract_thread(contract_id, current())
    return _thread_page(thread, contract, "contract")


@bp.route("/proposals/<int:proposal_id>/messages", methods=["GET", "POST"])
@login_required
def proposal_thread(proposal_id: int) -> Page | Response:
    thread, proposal = _proposal_thread(proposal_id, current())
    return _thread_page(thread, proposal, "proposal")


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
@login_required
def direct_thread(thread_id: int) -> Page | Response:
    """A conversation before any proposal or contract (started with "Contact")."""
    session = db.session()
    user = current()
    thread = session.get(MessageThread, thread_id) if thread_id <= MAX_ID else None
    if thread is None or not services.may_read(session, thread, user):
        abort(404)
    if thread.direct_key is None:  # a contract's or proposal's conversation has its own page
        if thread.contract_id is not None:
            target = url_for("messaging.contract_thread", contract_id=thread.contract_id)
        else:
            target = url_for("messaging.proposal_thread", proposal_id=thread.proposal_id)
        return redirect(target, 307 if request.method == "POST" else 302)
    other = session.get(
        User, thread.creator_id if user.id == thread.business_id else thread.business_id
    )
    return _thread_page(thread, other, "direct")


@bp.route("/creators/<int:user_id>/contact", methods=["GET", "POST"])
@login_required
def contact(user_id: int) -> Page | Response:
    """A business writes to a creator before hiring (rate-limited; the creator can report)."""
    session = db.session()
    creator = session.get(User, user_id) if user_id <= MAX_ID else None
    if creator is None or not creator.is_creator or creator.suspended_at is not None:
        abort(404)
    form = MessageForm()

    def render(status: int) -> Page:
        return render_template("messaging/contact.html", creator=creator, form=form), status

    return submit(  # a GET (form not submitted) renders the page with 200
        form,
        lambda: services.contact(session, current(), creator, form.body.data or ""),
        done="Message sent. You will find the conversation in Messages.",
        then=lambda thread: url_for("messaging.direct_thread", thread_id=thread.id),
        render=render,
    )


@bp.get("/messages/<int:thread_id>/files/<int:attachment_id>")
@login_required
def download(thread_id: int, attachment_id: int) -> Response:
    session = db.session()
    thread = session.get(MessageThread, thread_id) if thread_id <= MAX_ID else None
    if thread is None or not services.may_read(session, thread, current()):
        abort(404)
    if attachment_id > MAX_ID:
        abort(404)
    try:
        with attempt():
            attachment = services.attachment_of(session, thread, attachment_id)
    except DomainError:
        abort(404)
    return storage.send(AREA, thread.id, attachment.stored_name, attachment.original_name)


@bp.get("/messages")
@login_required
def inbox() -> str:
    user = current()
    session = db.session()
    rows = services.inbox(session, user.id)
    from app.media.gallery import avatars_of

    return render_template(
        "messaging/inbox.html",
        rows=rows,
        avatars=avatars_of(session, [row.other.id for row in rows]),
        counts=services.unread_counts(session, user.id),
    )
