"""Threads and messages: who may read them, posting (with stored attachments), read markers
and unread counts. Services take a Session, flush, never commit; errors are typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.briefs.models import Brief, Proposal
from app.contracts.models import Contract
from app.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from app.messaging.models import Message, MessageAttachment, MessageThread, ThreadReadMarker
from app.uploads import StoredFile

MAX_BODY = 5000


def _get_or_create(
    session: Session, lookup: dict[str, int | str], thread: MessageThread
) -> MessageThread:
    existing = session.scalars(select(MessageThread).filter_by(**lookup)).first()
    if existing is not None:
        return existing
    try:
        # Two first messages at once: the unique key picks one thread, the other reloads it.
        with session.begin_nested():
            session.add(thread)
    except IntegrityError:
        return session.scalars(select(MessageThread).filter_by(**lookup)).one()
    return thread


def thread_for_contract(session: Session, contract: Contract) -> MessageThread:
    """The contract's thread (created on first use); continues the proposal's thread if any."""
    thread = session.scalars(
        select(MessageThread).where(MessageThread.contract_id == contract.id)
    ).first()
    if thread is not None:
        return thread
    if contract.proposal_id is not None:
        earlier = session.scalars(
            select(MessageThread)
            .where(MessageThread.proposal_id == contract.proposal_id)
            .with_for_update()
        ).first()
        if earlier is not None:
            earlier.contract_id = contract.id
            session.flush()
            return earlier
    return _get_or_create(
        session,
        {"contract_id": contract.id},
        MessageThread(
            contract_id=contract.id,
            proposal_id=contract.proposal_id,
            business_id=contract.business_id,
            creator_id=contract.creator_id,
        ),
    )


def thread_for_proposal(session: Session, proposal: Proposal) -> MessageThread:
    return _get_or_create(
        session,
        {"proposal_id": proposal.id},
        MessageThread(
            proposal_id=proposal.id,
            business_id=proposal.brief.business_id,
            creator_id=proposal.creator_id,
        ),
    )


def handling_moderator(session: Session, thread: MessageThread, user: User) -> bool:
    """True if ``user`` is the moderator handling a dispute on the thread's contract."""
    if thread.contract_id is None or not (user.is_moderator or user.is_admin):
        return False
    from app.disputes.models import Dispute

    return (
        session.scalar(
            select(func.count())
            .select_from(Dispute)
            .where(Dispute.contract_id == thread.contract_id, Dispute.moderator_id == user.id)
        )
        or 0
    ) > 0


def may_read(session: Session, thread: MessageThread, user: User) -> bool:
    return user.id in thread.party_ids() or handling_moderator(session, thread, user)


def check_readable(session: Session, thread: MessageThread, user: User) -> None:
    """Raises NotFound for anyone who may not read the thread (its existence stays private)."""
    if not may_read(session, thread, user):
        raise NotFound("No such conversation.")


def messages_of(session: Session, thread: MessageThread, *, limit: int = 500) -> list[Message]:
    return list(
        session.scalars(
            select(Message).where(Message.thread_id == thread.id).order_by(Message.id).limit(limit)
        )
    )


def post(
    session: Session,
    thread: MessageThread,
    *,
    sender: User,
    body: str,
    files: Sequence[StoredFile] = (),
) -> Message:
    """Add a message from one of the two parties (moderators read, they do not post here).

    Raises PermissionDenied (not a party, or a suspended account), ValidationFailed (empty or
    too long). ``files`` are already stored; the caller deletes them if this raises.
    """
    if sender.id not in thread.party_ids():
        raise PermissionDenied("Only the two parties write in this conversation.")
    if sender.suspended_at is not None:
        raise PermissionDenied("Suspended accounts cannot send messages.")
    text = body.strip()
    if not text and not files:
        raise ValidationFailed({"body": ["Write a message or attach a file."]})
    if len(text) > MAX_BODY:
        raise ValidationFailed({"body": [f"Messages are limited to {MAX_BODY} characters."]})
    now = clock.now()
    message = Message(thread_id=thread.id, sender_id=sender.id, body=text, created_at=now)
    session.add(message)
    session.flush()
    session.add_all(
        MessageAttachment(message_id=message.id, **stored.row_fields()) for stored in files
    )
    thread.last_message_at = now
    session.flush()
    mark_read(session, thread, sender)
    return message


def mark_read(session: Session, thread: MessageThread, user: User) -> None:
    """Move the user's read marker to the thread's newest message (parties only)."""
    if user.id not in thread.party_ids():
        return
    newest = session.scalar(select(func.max(Message.id)).where(Message.thread_id == thread.id))
    marker = session.get(ThreadReadMarker, (thread.id, user.id))
    if marker is None:
        marker = ThreadReadMarker(thread_id=thread.id, user_id=user.id)
        try:
            with session.begin_nested():
                session.add(marker)
        except IntegrityError:  # the same user's other tab got there first
            marker = session.get(ThreadReadMarker, (thread.id, user.id))
            assert marker is not None
    if (newest or 0) > (marker.last_read_message_id or 0):
        marker.last_read_message_id = newest or 0
        marker.read_at = clock.now()
    session.flush()


def unread_counts(session: Session, user_id: int) -> dict[int, int]:
    """Unread messages per thread for ``user_id`` (messages of the other party after the
    user's read marker); threads with none are left out."""
    rows = session.execute(
        select(Message.thread_id, func.count(Message.id))
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .outerjoin(
            ThreadReadMarker,
            and_(
                ThreadReadMarker.thread_id == Message.thread_id,
                ThreadReadMarker.user_id == user_id,
            ),
        )
        .where(
            or_(MessageThread.business_id == user_id, MessageThread.creator_id == user_id),
            Message.sender_id != user_id,
            Message.id > func.coalesce(ThreadReadMarker.last_read_message_id, 0),
        )
        .group_by(Message.thread_id)
    )
    return {thread_id: int(count) for thread_id, count in rows}


def unread_total(session: Session, user_id: int) -> int:
    return sum(unread_counts(session, user_id).values())


def threads_of(session: Session, user_id: int) -> list[MessageThread]:
    return list(
        session.scalars(
            select(MessageThread)
            .where(or_(MessageThread.business_id == user_id, MessageThread.creator_id == user_id))
            .order_by(MessageThread.last_message_at.desc().nulls_last(), MessageThread.id.desc())
        )
    )


def attachment_of(session: Session, thread: MessageThread, attachment_id: int) -> MessageAttachment:
    attachment = session.get(MessageAttachment, attachment_id)
    if attachment is None or attachment.message.thread_id != thread.id:
        raise NotFound("No such file.")
    return attachment


@dataclass(frozen=True)
class InboxRow:
    """One conversation as the inbox shows it: who with, about what, the last words."""

    thread: MessageThread
    other: User
    subject: str
    last: Message | None


def inbox(session: Session, user_id: int) -> list[InboxRow]:
    """The user's conversations, most recent first, with the other party, the contract's or
    brief's title and the last message (for its preview)."""
    rows = []
    for thread in threads_of(session, user_id):
        other_id = thread.creator_id if user_id == thread.business_id else thread.business_id
        other = session.get(User, other_id)
        assert other is not None
        if thread.contract_id is not None:
            contract = session.get(Contract, thread.contract_id)
            subject = contract.title if contract is not None else "Contract"
        elif thread.direct_key is not None:
            subject = "Before hiring"
        else:
            proposal = session.get(Proposal, thread.proposal_id)
            brief = session.get(Brief, proposal.brief_id) if proposal is not None else None
            subject = f"Proposal: {brief.title}" if brief is not None else "Proposal"
        last = session.scalars(
            select(Message).where(Message.thread_id == thread.id).order_by(Message.id.desc())
        ).first()
        rows.append(InboxRow(thread, other, subject, last))
    return rows


CONTACT_LIMIT = 5  # new conversations a business may start per CONTACT_WINDOW
CONTACT_WINDOW = timedelta(hours=24)


def contact(session: Session, business: User, creator: User, body: str) -> MessageThread:
    """A business writes to a creator before any proposal or contract ("Contact" on offers and
    profiles). Continues their earlier conversation if there is one.

    Raises PermissionDenied (not a business, not a creator, oneself, suspended),
    ValidationFailed (empty or too long), RateLimited (more than CONTACT_LIMIT new
    conversations in CONTACT_WINDOW: spam protection).
    """
    if not business.is_business or business.suspended_at is not None:
        raise PermissionDenied("Only business accounts can contact creators.")
    if not creator.is_creator or creator.suspended_at is not None or creator.id == business.id:
        raise PermissionDenied("This creator cannot be contacted.")
    key = f"{business.id}-{creator.id}"
    thread = session.scalars(select(MessageThread).where(MessageThread.direct_key == key)).first()
    if thread is None:
        started = session.scalar(
            select(func.count())
            .select_from(MessageThread)
            .where(
                MessageThread.business_id == business.id,
                MessageThread.direct_key.is_not(None),
                MessageThread.created_at > clock.now() - CONTACT_WINDOW,
            )
        )
        if (started or 0) >= CONTACT_LIMIT:
            raise RateLimited(
                f"You can start {CONTACT_LIMIT} new conversations a day; "
                "please wait before contacting more creators."
            )
        thread = _get_or_create(
            session,
            {"direct_key": key},
            MessageThread(direct_key=key, business_id=business.id, creator_id=creator.id),
        )
    post(session, thread, sender=business, body=body)
    return thread
