"""A business's standing interest in a category and/or skill, with its stored vector."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, IdMixin


class Interest(IdMixin, Base):
    """ "I would buy this": a category and/or a skill, optional words and budget range.

    Withdrawing keeps the row (``withdrawn_at``); only live interests count as demand. The
    vector is the matching encoder's embedding of ``interest_text`` (app.demand.services),
    written by the worker; ``text_hash`` says which text it belongs to.
    """

    __tablename__ = "demand_interests"
    __table_args__ = (
        CheckConstraint("category IS NOT NULL OR skill IS NOT NULL", name="category_or_skill"),
        CheckConstraint(
            "(budget_min_minor IS NULL AND budget_max_minor IS NULL AND currency IS NULL)"
            " OR (budget_min_minor > 0 AND budget_max_minor >= budget_min_minor"
            " AND currency IS NOT NULL)",
            name="budget_range",
        ),
    )

    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(64))
    skill: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    budget_min_minor: Mapped[int | None] = mapped_column(BigId)
    budget_max_minor: Mapped[int | None] = mapped_column(BigId)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(index=True)
    text_hash: Mapped[str | None] = mapped_column(String(40))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)

    @property
    def label(self) -> str:
        return " · ".join(part for part in (self.skill, self.category) if part)
