"""images everywhere (offer galleries, portfolio items, avatars) and influencer brief audience

Revision ID: 0009_images_audience
Revises: 0008_kernel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0009_images_audience"
down_revision = "0008_kernel"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "gallery_images",
        sa.Column("owner_id", BIG, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("offer_id", BIG, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_stem", sa.String(length=200), nullable=False),
        sa.Column("widths", JSON, nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", BIG, nullable=False),
        sa.CheckConstraint(
            "(purpose = 'offer') = (offer_id IS NOT NULL)",
            name=op.f("ck_gallery_images_offer_images_have_offer"),
        ),
        sa.CheckConstraint(
            "width > 0 AND height > 0", name=op.f("ck_gallery_images_dimensions_positive")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_gallery_images_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_gallery_images_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallery_images")),
        sa.UniqueConstraint("key_stem", name=op.f("uq_gallery_images_key_stem")),
    )
    op.create_index("ix_gallery_images_offer_position", "gallery_images", ["offer_id", "position"])
    op.create_index(
        "ix_gallery_images_owner_purpose", "gallery_images", ["owner_id", "purpose", "position"]
    )
    with op.batch_alter_table("briefs") as batch:
        batch.add_column(sa.Column("audience_regions", JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("audience_min_followers", BIG, nullable=True))
        batch.add_column(sa.Column("audience_max_followers", BIG, nullable=True))
        batch.add_column(sa.Column("audience_min_engagement_bp", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            "audience_range",
            "audience_max_followers IS NULL OR audience_min_followers IS NULL "
            "OR audience_max_followers >= audience_min_followers",
        )
        batch.create_check_constraint(
            "audience_engagement_range",
            "audience_min_engagement_bp IS NULL OR audience_min_engagement_bp BETWEEN 0 AND 10000",
        )
    # The default only fills existing rows; the model supplies the value from now on.
    with op.batch_alter_table("briefs") as batch:
        batch.alter_column("audience_regions", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("briefs") as batch:
        batch.drop_constraint(op.f("ck_briefs_audience_engagement_range"), type_="check")
        batch.drop_constraint(op.f("ck_briefs_audience_range"), type_="check")
        batch.drop_column("audience_min_engagement_bp")
        batch.drop_column("audience_max_followers")
        batch.drop_column("audience_min_followers")
        batch.drop_column("audience_regions")
    op.drop_index("ix_gallery_images_owner_purpose", table_name="gallery_images")
    op.drop_index("ix_gallery_images_offer_position", table_name="gallery_images")
    op.drop_table("gallery_images")
