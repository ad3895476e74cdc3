"""Notifications: one row per person told about something, and their mail preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, IdMixin


class Notification(IdMixin, Base):
    """Something that asks ``user_id`` to act, or tells them their money moved.

    ``link`` is the path of the page that acts on it; ``emailed_at`` is set once the mail
    left (alone, or in the daily digest), ``read_at`` once the person opened it.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000), default="")
    link: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A person's mail choices: kinds they do not want by mail, and digest instead of one mail
    per notification. No row means the defaults: every kind by mail, at once."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email_off: Mapped[list[str]] = mapped_column(default=list)
    digest: Mapped[bool] = mapped_column(default=False)
    last_digest_at: Mapped[datetime | None]
