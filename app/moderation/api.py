"""JSON API: anyone with a token can report content; moderators act (403 for anyone else)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import url_for
from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import Id, In, Out, Query, Text, operation
from app.extensions import db
from app.moderation import services
from app.moderation.models import Report, ReportReason, ReportStatus
from app.moderation.services import DETAILS_LENGTH, REASON_LENGTH
from app.moderation.subjects import HIDEABLE

Reasons = Literal[tuple(r.value for r in ReportReason)]
Statuses = Literal[tuple(s.value for s in ReportStatus)]
Hideable = Literal[tuple(HIDEABLE)]
Reportable = Literal[(*HIDEABLE, "message")]
ReasonText = Annotated[Text, Field(min_length=REASON_LENGTH[0], max_length=REASON_LENGTH[1])]


class ReportCreate(In):
    subject_type: Reportable
    subject_id: Id
    reason: Reasons
    details: Annotated[Text, Field(max_length=DETAILS_LENGTH)] = ""


class ReportOut(Out):
    """A report; ``reporter_id``, ``resolution`` and ``resolved_at`` only for moderators
    (null for the reporter)."""

    id: int
    subject_type: str
    subject_id: int
    reason: Reasons
    details: str
    status: Statuses
    created_at: datetime
    reporter_id: int | None
    resolution: str | None
    resolved_at: datetime | None


class ReportList(Out):
    items: list[ReportOut]


class ReportQuery(Query):
    status: Literal[(*(s.value for s in ReportStatus), "all")] = "open"


class SubjectAction(In):
    subject_type: Hideable
    subject_id: Id
    reason: ReasonText


class Reason(In):
    reason: ReasonText


class SubjectState(Out):
    subject_type: Hideable
    subject_id: int
    hidden: bool
    hidden_at: datetime | None


class UserState(Out):
    user_id: int
    suspended: bool
    suspended_at: datetime | None


def report_out(report: Report, *, staff: bool = False) -> ReportOut:
    return ReportOut(
        id=report.id,
        subject_type=report.subject_type,
        subject_id=report.subject_id,
        reason=report.reason.value,
        details=report.details,
        status=report.status.value,
        created_at=report.created_at,
        reporter_id=report.reporter_id if staff else None,
        resolution=report.resolution if staff else None,
        resolved_at=report.resolved_at if staff else None,
    )


STAFF = Role.MODERATOR
PROBLEMS = {
    403: "Not a moderator (or acting on oneself / on staff without being an admin)",
    404: "No such subject, report or user (or not visible to the caller)",
    409: "Conflict with the current state (already reported, hidden, suspended, closed)",
}


@bp.post("/reports")
@operation(tag="moderation", body=ReportCreate, created=ReportOut, problems=PROBLEMS)
def create_report(body: ReportCreate) -> tuple[ReportOut, int, dict[str, str]]:
    """Report an offer, brief, creator profile or message you can see"""
    report = services.create_report(db.session(), api_user(), **body.model_dump())
    return report_out(report), 201, {"Location": url_for("api.create_report")}


@bp.get("/moderation/reports")
@operation(tag="moderation", query=ReportQuery, ok=ReportList, role=STAFF)
def list_reports(query: ReportQuery) -> ReportList:
    """The moderators' report queue, oldest first (moderators only)"""
    status = None if query.status == "all" else ReportStatus(query.status)
    return ReportList(
        items=[report_out(r, staff=True) for r in services.reports(db.session(), status)]
    )


def _subject_action(action: Callable[..., Any], body: SubjectAction) -> SubjectState:
    moderator = api_user(STAFF)
    subject = action(db.session(), moderator, body.subject_type, body.subject_id, body.reason)
    hidden_at = subject.obj.hidden_at
    return SubjectState(
        subject_type=subject.type,
        subject_id=subject.id,
        hidden=hidden_at is not None,
        hidden_at=hidden_at,
    )


@bp.post("/moderation/hide")
@operation(tag="moderation", body=SubjectAction, ok=SubjectState, role=STAFF, problems=PROBLEMS)
def hide_content(body: SubjectAction) -> SubjectState:
    """Hide an offer, brief or creator profile"""
    return _subject_action(services.hide, body)


@bp.post("/moderation/restore")
@operation(tag="moderation", body=SubjectAction, ok=SubjectState, role=STAFF, problems=PROBLEMS)
def restore_content(body: SubjectAction) -> SubjectState:
    """Restore hidden content"""
    return _subject_action(services.restore, body)


def _user_action(user_id: int, action: Callable[..., Any], body: Reason) -> UserState:
    user = action(db.session(), api_user(STAFF), user_id, body.reason)
    suspended = user.suspended_at
    return UserState(user_id=user.id, suspended=suspended is not None, suspended_at=suspended)


@bp.post("/moderation/users/<int:user_id>/suspend")
@operation(tag="moderation", body=Reason, ok=UserState, role=STAFF, problems=PROBLEMS)
def suspend_user(user_id: int, body: Reason) -> UserState:
    """Suspend an account (no login, no payouts)"""
    return _user_action(user_id, services.suspend, body)


@bp.post("/moderation/users/<int:user_id>/unsuspend")
@operation(tag="moderation", body=Reason, ok=UserState, role=STAFF, problems=PROBLEMS)
def unsuspend_user(user_id: int, body: Reason) -> UserState:
    """Reinstate a suspended account"""
    return _user_action(user_id, services.unsuspend, body)


@bp.post("/moderation/reports/<int:report_id>/dismiss")
@operation(tag="moderation", body=Reason, ok=ReportOut, role=STAFF, problems=PROBLEMS)
def dismiss_report(report_id: int, body: Reason) -> ReportOut:
    """Close a report without action"""
    report = services.dismiss(db.session(), api_user(STAFF), report_id, body.reason)
    return report_out(report, staff=True)
