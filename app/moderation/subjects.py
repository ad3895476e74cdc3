"""The kinds of content that can be reported, how to load them and who owns them.

Offers, briefs and creator profiles can also be hidden (``hidden_at``); messages can be
reported when the messaging package is installed, and are handled by suspending the sender.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import CreatorProfile, User
from app.briefs import services as briefs
from app.briefs.models import Brief
from app.db import MAX_ID
from app.offers.models import Offer

HIDEABLE = ("offer", "brief", "profile")


def _has_messaging() -> bool:
    return importlib.util.find_spec("app.messaging.models") is not None


def subject_types() -> tuple[str, ...]:
    return (*HIDEABLE, "message") if _has_messaging() else HIDEABLE


@dataclass(frozen=True)
class Subject:
    type: str
    id: int
    obj: Any
    owner_id: int
    title: str
    url: str | None  # public page, if any

    @property
    def hideable(self) -> bool:
        return self.type in HIDEABLE

    @property
    def hidden(self) -> bool:
        return getattr(self.obj, "hidden_at", None) is not None


def load(session: Session, subject_type: str, subject_id: int) -> Subject | None:
    """The subject whatever its visibility (moderators see everything); None if missing."""
    if not 0 < subject_id <= MAX_ID or subject_type not in subject_types():
        return None
    if subject_type == "offer":
        offer = session.get(Offer, subject_id)
        if offer is None:
            return None
        return Subject(
            "offer", offer.id, offer, offer.creator_id, offer.title, f"/offers/{offer.id}"
        )
    if subject_type == "brief":
        brief = session.get(Brief, subject_id)
        if brief is None:
            return None
        return Subject(
            "brief", brief.id, brief, brief.business_id, brief.title, f"/briefs/{brief.id}"
        )
    if subject_type == "profile":
        profile = session.get(CreatorProfile, subject_id)
        if profile is None:
            return None
        name = profile.user.display_name
        return Subject(
            "profile",
            profile.user_id,
            profile,
            profile.user_id,
            name,
            f"/creators/{profile.user_id}",
        )
    from app.messaging.models import Message

    message = session.get(Message, subject_id)
    if message is None:
        return None
    return Subject("message", message.id, message, message.sender_id, message.body[:80], None)


def visible_to(session: Session, subject: Subject, user: User) -> bool:
    """Whether ``user`` can see the subject (one may only report what one can see)."""
    if subject.type == "offer":
        from app.offers.services import is_listed

        return is_listed(subject.obj) or subject.owner_id == user.id
    if subject.type == "brief":
        return briefs.can_view(session, subject.obj, user)
    if subject.type == "profile":
        owner = session.get(User, subject.owner_id)
        return owner is not None and owner.is_creator and owner.is_active and not subject.hidden
    from app.messaging import services as messaging
    from app.messaging.models import MessageThread

    thread = session.get(MessageThread, subject.obj.thread_id)
    return thread is not None and messaging.may_read(session, thread, user)
