"""Royalty tiers: the platform's share of a licence falls as the creator sells more in a year.

The one published table. A sale's tier is fixed by how many licences the creator had already
sold (paid) earlier in the same calendar year, UTC. The count restarts on 1 January.

    licences already sold this year    platform share    creator's share
    0 – 9                              40%               60%
    10 – 49                            30%               70%
    50 – 199                           25%               75%
    200 – 499                          20%               80%
    500 or more                        15%               85%
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.media.models import LicenseStatus, MediaLicense
from app.payments.fees import fee_for


@dataclass(frozen=True)
class Tier:
    min_sold: int  # licences already sold this year for this tier to apply
    platform_bp: int  # platform share in basis points

    @property
    def creator_percent(self) -> str:
        return f"{(10_000 - self.platform_bp) / 100:g}%"

    @property
    def platform_percent(self) -> str:
        return f"{self.platform_bp / 100:g}%"


TIERS: tuple[Tier, ...] = (
    Tier(0, 4000),
    Tier(10, 3000),
    Tier(50, 2500),
    Tier(200, 2000),
    Tier(500, 1500),
)


def tier_for(sold_before: int) -> Tier:
    """The tier of a sale made after ``sold_before`` sales this year."""
    if sold_before < 0:
        raise ValueError("sold_before must be >= 0")
    return [tier for tier in TIERS if sold_before >= tier.min_sold][-1]


def year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    start = datetime(moment.astimezone(UTC).year, 1, 1, tzinfo=UTC)
    return start, start.replace(year=start.year + 1)


def sold_in_year(session: Session, creator_id: int, moment: datetime) -> int:
    """Licences of ``creator_id`` sold (paid) in ``moment``'s calendar year so far."""
    start, end = year_bounds(moment)
    return (
        session.scalar(
            select(func.count())
            .select_from(MediaLicense)
            .where(
                MediaLicense.creator_id == creator_id,
                MediaLicense.status == LicenseStatus.ACTIVE,
                MediaLicense.sold_at >= start,
                MediaLicense.sold_at < end,
            )
        )
        or 0
    )


def split(session: Session, creator_id: int, price_minor: int, moment: datetime) -> tuple[int, int]:
    """(platform fee bp, fee in minor units) for a sale by ``creator_id`` at ``moment``."""
    tier = tier_for(sold_in_year(session, creator_id, moment))
    return tier.platform_bp, fee_for(price_minor, tier.platform_bp)
