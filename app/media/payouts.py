"""Licence royalties as a payable kind of the one settlement path (app.settlement): after the
clearance hold, a Transfer of the creator's net share from the licence's charge."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.media.models import LicenseStatus, MediaLicense
from app.media.states import LICENSE, lock_license
from app.settlement.models import Chargeback, Payout


class LicensePayouts:
    subject_type = "media_license"

    def lock(self, session: Session, subject_id: int) -> MediaLicense:
        return lock_license(session, subject_id)

    def hold_reason(self, session: Session, licence: MediaLicense) -> str | None:
        return None if licence.status is LicenseStatus.ACTIVE else "The licence is not sold."

    def paid(self, session: Session, licence: MediaLicense, payout: Payout) -> None:
        """Nothing of the licence changes; the payout row records the transfer."""

    def chargeback_lost(
        self,
        session: Session,
        licence: MediaLicense,
        chargeback: Chargeback,
        payout: Payout | None,
    ) -> list[tuple[str, int]]:
        """The bank returned the payment: the licence is void (no more downloads). The
        creator's royalty came back through the payout (cancelled or reversed)."""
        LICENSE.move(
            session,
            licence,
            "charge_back",
            actor_id=None,
            idempotent=True,
            stripe_dispute=chargeback.stripe_dispute_id,
        )
        return []
