"""Reputation-weighted payouts: the one published formula for the fee rate and clearance hold.

For a creator's reputation score r in [0, 1] (neutral 0.5 until reviews compute it):

    fee rate   = 15% - 10% * r     (15% at r=0, 10% at r=0.5, 5% at r=1)
    hold hours = 24 * (14 - 12 * r) rounded to the hour (14 days at r=0, 8 at 0.5, 2 at 1)

Both are continuous and monotone (better reputation: lower fee, shorter hold). The longest
hold (14 days) plus the longest review window stays far below the ~90 days Stripe keeps a
charge transferable/refundable, so every hold and dispute window fits inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

NEUTRAL_SCORE = 0.5
MAX_FEE_BP = 1500
MIN_FEE_BP = 500
MAX_HOLD_DAYS = 14
MIN_HOLD_DAYS = 2
# Stripe's limit is about 90 days; we never plan anything beyond this.
STRIPE_WINDOW_DAYS = 90
FORMULA_TEXT = (
    "Platform fee = 15% − 10% × reputation; clearance hold = 14 days − 12 days × reputation "
    "(reputation from 0 to 1, new creators start at 0.5)."
)


def clamp_score(score: float | None) -> float:
    if score is None or not math.isfinite(score):
        return NEUTRAL_SCORE
    return min(1.0, max(0.0, float(score)))


def fee_bp(score: float | None) -> int:
    """Platform fee rate in basis points (1 bp = 0.01%)."""
    r = clamp_score(score)
    return round(MAX_FEE_BP - (MAX_FEE_BP - MIN_FEE_BP) * r)


def hold_hours(score: float | None) -> int:
    r = clamp_score(score)
    return round(24 * (MAX_HOLD_DAYS - (MAX_HOLD_DAYS - MIN_HOLD_DAYS) * r))


def hold(score: float | None) -> timedelta:
    return timedelta(hours=hold_hours(score))


def fee_for(amount_minor: int, bp: int) -> int:
    """Fee in minor units, rounded half up, in integers only."""
    return (amount_minor * bp + 5_000) // 10_000


@dataclass(frozen=True)
class Terms:
    """A creator's current numbers, as shown on the earnings page."""

    score: float
    fee_bp: int
    hold_hours: int
    formula: str = FORMULA_TEXT

    @property
    def fee_percent(self) -> str:
        return f"{self.fee_bp / 100:.2f}%"

    @property
    def hold_days(self) -> float:
        return self.hold_hours / 24

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "fee_bp": self.fee_bp,
            "fee_percent": self.fee_percent,
            "hold_hours": self.hold_hours,
            "hold_days": self.hold_days,
            "formula": self.formula,
        }


def terms_for_score(score: float | None) -> Terms:
    r = clamp_score(score)
    return Terms(score=r, fee_bp=fee_bp(r), hold_hours=hold_hours(r))


def reputation_score(session: Session, creator_id: int) -> float:
    """The creator's reputation in [0, 1]; neutral until the reviews issue provides one.

    The reviews domain can expose ``reputation_score`` on CreatorProfile; it is read if present.
    """
    from app.accounts.models import CreatorProfile

    profile = session.get(CreatorProfile, creator_id)
    return clamp_score(getattr(profile, "reputation_score", None) if profile else None)


def terms_for(session: Session, creator_id: int) -> Terms:
    return terms_for_score(reputation_score(session, creator_id))
