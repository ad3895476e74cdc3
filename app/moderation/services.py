"""Reports, hiding and restoring content, suspending accounts. Every moderator action needs a
reason and writes an audit row (who: ``actor_id``, when: ``created_at``, why: ``reason``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock, settlement
from app.accounts.models import User
from app.db import MAX_ID
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.matching.hooks import offer_changed
from app.moderation import subjects
from app.moderation.models import Report, ReportReason, ReportStatus
from app.moderation.subjects import Subject
from app.offers.models import Offer
from app.workflow import StateMachine, lock, lock_many

REPORT = StateMachine(
    "report",
    ReportStatus,
    {
        "action": ({ReportStatus.OPEN}, ReportStatus.ACTIONED),
        "dismiss": ({ReportStatus.OPEN}, ReportStatus.DISMISSED),
    },
    field="status",
)

DETAILS_LENGTH = 2000
REASON_LENGTH = (3, 500)


class AlreadyReported(Conflict):
    code = "already_reported"


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


# --- reports --------------------------------------------------------------------------------


def create_report(
    session: Session,
    reporter: User,
    *,
    subject_type: str,
    subject_id: int,
    reason: str,
    details: str = "",
) -> Report:
    """Report content ``reporter`` can see.

    Raises ValidationFailed (unknown type or reason, details too long, own content), NotFound
    (no such subject, or not visible to the reporter), AlreadyReported (an open report of
    theirs on the same subject exists).
    """
    errors: dict[str, list[str]] = {}
    if subject_type not in subjects.subject_types():
        errors["subject_type"] = [f"Use one of: {', '.join(subjects.subject_types())}."]
    if reason not in {r.value for r in ReportReason}:
        errors["reason"] = [f"Use one of: {', '.join(r.value for r in ReportReason)}."]
    if len(details) > DETAILS_LENGTH:
        errors["details"] = [f"Keep it under {DETAILS_LENGTH} characters."]
    if errors:
        raise ValidationFailed(errors)
    subject = subjects.load(session, subject_type, subject_id)
    if subject is None or not subjects.visible_to(session, subject, reporter):
        raise NotFound(f"No such {subject_type}.")
    if subject.owner_id == reporter.id:
        raise ValidationFailed({"subject_id": ["You cannot report your own content."]})
    duplicate = session.scalar(
        select(Report.id).where(
            Report.reporter_id == reporter.id,
            Report.subject_type == subject_type,
            Report.subject_id == subject_id,
            Report.status == ReportStatus.OPEN,
        )
    )
    if duplicate is not None:
        raise AlreadyReported("You have already reported this; a moderator will look at it.")
    report = Report(
        reporter_id=reporter.id,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=ReportReason(reason),
        details=_clean(details),
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        "report.created",
        (subject_type, subject_id),
        actor_id=reporter.id,
        report_id=report.id,
        reason=reason,
    )
    return report


def reports(session: Session, status: ReportStatus | None = ReportStatus.OPEN) -> Sequence[Report]:
    stmt = select(Report).order_by(Report.created_at, Report.id).limit(200)
    if status is not None:
        stmt = stmt.where(Report.status == status)
    return session.scalars(stmt).all()


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id) if 0 < report_id <= MAX_ID else None
    if report is None:
        raise NotFound("No such report.")
    return report


# --- moderator actions ----------------------------------------------------------------------


def require_moderator(user: User) -> None:
    if not (user.is_moderator or user.is_admin):
        raise PermissionDenied("Only moderators can do that.")


def _reason(reason: str) -> str:
    reason = _clean(reason)
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high:
        raise ValidationFailed({"reason": [f"Give a reason ({low} to {high} characters)."]})
    return reason


def _record(
    session: Session,
    moderator: User,
    action: str,
    kind: str,
    ident: int,
    reason: str,
    **data: Any,
) -> None:
    audit.record(
        session, f"moderation.{action}", (kind, ident), actor_id=moderator.id, reason=reason, **data
    )


def _close_reports(
    session: Session,
    moderator: User,
    subject_type: str,
    subject_id: int,
    status: ReportStatus,
    resolution: str,
) -> None:
    """Every open report about the subject is actioned (or dismissed) with ``resolution``."""
    open_ids = session.scalars(
        select(Report.id).where(
            Report.subject_type == subject_type,
            Report.subject_id == subject_id,
            Report.status == ReportStatus.OPEN,
        )
    ).all()
    action = "action" if status is ReportStatus.ACTIONED else "dismiss"
    for report in lock_many(session, Report, open_ids):
        _close(session, report, moderator, action, resolution)


def _close(session: Session, report: Report, moderator: User, action: str, why: str) -> None:
    REPORT.move(session, report, action, actor_id=moderator.id, reason=why)
    report.resolved_at, report.resolved_by_id, report.resolution = clock.now(), moderator.id, why


def _touch_index(session: Session, subject: Subject) -> None:
    """Hidden offers (and every offer of a hidden profile) leave the matching index."""
    if subject.type == "offer":
        offer_changed(session, subject.obj)
    elif subject.type == "profile":
        for offer in session.scalars(select(Offer).where(Offer.creator_id == subject.owner_id)):
            offer_changed(session, offer)


def _hideable(session: Session, subject_type: str, subject_id: int) -> Subject:
    if subject_type not in subjects.HIDEABLE:
        raise ValidationFailed({"subject_type": [f"Use one of: {', '.join(subjects.HIDEABLE)}."]})
    subject = subjects.load(session, subject_type, subject_id)
    if subject is None:
        raise NotFound(f"No such {subject_type}.")
    return subject


def hide(
    session: Session, moderator: User, subject_type: str, subject_id: int, reason: str
) -> Subject:
    """Hide an offer, brief or creator profile; its open reports become "actioned".

    Raises PermissionDenied, ValidationFailed (type, reason), NotFound, Conflict (already hidden).
    """
    require_moderator(moderator)
    reason = _reason(reason)
    subject = _hideable(session, subject_type, subject_id)
    if subject.hidden:
        raise Conflict(f"This {subject_type} is already hidden.")
    subject.obj.hidden_at = clock.now()
    _close_reports(
        session, moderator, subject_type, subject_id, ReportStatus.ACTIONED, f"Hidden: {reason}"
    )
    _record(session, moderator, "hide", subject_type, subject_id, reason)
    session.flush()
    _touch_index(session, subject)
    return subject


def restore(
    session: Session, moderator: User, subject_type: str, subject_id: int, reason: str
) -> Subject:
    """Undo ``hide``. Raises PermissionDenied, ValidationFailed, NotFound, Conflict (not hidden)."""
    require_moderator(moderator)
    reason = _reason(reason)
    subject = _hideable(session, subject_type, subject_id)
    if not subject.hidden:
        raise Conflict(f"This {subject_type} is not hidden.")
    subject.obj.hidden_at = None
    _record(session, moderator, "restore", subject_type, subject_id, reason)
    session.flush()
    _touch_index(session, subject)
    return subject


def _target_user(session: Session, moderator: User, user_id: int) -> User:
    target = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if target is None:
        raise NotFound("No such user.")
    if target.id == moderator.id:
        raise PermissionDenied("You cannot suspend or reinstate yourself.")
    if (target.is_moderator or target.is_admin) and not moderator.is_admin:
        raise PermissionDenied("Only an admin can suspend or reinstate staff accounts.")
    return target


def _reindex_offers_of(session: Session, user_id: int) -> None:
    for offer in session.scalars(select(Offer).where(Offer.creator_id == user_id)):
        offer_changed(session, offer)


def suspend(session: Session, moderator: User, user_id: int, reason: str) -> User:
    """Suspend an account: it cannot log in (User.is_active), its offers are unlisted, and its
    payouts are held (app.settlement) with the money left in the ledger.

    Raises PermissionDenied, ValidationFailed (reason), NotFound, Conflict (already suspended).
    """
    require_moderator(moderator)
    reason = _reason(reason)
    target = _target_user(session, moderator, user_id)
    if target.suspended_at is not None:
        raise Conflict("This account is already suspended.")
    target.suspended_at = clock.now()
    # Open reports about the account's content are settled by the suspension.
    _close_reports(
        session,
        moderator,
        "profile",
        target.id,
        ReportStatus.ACTIONED,
        f"Owner suspended: {reason}",
    )
    _record(session, moderator, "suspend", "user", target.id, reason)
    session.flush()
    _reindex_offers_of(session, target.id)
    return target


def unsuspend(session: Session, moderator: User, user_id: int, reason: str) -> User:
    """Reinstate a suspended account. Raises like ``suspend`` (Conflict: not suspended)."""
    require_moderator(moderator)
    reason = _reason(reason)
    target = _target_user(session, moderator, user_id)
    if target.suspended_at is None:
        raise Conflict("This account is not suspended.")
    target.suspended_at = None
    _record(session, moderator, "unsuspend", "user", target.id, reason)
    session.flush()
    _reindex_offers_of(session, target.id)
    # Payouts held by the suspension wait a few hours between tries; send them now.
    settlement.make_due_for_creator(session, target.id)
    return target


def dismiss(session: Session, moderator: User, report_id: int, reason: str) -> Report:
    """Close a report without action. Raises PermissionDenied, ValidationFailed, NotFound,
    Conflict (already closed)."""
    require_moderator(moderator)
    reason = _reason(reason)
    if not 0 < report_id <= MAX_ID:
        raise NotFound("No such report.")
    report = lock(session, Report, report_id, missing="No such report.")
    if report.status is not ReportStatus.OPEN:
        raise Conflict("This report is already closed.")
    _close(session, report, moderator, "dismiss", reason)
    session.flush()
    return report


def history(session: Session, subject_type: str, subject_id: int) -> Sequence[audit.AuditEvent]:
    """Audit rows about a subject (moderator actions and reports), newest first."""
    return session.scalars(
        select(audit.AuditEvent)
        .where(
            audit.AuditEvent.subject_type == subject_type, audit.AuditEvent.subject_id == subject_id
        )
        .order_by(audit.AuditEvent.created_at.desc(), audit.AuditEvent.id.desc())
        .limit(100)
    ).all()


def recent_actions(session: Session, limit: int = 50) -> Sequence[audit.AuditEvent]:
    """What moderators and admins did lately, whatever it was about (reports, media review,
    disputes, suspensions), newest first."""
    staff = select(User.id).where(User.is_moderator.is_(True) | User.is_admin.is_(True))
    return session.scalars(
        select(audit.AuditEvent)
        .where(audit.AuditEvent.actor_id.in_(staff))
        .order_by(audit.AuditEvent.created_at.desc(), audit.AuditEvent.id.desc())
        .limit(limit)
    ).all()


def hidden_content(session: Session) -> dict[str, Sequence[object]]:
    """What is currently hidden or suspended, for the moderators' home page."""
    from app.accounts.models import CreatorProfile
    from app.briefs.models import Brief

    marked = {
        "offers": Offer.hidden_at,
        "briefs": Brief.hidden_at,
        "profiles": CreatorProfile.hidden_at,
        "users": User.suspended_at,
    }
    return {
        name: session.scalars(select(column.class_).where(column.is_not(None)).limit(100)).all()
        for name, column in marked.items()
    }
