"""The kinds of content that can be reported, how to load them and who owns them.

Offers, briefs and creator profiles can also be hidden (``hidden_at``); messages can be
reported when the messaging package is installed, and are handled by suspending the sender.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
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


# type -> (model, row -> (id, row, owner id, title, public url))
_HIDEABLE_LOADERS: dict[str, tuple[type, Callable[[Any], tuple[int, Any, int, str, str]]]] = {
    "offer": (Offer, lambda o: (o.id, o, o.creator_id, o.title, f"/offers/{o.id}")),
    "brief": (Brief, lambda b: (b.id, b, b.business_id, b.title, f"/briefs/{b.id}")),
    "profile": (
        CreatorProfile,
        lambda p: (p.user_id, p, p.user_id, p.user.display_name, f"/creators/{p.user_id}"),
    ),
}


def load(session: Session, subject_type: str, subject_id: int) -> Subject | None:
    """The subject whatever its visibility (moderators see everything); None if missing."""
    if not 0 < subject_id <= MAX_ID or subject_type not in subject_types():
        return None
    if subject_type in _HIDEABLE_LOADERS:
        model, describe = _HIDEABLE_LOADERS[subject_type]
        obj = session.get(model, subject_id)
        return None if obj is None else Subject(subject_type, *describe(obj))
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
