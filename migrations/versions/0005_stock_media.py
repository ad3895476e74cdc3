"""stock media: assets, review events, licences and licence payout timers

Revision ID: 0005_stock_media
Revises: 0002_payments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0005_stock_media"
down_revision = "0002_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_assets",
        sa.Column(
            "creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("model_release", sa.Boolean(), nullable=False),
        sa.Column("property_release", sa.Boolean(), nullable=False),
        sa.Column("generative_ai", sa.Boolean(), nullable=False),
        sa.Column("editorial", sa.Boolean(), nullable=False),
        sa.Column("original_key", sa.String(length=200), nullable=False),
        sa.Column("preview_key", sa.String(length=200), nullable=False),
        sa.Column("thumb_key", sa.String(length=200), nullable=False),
        sa.Column("release_key", sa.String(length=200), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column(
            "byte_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("dhash", sa.String(length=16), nullable=True),
        sa.Column(
            "duplicate_of_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("duplicate_distance", sa.Integer(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column(
            "reviewed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reviewed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("byte_size > 0", name=op.f("ck_media_assets_byte_size_positive")),
        sa.CheckConstraint(
            "width > 0 AND height > 0", name=op.f("ck_media_assets_dimensions_positive")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_media_assets_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["media_assets.id"],
            name=op.f("fk_media_assets_duplicate_of_id_media_assets"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_media_assets_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_media_assets_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_assets")),
        sa.UniqueConstraint("original_key", name=op.f("uq_media_assets_original_key")),
    )
    op.create_index(
        op.f("ix_media_assets_creator_id"), "media_assets", ["creator_id"], unique=False
    )
    op.create_index(op.f("ix_media_assets_offer_id"), "media_assets", ["offer_id"], unique=False)
    op.create_index(op.f("ix_media_assets_sha256"), "media_assets", ["sha256"], unique=False)
    op.create_index(
        "ix_media_assets_state_published", "media_assets", ["state", "published_at"], unique=False
    )
    op.create_table(
        "media_events",
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_media_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["media_assets.id"], name=op.f("fk_media_events_asset_id_media_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_events")),
    )
    op.create_index(op.f("ix_media_events_asset_id"), "media_events", ["asset_id"], unique=False)
    op.create_table(
        "media_licenses",
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "licensee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("license_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fee_bp", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("charge_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sold_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clears_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_out_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stripe_transfer_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint(
            "fee_minor >= 0 AND fee_minor <= price_minor", name=op.f("ck_media_licenses_fee_range")
        ),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_media_licenses_price_positive")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["media_assets.id"], name=op.f("fk_media_licenses_asset_id_media_assets")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_media_licenses_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["licensee_id"], ["users.id"], name=op.f("fk_media_licenses_licensee_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_licenses")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_media_licenses_payment_intent_id")),
        sa.UniqueConstraint(
            "stripe_transfer_id", name=op.f("uq_media_licenses_stripe_transfer_id")
        ),
    )
    op.create_index(
        "ix_media_licenses_asset_licensee",
        "media_licenses",
        ["asset_id", "licensee_id"],
        unique=False,
    )
    op.create_index(
        "ix_media_licenses_creator_sold", "media_licenses", ["creator_id", "sold_at"], unique=False
    )
    op.create_index(
        op.f("ix_media_licenses_licensee_id"), "media_licenses", ["licensee_id"], unique=False
    )
    op.create_table(
        "media_payout_jobs",
        sa.Column(
            "license_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("due_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["media_licenses.id"],
            name=op.f("fk_media_payout_jobs_license_id_media_licenses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_payout_jobs")),
        sa.UniqueConstraint("license_id", name="uq_media_payout_jobs_license_id"),
    )
    op.create_index(
        "ix_media_payout_jobs_status_due", "media_payout_jobs", ["status", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_media_payout_jobs_status_due", table_name="media_payout_jobs")
    op.drop_table("media_payout_jobs")
    op.drop_index(op.f("ix_media_licenses_licensee_id"), table_name="media_licenses")
    op.drop_index("ix_media_licenses_creator_sold", table_name="media_licenses")
    op.drop_index("ix_media_licenses_asset_licensee", table_name="media_licenses")
    op.drop_table("media_licenses")
    op.drop_index(op.f("ix_media_events_asset_id"), table_name="media_events")
    op.drop_table("media_events")
    op.drop_index("ix_media_assets_state_published", table_name="media_assets")
    op.drop_index(op.f("ix_media_assets_sha256"), table_name="media_assets")
    op.drop_index(op.f("ix_media_assets_offer_id"), table_name="media_assets")
    op.drop_index(op.f("ix_media_assets_creator_id"), table_name="media_assets")
    op.drop_table("media_assets")
