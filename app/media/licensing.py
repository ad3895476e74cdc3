"""Buying licences (an immediate sale, no escrow) and downloading originals by signed link.

A purchase makes a pending MediaLicense first, so every Stripe call carries an idempotency
key derived from the licence id; when its PaymentIntent succeeds the licence becomes active
and the sale is booked in the ledger in the same transaction:

    license_sale   customer_payments -price, creator_pending:<creator> +net, platform_fees +fee

``net`` follows the royalty tier (app.media.royalties); the sale is settled through the one
settlement path (app.settlement): the creator's clearance hold, then the transfer of ``net``.
"""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, settlement
from app.accounts.models import User
from app.db import MAX_ID
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.media import royalties
from app.media.models import LicenseStatus, LicenseType, MediaAsset, MediaLicense
from app.media.services import is_listed, prices
from app.media.states import LICENSE, lock_license
from app.payments import ledger, purchases
from app.payments.gateway import PaymentGateway, PaymentIntentInfo
from app.payments.purchases import Landing, payment_intent_for
from app.settlement.stripe_fees import book_processing_fee

DOWNLOAD_SALT = "media-original-download"
DOWNLOAD_MAX_AGE = 600  # seconds a download link stays valid

TERMS = {
    LicenseType.STANDARD: (
        "Standard licence: perpetual, worldwide, non-exclusive right for the licensee to use the "
        "asset in digital and print media, up to 500,000 copies or impressions, in editorial "
        "and commercial work. Not for resale, merchandise or templates. No transfer."
    ),
    LicenseType.ENHANCED: (
        "Enhanced licence: everything in the standard licence, with unlimited copies and "
        "impressions, use on products for resale (merchandise, print on demand) and in "
        "templates. Not for sale of the asset itself or as a trademark. No transfer."
    ),
}


def _license_type(value: str) -> LicenseType:
    if value not in set(LicenseType):
        raise ValidationFailed({"license_type": ["Choose standard or enhanced."]})
    return LicenseType(value)


def _purchasable(session: Session, asset_id: int, business: User) -> MediaAsset:
    if not business.is_business or business.suspended_at is not None:
        raise PermissionDenied("Only business accounts buy licences.")
    asset = session.get(MediaAsset, asset_id) if 0 < asset_id <= MAX_ID else None
    if asset is None or not is_listed(asset):
        raise NotFound("No such media.")
    if asset.creator_id == business.id:
        raise PermissionDenied("You cannot license your own media.")
    return asset


def start_purchase(
    session: Session, gateway: PaymentGateway, asset_id: int, *, business: User, license_type: str
) -> tuple[MediaLicense, PaymentIntentInfo]:
    """Create (or resume) a pending licence and its PaymentIntent.

    Raises NotFound (not listed), PermissionDenied (not a business, own media),
    ValidationFailed (licence type), Conflict (already licensed), GatewayError.
    """
    kind = _license_type(license_type)
    asset = _purchasable(session, asset_id, business)
    existing = session.scalars(
        select(MediaLicense).where(
            MediaLicense.asset_id == asset.id,
            MediaLicense.licensee_id == business.id,
            MediaLicense.license_type == kind,
        )
    ).all()
    if any(item.status == LicenseStatus.ACTIVE for item in existing):
        raise Conflict(f"You already hold a {kind} licence for this media.")
    price = prices(asset).get(kind.value)
    if not price:
        raise Conflict("This media has no price for that licence.")
    currency = asset.offer.currency
    licence = next(
        (item for item in existing if (item.price_minor, item.currency) == (price, currency)),
        None,
    )
    if licence is None:
        licence = MediaLicense(
            asset_id=asset.id,
            licensee_id=business.id,
            creator_id=asset.creator_id,
            license_type=kind,
            price_minor=price,
            currency=currency,
            terms=TERMS[kind],
        )
        session.add(licence)
        session.flush()
    intent = payment_intent_for(
        session,
        gateway,
        licence,
        key=f"license-{licence.id}-{asset.id}-{business.id}-{kind.value}",
        amount=price,
        currency=currency,
        transfer_group=f"license-{licence.id}",
        metadata={"license_id": str(licence.id), "asset_id": str(asset.id)},
        description=f"{kind.value.capitalize()} licence: {asset.title}",
    )
    return licence, intent


def resume_purchase(
    session: Session, gateway: PaymentGateway, license_id: int, *, business: User
) -> tuple[MediaLicense, PaymentIntentInfo]:
    """A business's pending licence and its PaymentIntent, to pay on the checkout page.

    Raises NotFound (not theirs, or no PaymentIntent), GatewayError. An active licence is
    returned with its (succeeded) PaymentIntent: the caller tells the buyer it is paid.
    """
    licence = session.get(MediaLicense, license_id) if 0 < license_id <= MAX_ID else None
    if licence is None or licence.licensee_id != business.id or not licence.payment_intent_id:
        raise NotFound("No such licence.")
    return licence, gateway.retrieve_payment_intent(licence.payment_intent_id)


def _landing(licence: MediaLicense) -> Landing:
    """Where the business pays this licence and lands once paid."""
    return Landing(
        kind="media_license",
        buyer_id=licence.licensee_id,
        pay_url=url_for("media.pay_license", license_id=licence.id),
        done_url=url_for("media.my_licenses"),
        paid_message="Licence bought. Download the original from My licences.",
    )


landing = purchases.locator(MediaLicense, _landing)
paid_charges = purchases.paid_charges(MediaLicense, MediaLicense.sold_at)  # every sold licence


def confirm_purchase(
    session: Session, gateway: PaymentGateway, payment_intent_id: str
) -> MediaLicense | None:
    """Activate the licence whose PaymentIntent (re-fetched from Stripe) succeeded; idempotent.

    Returns None for a PaymentIntent that is not a licence's. Raises Conflict when the amount
    or currency differ. Books the sale and schedules the payout after the clearance hold.
    """
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    found = session.scalar(
        select(MediaLicense.id).where(MediaLicense.payment_intent_id == intent.id)
    )
    if found is None:
        return None
    licence = lock_license(session, found)  # its creator first: one royalty tier at a time
    if licence.status == LicenseStatus.ACTIVE or intent.status != "succeeded":
        return licence
    if (intent.amount, intent.currency) != (licence.price_minor, licence.currency):
        raise Conflict("The payment amount does not match the licence.")
    now = clock.now()
    fee_bp, _fee = royalties.split(session, licence.creator_id, licence.price_minor, now)
    LICENSE.move(
        session,
        licence,
        "sell",
        actor_id=licence.licensee_id,
        asset_id=licence.asset_id,
        license_type=licence.license_type.value,
        price_minor=licence.price_minor,
        fee_bp=fee_bp,
    )
    licence.sold_at, licence.charge_id = now, intent.charge_id
    payout = settlement.settle(
        session,
        settlement.Release(
            subject_type="media_license",
            subject_id=licence.id,
            creator_id=licence.creator_id,
            gross_minor=licence.price_minor,
            currency=licence.currency,
            charge_id=intent.charge_id,
            source_account=ledger.CUSTOMER_PAYMENTS,
            transfer_group=f"license-{licence.id}",
            title=f"Licence: {licence.asset.title}",
            ledger_key=f"license-{licence.id}-sale",
            ledger_kind="license_sale",
        ),
        fee_bp=fee_bp,
        memo=intent.id,
    )
    licence.fee_bp, licence.fee_minor = payout.fee_bp, payout.fee_minor
    book_processing_fee(session, gateway, intent.charge_id)
    session.flush()
    return licence


def confirm_from_webhook(
    session: Session, gateway: PaymentGateway, payment_intent_id: str
) -> str | None:
    """Webhook entry (payments.webhooks): activate the licence paid by ``payment_intent_id``,
    if it is a licence's; Stripe.js purchases are confirmed this way."""
    if purchases.by_payment_intent(session, MediaLicense, payment_intent_id) is None:
        return None
    licence = confirm_purchase(session, gateway, payment_intent_id)
    return None if licence is None else f"licence {licence.id} {licence.status}"


def licenses_of(session: Session, user: User, asset_id: int | None = None) -> list[MediaLicense]:
    """A business's active licences (for one asset, or all), newest first."""
    stmt = select(MediaLicense).where(
        MediaLicense.licensee_id == user.id, MediaLicense.status == LicenseStatus.ACTIVE
    )
    if asset_id is not None:
        stmt = stmt.where(MediaLicense.asset_id == asset_id)
    return list(session.scalars(stmt.order_by(MediaLicense.id.desc())))


def sold_licenses(session: Session, asset: MediaAsset) -> list[MediaLicense]:
    return list(
        session.scalars(
            select(MediaLicense)
            .where(MediaLicense.asset_id == asset.id, MediaLicense.status == LicenseStatus.ACTIVE)
            .order_by(MediaLicense.id.desc())
        )
    )


# --- signed download links ---------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    # The application clock, so tests (and frozen replays) can move time.
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=DOWNLOAD_SALT, signer=_ClockSigner
    )


def download_token(licence: MediaLicense, user: User) -> str:
    """A token valid for DOWNLOAD_MAX_AGE seconds, for this licence and this user only."""
    if licence.status != LicenseStatus.ACTIVE or licence.licensee_id != user.id:
        raise NotFound("No such licence.")
    return _serializer().dumps({"l": licence.id, "u": user.id})


def license_for_download(
    session: Session, license_id: int, token: str, user: User | None
) -> MediaLicense:
    """The licence a download link is for, if ``user`` may use it.

    Raises PermissionDenied (the link expired) and NotFound (forged or someone else's link,
    not the licensee, licence not active).
    """
    try:
        data = _serializer().loads(token, max_age=DOWNLOAD_MAX_AGE)
    except SignatureExpired as exc:
        raise PermissionDenied("This download link has expired; open My licences again.") from exc
    except BadSignature as exc:
        raise NotFound("No such download.") from exc
    if (
        user is None
        or not isinstance(data, dict)
        or data.get("l") != license_id
        or data.get("u") != user.id
        or user.suspended_at is not None
    ):
        raise NotFound("No such download.")
    licence = session.get(MediaLicense, license_id) if 0 < license_id <= MAX_ID else None
    if licence is None or licence.status != LicenseStatus.ACTIVE or licence.licensee_id != user.id:
        raise NotFound("No such download.")
    return licence
