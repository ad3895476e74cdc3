"""Contest awards as a payable kind of the one settlement path (app.settlement): after the
clearance hold, a Transfer of the creator's net share from the contest's charge."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.contests.models import ContestAward
from app.settlement.models import Payout
from app.workflow import lock


class AwardPayouts:
    subject_type = "contest_award"

    def lock(self, session: Session, subject_id: int) -> ContestAward:
        return lock(session, ContestAward, subject_id, missing="No such award.")

    def hold_reason(self, session: Session, award: ContestAward) -> str | None:
        return None

    def paid(self, session: Session, award: ContestAward, payout: Payout) -> None:
        """Nothing of the award changes; the payout row records the transfer."""
