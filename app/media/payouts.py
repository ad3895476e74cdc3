"""Licence royalties as a payable kind of the one settlement path (app.settlement): after the
clearance hold, a Transfer of the creator's net share from the licence's charge."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.media.models import LicenseStatus, MediaLicense
from app.media.states import lock_license
from app.settlement.models import Payout


class LicensePayouts:
    subject_type = "media_license"

    def lock(self, session: Session, subject_id: int) -> MediaLicense:
        return lock_license(session, subject_id)

    def hold_reason(self, session: Session, licence: MediaLicense) -> str | None:
        return None if licence.status is LicenseStatus.ACTIVE else "The licence is not sold."

    def paid(self, session: Session, licence: MediaLicense, payout: Payout) -> None:
        """Nothing of the licence changes; the payout row records the transfer."""
