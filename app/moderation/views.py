"""Report form for every logged-in user; the moderators' pages (403 for everyone else)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.db import MAX_ID
from app.extensions import db
from app.moderation import services, subjects
from app.moderation.forms import ReasonForm, ReportForm, SubjectActionForm
from app.moderation.models import ReportStatus
from app.money import NumberError, parse_int
from app.web import Page, submit

bp = Blueprint("moderation", __name__)
moderator_only = role_required(Role.MODERATOR)  # admins count as moderators (User.has_role)


@bp.route("/report", methods=["GET", "POST"])
@login_required
def report() -> Page | Response:
    form = ReportForm(
        subject_type=request.args.get("type"), subject_id=request.args.get("id", type=int)
    )
    return submit(
        form,
        lambda: services.create_report(
            db.session(),
            current(),
            subject_type=form.subject_type.data or "",
            subject_id=form.subject_id.data or 0,
            reason=form.reason.data or "",
            details=form.details.data or "",
        ),
        done="Thank you: a moderator will look at your report.",
        then=url_for("pages.home"),
        render=lambda status: (render_template("moderation/report_form.html", form=form), status),
        code=302,
    )


@bp.get("/moderation")
@moderator_only
def home() -> str:
    session = db.session()
    return render_template(
        "moderation/home.html",
        open_count=len(services.reports(session)),
        hidden=services.hidden_content(session),
        actions=services.recent_actions(session, limit=20),
        form=SubjectActionForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
    )


@bp.get("/moderation/reports")
@moderator_only
def reports() -> Page:
    raw = request.args.get("status", "open")
    status = (
        None
        if raw == "all"
        else ReportStatus(raw)
        if raw in set(ReportStatus)
        else ReportStatus.OPEN
    )
    items = services.reports(db.session(), status)
    return render_template("moderation/reports.html", reports=items, status=raw)


def _report_page(
    report_id: int, form: Any = None, reason_form: Any = None, status: int = 200
) -> Page:
    session = db.session()
    report = services.get_report(session, report_id)
    subject = subjects.load(session, report.subject_type, report.subject_id)
    owner = session.get(User, subject.owner_id) if subject else None
    context = {
        "report": report,
        "subject": subject,
        "owner": owner,
        "history": services.history(session, report.subject_type, report.subject_id),
        "form": form or SubjectActionForm(formdata=None),
        "reason_form": reason_form or ReasonForm(formdata=None),
    }
    return render_template("moderation/report.html", **context), status


@bp.get("/moderation/reports/<int:report_id>")
@moderator_only
def report_detail(report_id: int) -> Page:
    return _report_page(report_id)


@bp.post("/moderation/reports/<int:report_id>/dismiss")
@moderator_only
def dismiss(report_id: int) -> Page | Response:
    form = ReasonForm()
    return submit(
        form,
        lambda: services.dismiss(db.session(), current(), report_id, form.reason.data or ""),
        done="Report dismissed.",
        then=url_for("moderation.reports"),
        render=lambda status: _report_page(report_id, reason_form=form, status=status),
        code=302,
    )


def _back(form: SubjectActionForm) -> str:
    with suppress(NumberError):
        report_id = parse_int(form.report_id.data, low=1, high=MAX_ID)
        return url_for("moderation.report_detail", report_id=report_id)
    return url_for("moderation.home")


def _subject_action(action: Any, done: str) -> Response | Page:
    form = SubjectActionForm()
    return submit(
        form,
        lambda: action(
            db.session(),
            current(),
            form.subject_type.data or "",
            form.subject_id.data or 0,
            form.reason.data or "",
        ),
        done=done,
        then=lambda _: _back(form),
        render=lambda status: _failed(form, status),
        code=302,
    )


@bp.post("/moderation/hide")
@moderator_only
def hide() -> Response | Page:
    return _subject_action(services.hide, "Hidden.")


@bp.post("/moderation/restore")
@moderator_only
def restore() -> Response | Page:
    return _subject_action(services.restore, "Restored.")


def _user_action(user_id: int, action: Any, done: str) -> Response | Page:
    form = ReasonForm()
    return submit(
        form,
        lambda: action(db.session(), current(), user_id, form.reason.data or ""),
        done=done,
        then=url_for("moderation.home"),
        render=lambda status: _failed(form, status),
        code=302,
    )


def _failed(form: ReasonForm, status: int) -> Page:
    """Show why nothing happened; the 4xx makes the unit of work roll back."""
    for name, messages in form.errors.items():
        for message in messages:
            flash(f"{name}: {message}" if name != "_" else message, "error")
    return render_template("moderation/action_failed.html"), status


@bp.post("/moderation/users/<int:user_id>/suspend")
@moderator_only
def suspend(user_id: int) -> Response | Page:
    return _user_action(user_id, services.suspend, "Account suspended.")


@bp.post("/moderation/users/<int:user_id>/unsuspend")
@moderator_only
def unsuspend(user_id: int) -> Response | Page:
    return _user_action(user_id, services.unsuspend, "Account reinstated.")


_SUBJECT_PAGES = {
    "dispute": ("disputes.detail", "dispute_id"),
    "media": ("media.detail", "asset_id"),
    "offer": ("offers.detail", "offer_id"),
    "brief": ("briefs.detail", "brief_id"),
    "report": ("moderation.report_detail", "report_id"),
}


@bp.app_context_processor
def _audit_helpers() -> dict[str, Any]:
    def audit_link(event: Any) -> str | None:
        """The page of an audited subject, for the staff's audit log (None: no page)."""
        page = _SUBJECT_PAGES.get(event.subject_type)
        if page is not None:
            return url_for(page[0], **{page[1]: event.subject_id})
        if event.subject_type in ("user", "profile"):
            return url_for("admin.home", q=f"#{event.subject_id}")
        if event.subject_type == "payout":
            return url_for("admin.home")
        return None

    return {"audit_link": audit_link}
