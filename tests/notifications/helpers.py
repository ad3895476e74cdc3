"""Reading what notifications an action produced."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.notifications.models import Notification


class Told:
    """Notifications made after this point: ``told.since()`` -> {(user_id, kind), ...}."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.mark = self._max()

    def _max(self) -> int:
        return self.session.scalar(select(func.max(Notification.id))) or 0

    def rows(self) -> list[Notification]:
        self.session.flush()
        return list(
            self.session.scalars(
                select(Notification).where(Notification.id > self.mark).order_by(Notification.id)
            )
        )

    def since(self) -> set[tuple[int, str]]:
        found = {(n.user_id, n.kind) for n in self.rows()}
        self.mark = self._max()
        return found
