"""Bookkeeping that keeps every process's FAISS index in step with the offers table.

An offer change appends an ``IndexOutbox`` row in the same transaction, so no change is ever
lost; whoever applies the outbox (after commit, under a file lock) records the last applied
row and bumps ``IndexState.version``; other processes reload their index when it moves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, IdMixin


class IndexState(Base):
    __tablename__ = "index_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigId, default=0)
    applied_outbox_id: Mapped[int] = mapped_column(BigId, default=0)
    documents: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class IndexOutbox(IdMixin, Base):
    __tablename__ = "index_outbox"

    offer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
