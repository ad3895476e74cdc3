"""The notification centre: the list, opening one (marks it read and goes to the page that
acts on it), mark read / all read, and mail preferences."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.accounts.auth import current
from app.extensions import db
from app.notifications import services
from app.notifications.kinds import KINDS
from app.web import list_page, submit, unread_counter

bp = Blueprint("notifications", __name__)
bp.record_once(lambda state: services.remember_urls(state.app.url_map))


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    return {"unread_notifications": unread_counter(services.unread_count)}


def _list(status: int = 200) -> tuple[str, int]:
    user = current()
    unread_only = request.args.get("show") == "unread"
    session = db.session()
    return (
        render_template(
            "notifications/list.html",
            notes=services.latest(session, user.id, unread_only=unread_only),
            unread=services.unread_count(session, user.id),
            unread_only=unread_only,
        ),
        status,
    )


list_page(bp, "/notifications", "index", _list)


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int) -> Response:
    note = services.mark_read(db.session(), current().id, notification_id)
    return redirect(note.link if note.link.startswith("/") else url_for(".index"), 303)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> Any:
    return submit(
        None,
        lambda: services.mark_read(db.session(), current().id, notification_id),
        done="Marked as read.",
        then=url_for(".index"),
        render=_list,
    )


@bp.post("/notifications/read-all")
@login_required
def read_all() -> Any:
    count = services.mark_all_read(db.session(), current().id)
    flash(f"{count} notification{'s' if count != 1 else ''} marked as read.", "success")
    return redirect(url_for(".index"), 303)


def _settings(status: int = 200) -> tuple[str, int]:
    prefs = services.preferences(db.session(), current().id)
    return render_template("notifications/settings.html", kinds=KINDS, prefs=prefs), status


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    if request.method == "GET":
        return _settings()
    return submit(
        None,
        lambda: services.save_preferences(
            db.session(),
            current().id,
            email_kinds=request.form.getlist("email"),
            digest=request.form.get("delivery") == "digest",
        ),
        done="Your notification preferences are saved.",
        then=url_for(".settings"),
        render=_settings,
    )
