"""Telling people: one ``notify`` for every kind, the in-app centre, and mail through the job
queue (never inside the request: the job row commits with the change, the worker sends it,
and a failed send is retried with the queue's backoff).

Mail preferences: a kind can be off by mail (it still shows in the centre); with the daily
digest on, notifications are gathered into one mail a day instead of one mail each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from flask import current_app, has_app_context, render_template
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.routing import Map

from app import clock, jobs, mail
from app.accounts.models import User
from app.errors import NotFound, ValidationFailed
from app.notifications.kinds import KINDS
from app.notifications.models import Notification, NotificationPreference

EMAIL_JOB = "notification_email"
DIGEST_JOB = "notification_digest"
DIGEST_HOUR = 8  # UTC: the digest of the previous day leaves at 08:00
PAGE_SIZE = 30


_url_map: Map | None = None


def remember_urls(url_map: Map) -> None:
    """Keep the app's URL map (registered with the blueprint) for events raised outside any
    app context (services driven directly by workers or scripts)."""
    global _url_map
    _url_map = url_map


def path_for(endpoint: str, **values: object) -> str:
    """The path of a page, built without a request (events also fire in jobs)."""
    url_map = current_app.url_map if has_app_context() else _url_map
    if url_map is None:
        raise RuntimeError("notifications need the app's URL map (register the blueprint)")
    return url_map.bind("localhost").build(endpoint, values)


def notify(
    session: Session,
    user_id: int | None,
    kind: str,
    *,
    title: str,
    link: str,
    subject: tuple[str, int],
    body: str = "",
) -> Notification | None:
    """Tell ``user_id`` about ``subject`` (in the centre, and by mail as they chose).

    Returns the notification, or None when there is nobody to tell (no such user). Raises
    ValueError for a kind that is not in ``KINDS`` (a programming error).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if user_id is None or session.get(User, user_id) is None:
        return None
    note = Notification(
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body[:1000],
        link=link[:300],
        subject_type=subject[0],
        subject_id=subject[1],
    )
    session.add(note)
    session.flush()
    prefs = session.get(NotificationPreference, user_id)
    if prefs is not None and kind in (prefs.email_off or []):
        return note
    if prefs is not None and prefs.digest:
        due = next_digest_at(clock.now())
        jobs.schedule(
            session,
            kind=DIGEST_JOB,
            subject_type="user",
            subject_id=user_id,
            due_at=due,
            key=f"notification-digest-{user_id}-{due:%Y%m%d}",
        )
    else:
        jobs.schedule(
            session,
            kind=EMAIL_JOB,
            subject_type="notification",
            subject_id=note.id,
            due_at=clock.now(),
            key=f"notification-{note.id}-email",
        )
    return note


def next_digest_at(now: datetime) -> datetime:
    today = datetime.combine(now.date(), time(DIGEST_HOUR), tzinfo=now.tzinfo)
    return today if today > now else today + timedelta(days=1)


# --- the centre ----------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Notification)
    return (
        session.scalar(query.where(Notification.user_id == user_id, Notification.read_at.is_(None)))
        or 0
    )


def latest(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = PAGE_SIZE
) -> Sequence[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()


def own(session: Session, user_id: int, notification_id: int) -> Notification:
    """The user's notification. Raises NotFound (someone else's is not shown either)."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound("No such notification.")
    return note


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one notification read (idempotent). Raises NotFound."""
    note = own(session, user_id, notification_id)
    if note.read_at is None:
        note.read_at = clock.now()
    return note


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- preferences ---------------------------------------------------------------------------


def preferences(session: Session, user_id: int) -> NotificationPreference:
    """The user's preferences (defaults when they never chose; not added to the session)."""
    return session.get(NotificationPreference, user_id) or NotificationPreference(
        user_id=user_id, email_off=[], digest=False
    )


def save_preferences(
    session: Session, user_id: int, *, email_kinds: Sequence[str], digest: bool
) -> NotificationPreference:
    """Mail only ``email_kinds`` (each a key of KINDS), one by one or as a daily digest.
    Raises ValidationFailed for an unknown kind."""
    unknown = sorted(set(email_kinds) - set(KINDS))
    if unknown:
        raise ValidationFailed(f"Unknown notification kind: {', '.join(unknown)}.", field="email")
    prefs = session.get(NotificationPreference, user_id)
    if prefs is None:
        prefs = NotificationPreference(user_id=user_id)
        session.add(prefs)
    prefs.email_off = sorted(set(KINDS) - set(email_kinds))
    prefs.digest = digest
    session.flush()
    return prefs


# --- mail (jobs) ---------------------------------------------------------------------------


def _absolute(link: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link


def _recipient(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return None if user is None or user.suspended_at is not None else user


def run_email_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """Mail one notification (plain text and HTML, with the link to act on it). A failing
    mail server raises: the queue retries with backoff. Sent mail is not sent twice."""
    note = session.get(Notification, job.subject_id)
    if note is None or note.emailed_at is not None:
        return "nothing to send"
    user = _recipient(session, note.user_id)
    if user is None:
        return "no recipient"
    if note.kind in (preferences(session, user.id).email_off or []):
        return "mail turned off for this kind"
    notes = [note]
    mail.send_now(
        to=user.email,
        subject=note.title,
        body=render_template("notifications/email.txt", user=user, notes=notes, link=_absolute),
        html=render_template("notifications/email.html", user=user, notes=notes, link=_absolute),
    )
    note.emailed_at = clock.now()
    return f"mailed notification {note.id}"


def run_digest_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """Mail the user's notifications not mailed yet, in one message."""
    user = _recipient(session, job.subject_id)
    if user is None:
        return "no recipient"
    prefs = preferences(session, user.id)
    off = set(prefs.email_off or [])
    notes = [
        n
        for n in session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.emailed_at.is_(None))
            .order_by(Notification.id)
        ).all()
        if n.kind not in off
    ]
    if not notes:
        return "nothing to send"
    mail.send_now(
        to=user.email,
        subject=f"Your daily summary: {len(notes)} update{'s' if len(notes) != 1 else ''}",
        body=render_template("notifications/email.txt", user=user, notes=notes, link=_absolute),
        html=render_template("notifications/email.html", user=user, notes=notes, link=_absolute),
    )
    now = clock.now()
    for note in notes:
        note.emailed_at = now
    if session.get(NotificationPreference, user.id) is not None:
        prefs.last_digest_at = now
    return f"mailed a digest of {len(notes)}"
