"""Outgoing email behind one small interface.

``send_after_commit(session, to=..., subject=..., body=...)`` queues a message that leaves only
once the request's transaction commits (never for work that was rolled back). The backend
comes from MAIL_BACKEND:

* ``console`` (default, development and tests): writes the message to the log and keeps the
  last messages in memory (``outbox()``), where tests read them;
* ``smtp``: sends through SMTP_HOST:SMTP_PORT (STARTTLS and login when configured).
"""

from __future__ import annotations

import logging
import smtplib
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.db import after_commit

log = logging.getLogger(__name__)
OUTBOX_SIZE = 100


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    sender: str
    html: str | None = None  # an HTML alternative to ``body``


class MailBackend(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleBackend:
    """Logs each message and remembers the last ``OUTBOX_SIZE`` of them."""

    def __init__(self) -> None:
        self.outbox: deque[Message] = deque(maxlen=OUTBOX_SIZE)

    def send(self, message: Message) -> None:
        self.outbox.append(message)
        log.info(
            "email to %s: %s\n%s", message.to, message.subject, message.body, extra={"mail": True}
        )


class SmtpBackend:
    def __init__(self, config: dict[str, Any]) -> None:
        self.host, self.port = config["SMTP_HOST"], int(config["SMTP_PORT"])
        self.username, self.password = config["SMTP_USERNAME"], config["SMTP_PASSWORD"]
        self.starttls = bool(config["SMTP_STARTTLS"])

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = message.sender, message.to, message.subject
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


def backend(app: Flask | None = None) -> MailBackend:
    """The app's backend, made on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    existing: MailBackend | None = app.extensions.get("mail")
    if existing is None:
        kind = app.config["MAIL_BACKEND"]
        if kind == "smtp":
            existing = SmtpBackend(app.config)
        elif kind == "console":
            existing = ConsoleBackend()
        else:
            raise RuntimeError(f"Unknown MAIL_BACKEND {kind!r}: use console or smtp.")
        app.extensions["mail"] = existing
    return existing


def outbox(app: Flask | None = None) -> deque[Message]:
    """Messages the console backend sent (tests and development)."""
    mail = backend(app)
    if not isinstance(mail, ConsoleBackend):
        raise RuntimeError("The outbox exists only with MAIL_BACKEND=console.")
    return mail.outbox


def send_now(*, to: str, subject: str, body: str, html: str | None = None) -> Message:
    """Send at once and raise on failure (OSError, SMTPException): for jobs of the queue,
    which run after the commit that asked for the mail and retry it when this raises."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message = Message(to=to, subject=subject, body=body, sender=app.config["MAIL_FROM"], html=html)
    backend(app).send(message)
    return message


def send_after_commit(session: Session, *, to: str, subject: str, body: str) -> None:
    """Send once ``session`` commits. A failure to send is logged, not raised: the commit
    already happened and the user can ask again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message = Message(to=to, subject=subject, body=body, sender=app.config["MAIL_FROM"])

    def deliver() -> None:
        try:
            backend(app).send(message)
        except (OSError, smtplib.SMTPException):
            log.exception("could not send email to %s", to)

    after_commit(session, deliver)
