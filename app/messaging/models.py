"""Message threads, messages, their attachments, and read markers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db import Base, BigId, IdMixin


class MessageThread(IdMixin, Base):
    """The conversation of one contract, of one proposal before the hire, or a business's
    first contact with a creator (``direct_key``) before either.

    A contract made from a proposal continues that proposal's thread (``contract_id`` is set
    on it), so the conversation before and after the hire stays in one place.
    """

    __tablename__ = "message_threads"
    __table_args__ = (
        CheckConstraint(
            "contract_id IS NOT NULL OR proposal_id IS NOT NULL OR direct_key IS NOT NULL",
            name="has_subject",
        ),
        CheckConstraint("business_id <> creator_id", name="distinct_parties"),
    )

    contract_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contracts.id"), unique=True)
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"), unique=True)
    # A conversation before any proposal or contract ("Contact"): "<business_id>-<creator_id>".
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_message_at: Mapped[datetime | None]

    def party_ids(self) -> tuple[int, int]:
        return self.business_id, self.creator_id


class Message(IdMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_id_id", "thread_id", "id"),)

    thread_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_threads.id"))
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id"
    )


class MessageAttachment(IdMixin, Base):
    """A file stored as MEDIA_ROOT/messages/<thread_id>/<stored_name> (uuid + safe name)."""

    __tablename__ = "message_attachments"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_nonneg"),)

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(160), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int]

    message: Mapped[Message] = relationship(back_populates="attachments")


class ThreadReadMarker(Base):
    """The newest message a participant has seen in a thread; unread = newer messages of the
    other party."""

    __tablename__ = "thread_read_markers"

    thread_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("message_threads.id"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(BigId, default=0)
    read_at: Mapped[datetime] = mapped_column(default=clock.now)
