"""What other domains call when something that feeds reputation happens.

payments calls ``milestone_finished`` after a payout or a refund; the disputes package should
call ``dispute_resolved`` when it resolves a dispute (its resolutions also move the milestone,
so ``flask recompute-reputation`` catches up if it does not).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.contracts.models import Contract
from app.payments.models import Milestone


def milestone_finished(session: Session, milestone: Milestone) -> None:
    """A milestone was paid out or refunded: both parties' reputations change."""
    from app.reviews.reputation import recompute_parties

    recompute_parties(session, milestone.contract)


def dispute_resolved(session: Session, contract: Contract) -> None:
    from app.reviews.reputation import recompute_parties

    recompute_parties(session, contract)
