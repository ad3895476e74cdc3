"""The media review state machine: one transition table, one way to move along it.

pending --approve--> published; pending --reject--> rejected (reason shown to the creator);
pending|published|rejected --withdraw--> withdrawn (by the creator; licences already sold stay
valid). ``transition`` is the only writer of ``MediaAsset.state``: it needs the row locked
(``lock_asset``), checks the table and writes a MediaEvent audit row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidTransition, NotFound
from app.media.models import MediaAsset, MediaEvent
from app.media.models import MediaState as S

# action -> (allowed source states, target state)
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "approve": (frozenset({S.PENDING}), S.PUBLISHED),
    "reject": (frozenset({S.PENDING}), S.REJECTED),
    "withdraw": (frozenset({S.PENDING, S.PUBLISHED, S.REJECTED}), S.WITHDRAWN),
}


def allowed(action: str, state: S | str) -> bool:
    return S(state) in TRANSITIONS[action][0]


def lock_asset(session: Session, asset_id: int) -> MediaAsset:
    """Load the asset with a row lock (``SELECT ... FOR UPDATE``), fresh from the database."""
    asset = session.scalars(
        select(MediaAsset)
        .where(MediaAsset.id == asset_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if asset is None:
        raise NotFound("No such media.")
    return asset


def transition(
    session: Session, asset: MediaAsset, action: str, *, actor_id: int | None, **data: Any
) -> None:
    """Move ``asset`` (already locked) by ``action``; raises InvalidTransition (nothing written)."""
    if action not in TRANSITIONS:
        raise InvalidTransition(f"Unknown media action {action!r}.")
    sources, target = TRANSITIONS[action]
    current = S(asset.state)
    if current not in sources:
        raise InvalidTransition(
            f"Cannot {action} media that is {current.value}.", state=current.value, action=action
        )
    asset.state = target
    session.add(
        MediaEvent(
            asset_id=asset.id,
            action=action,
            from_state=current.value,
            to_state=target.value,
            actor_id=actor_id,
            data=data,
        )
    )
    session.flush()
