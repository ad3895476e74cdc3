"""The media review and licence state machines (app.workflow shape).

media:   pending --approve--> published; pending --reject--> rejected (reason shown to the
         creator); pending|published|rejected --withdraw--> withdrawn (by the creator;
         licences already sold stay valid).
licence: pending (PaymentIntent created) --sell--> active (paid; its royalty is settled)
         --charge_back--> charged_back (the bank returned the payment: the licence is void).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.media.models import LicenseStatus as L
from app.media.models import MediaAsset, MediaLicense
from app.media.models import MediaState as S
from app.workflow import StateMachine, lock

MEDIA = StateMachine(
    "media",
    S,
    {
        "approve": ({S.PENDING}, S.PUBLISHED),
        "reject": ({S.PENDING}, S.REJECTED),
        "withdraw": ({S.PENDING, S.PUBLISHED, S.REJECTED}, S.WITHDRAWN),
    },
    refusal="Cannot {action} media that is {state}.",
)
LICENSE = StateMachine(
    "media_license",
    L,
    {"sell": ({L.PENDING}, L.ACTIVE), "charge_back": ({L.ACTIVE}, L.CHARGED_BACK)},
    field="status",
    noun="licence",
)


def lock_asset(session: Session, asset_id: int) -> MediaAsset:
    return lock(session, MediaAsset, asset_id, missing="No such media.")


def lock_license(session: Session, license_id: int) -> MediaLicense:
    return lock(session, MediaLicense, license_id, missing="No such licence.")
