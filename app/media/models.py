"""Stock media tables: assets and the licences businesses buy (their payouts: app.settlement)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin
from app.offers.models import Offer
from app.settlement.models import Payout, payout_of


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class MediaState(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LicenseType(enum.StrEnum):
    STANDARD = "standard"
    ENHANCED = "enhanced"


class LicenseStatus(enum.StrEnum):
    PENDING = "pending"  # PaymentIntent created, not paid yet (Stripe.js flow)
    ACTIVE = "active"
    CHARGED_BACK = "charged_back"  # the bank returned the payment (a lost chargeback): void


class MediaAsset(IdMixin, TimestampMixin, Base):
    __tablename__ = "media_assets"
    __table_args__ = (
        CheckConstraint("byte_size > 0", name="byte_size_positive"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        Index("ix_media_assets_state_published", "state", "published_at"),
    )

    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id"), index=True)
    kind: Mapped[MediaKind] = mapped_column(EnumText(MediaKind, 8))
    state: Mapped[MediaState] = mapped_column(EnumText(MediaState, 16), default=MediaState.PENDING)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(64))
    # Lower-cased title + description + keywords, for the grid's keyword search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    model_release: Mapped[bool] = mapped_column(default=False)
    property_release: Mapped[bool] = mapped_column(default=False)
    generative_ai: Mapped[bool] = mapped_column(default=False)
    editorial: Mapped[bool] = mapped_column(default=False)
    # Storage keys (never URLs): originals and release documents are private; previews are
    # served through our own route, which checks that the asset is listed.
    original_key: Mapped[str] = mapped_column(String(200), unique=True)
    preview_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    release_key: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    original_name: Mapped[str] = mapped_column(String(200), default="")
    byte_size: Mapped[int] = mapped_column(BigId)
    width: Mapped[int]
    height: Mapped[int]
    duration_ms: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # 64-bit difference hash as 16 hex digits (None for a video without a poster frame).
    dhash: Mapped[str | None] = mapped_column(String(16))
    duplicate_of_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("media_assets.id"))
    duplicate_distance: Mapped[int | None]
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # When the job made the preview, thumbnail and hash (app.media.processing); until then
    # pages show a "processing" placeholder and the files at preview_key/thumb_key are absent.
    processed_at: Mapped[datetime | None]

    creator: Mapped[User] = relationship(foreign_keys=[creator_id])
    offer: Mapped[Offer] = relationship()
    duplicate_of: Mapped[MediaAsset | None] = relationship(remote_side="MediaAsset.id")


class MediaLicense(IdMixin, Base):
    """A licence bought by a business for one asset: what, when, at which price and terms."""

    __tablename__ = "media_licenses"
    __table_args__ = (
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("fee_minor >= 0 AND fee_minor <= price_minor", name="fee_range"),
        Index("ix_media_licenses_creator_sold", "creator_id", "sold_at"),
        Index("ix_media_licenses_asset_licensee", "asset_id", "licensee_id"),
    )

    asset_id: Mapped[int] = mapped_column(BigId, ForeignKey("media_assets.id"))
    licensee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    license_type: Mapped[LicenseType] = mapped_column(EnumText(LicenseType, 16))
    status: Mapped[LicenseStatus] = mapped_column(
        EnumText(LicenseStatus, 16), default=LicenseStatus.PENDING
    )
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # Fixed at sale: the royalty tier's platform share and the resulting fee.
    fee_bp: Mapped[int] = mapped_column(default=0)
    fee_minor: Mapped[int] = mapped_column(default=0)
    terms: Mapped[str] = mapped_column(Text)
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sold_at: Mapped[datetime | None]

    asset: Mapped[MediaAsset] = relationship()
    licensee: Mapped[User] = relationship(foreign_keys=[licensee_id])

    # Locking a licence locks its creator first: a creator's sales are serialised, so two at
    # once cannot both take the same royalty tier (app.workflow lock order).
    __lock_parent__ = ("creator_id", "users")

    # The royalty's payout (app.settlement): its hold and its transfer.
    payout: Mapped[Payout | None] = payout_of("media_license", "MediaLicense")

    @property
    def net_minor(self) -> int:
        return self.price_minor - self.fee_minor

    @property
    def clears_at(self) -> datetime | None:
        return self.payout.clears_at if self.payout else None

    @property
    def paid_out_at(self) -> datetime | None:
        return self.payout.paid_at if self.payout else None

    @property
    def stripe_transfer_id(self) -> str | None:
        return self.payout.stripe_transfer_id if self.payout else None


class ImagePurpose(enum.StrEnum):
    OFFER = "offer"  # one of an offer's gallery images
    PORTFOLIO = "portfolio"  # a portfolio item on the creator's profile
    AVATAR = "avatar"  # the user's picture (one at a time)


class GalleryImage(IdMixin, Base):
    """A picture shown on the site (offer gallery, portfolio item, avatar).

    Only re-encoded renditions are stored (``<key_stem>-<width>.jpg`` for each of ``widths``),
    made by the same pipeline as stock media previews, so no metadata of the upload survives
    and nothing is ever served in the uploader's encoding.
    """

    __tablename__ = "gallery_images"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint(
            "(purpose = 'offer') = (offer_id IS NOT NULL)", name="offer_images_have_offer"
        ),
        Index("ix_gallery_images_owner_purpose", "owner_id", "purpose", "position"),
        Index("ix_gallery_images_offer_position", "offer_id", "position"),
    )

    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[ImagePurpose] = mapped_column(EnumText(ImagePurpose, 16))
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    # Alt text for galleries and avatars; the item's title for portfolio entries.
    title: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    key_stem: Mapped[str] = mapped_column(String(200), unique=True)
    widths: Mapped[list[int]] = mapped_column(default=list)
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The upload, kept privately until the job made the renditions from it (then deleted);
    # ``widths`` is empty and pages show a "processing" placeholder until ``processed_at``.
    source_key: Mapped[str | None] = mapped_column(String(200))
    processed_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship()

    def key(self, width: int) -> str:
        return f"{self.key_stem}-{width}.jpg"

    @property
    def square(self) -> bool:
        """Avatars are centre-cropped squares."""
        return self.purpose is ImagePurpose.AVATAR

    @property
    def aspect_height(self) -> int:
        """Height of the largest rendition (for the <img> width/height attributes)."""
        largest = max(self.widths) if self.widths else self.width
        return max(1, round(self.height * largest / self.width))
