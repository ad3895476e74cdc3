"""JSON API: anyone with a token can report content; moderators act (403 for anyone else)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from app.accounts.models import Role
from app.api import api_user, bp, created, json_body
from app.errors import ValidationFailed
from app.extensions import db
from app.moderation import services
from app.moderation.models import Report, ReportStatus


def _read(body: dict[str, Any], fields: dict[str, type], required: set[str]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {k: ["Unknown field."] for k in body if k not in fields}
    for name, kind in fields.items():
        if name not in body:
            if name in required:
                errors[name] = ["This field is required."]
            continue
        value = body[name]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            errors[name] = ["Must be a whole number." if kind is int else "Must be a string."]
    if errors:
        raise ValidationFailed(errors)
    return body


def report_json(report: Report, *, staff: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": report.id,
        "subject_type": report.subject_type,
        "subject_id": report.subject_id,
        "reason": report.reason.value,
        "details": report.details,
        "status": report.status.value,
        "created_at": report.created_at.isoformat(),
    }
    if staff:
        data["reporter_id"] = report.reporter_id
        data["resolution"] = report.resolution
        data["resolved_at"] = report.resolved_at.isoformat() if report.resolved_at else None
    return data


@bp.post("/reports")
def create_report() -> tuple[Response, int, dict[str, str]]:
    user = api_user()
    body = _read(
        json_body(),
        {"subject_type": str, "subject_id": int, "reason": str, "details": str},
        {"subject_type", "subject_id", "reason"},
    )
    report = services.create_report(
        db.session(),
        user,
        subject_type=body["subject_type"],
        subject_id=body["subject_id"],
        reason=body["reason"],
        details=body.get("details", ""),
    )
    return created(report_json(report), url_for("api.create_report"))


@bp.get("/moderation/reports")
def list_reports() -> Response:
    api_user(Role.MODERATOR)
    raw = request.args.get("status", "open")
    if raw not in {*ReportStatus, "all"}:
        raise ValidationFailed({"status": ["Use open, actioned, dismissed or all."]})
    status = None if raw == "all" else ReportStatus(raw)
    items = [report_json(r, staff=True) for r in services.reports(db.session(), status)]
    return jsonify({"items": items})


_SUBJECT_FIELDS: dict[str, type] = {"subject_type": str, "subject_id": int, "reason": str}


def _subject_action(action: Any) -> Response:
    moderator = api_user(Role.MODERATOR)
    body = _read(json_body(), _SUBJECT_FIELDS, set(_SUBJECT_FIELDS))
    subject = action(
        db.session(), moderator, body["subject_type"], body["subject_id"], body["reason"]
    )
    hidden_at = subject.obj.hidden_at
    return jsonify(
        {
            "subject_type": subject.type,
            "subject_id": subject.id,
            "hidden": hidden_at is not None,
            "hidden_at": hidden_at.isoformat() if hidden_at else None,
        }
    )


@bp.post("/moderation/hide")
def hide_content() -> Response:
    return _subject_action(services.hide)


@bp.post("/moderation/restore")
def restore_content() -> Response:
    return _subject_action(services.restore)


def _user_action(user_id: int, action: Any) -> Response:
    moderator = api_user(Role.MODERATOR)
    body = _read(json_body(), {"reason": str}, {"reason"})
    user = action(db.session(), moderator, user_id, body["reason"])
    suspended = user.suspended_at
    return jsonify(
        {
            "user_id": user.id,
            "suspended": suspended is not None,
            "suspended_at": suspended.isoformat() if suspended else None,
        }
    )


@bp.post("/moderation/users/<int:user_id>/suspend")
def suspend_user(user_id: int) -> Response:
    return _user_action(user_id, services.suspend)


@bp.post("/moderation/users/<int:user_id>/unsuspend")
def unsuspend_user(user_id: int) -> Response:
    return _user_action(user_id, services.unsuspend)


@bp.post("/moderation/reports/<int:report_id>/dismiss")
def dismiss_report(report_id: int) -> Response:
    moderator = api_user(Role.MODERATOR)
    body = _read(json_body(), {"reason": str}, {"reason"})
    report = services.dismiss(db.session(), moderator, report_id, body["reason"])
    return jsonify(report_json(report, staff=True))
