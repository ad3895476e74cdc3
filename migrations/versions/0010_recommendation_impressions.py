"""recommendation impressions: what the matcher showed a business, and what followed

One row per (brief, creator) with the ranking features, exploration flag and propensity, and
the outcome timestamps (viewed, invited, proposed, hired) and review score, for learning a
re-ranker from outcomes (app.matching.learning).

Revision ID: 0010_recommendation_impressions
Revises: 0009_images_audience
Create Date: 2026-12-01 02:41:52.987158
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0010_recommendation_impressions"
down_revision = "0009_images_audience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommendation_impressions",
        sa.Column("brief_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column(
            "features",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("explored", sa.Boolean(), nullable=False),
        sa.Column("propensity", sa.Double(), nullable=False),
        sa.Column(
            "pool",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("shown_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("viewed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("invited_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("proposed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hired_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_score", sa.Integer(), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint(
            "propensity > 0 AND propensity <= 1",
            name=op.f("ck_recommendation_impressions_propensity_range"),
        ),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_recommendation_impressions_rank_positive")),
        sa.CheckConstraint(
            "review_score BETWEEN 1 AND 5",
            name=op.f("ck_recommendation_impressions_review_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["brief_id"],
            ["briefs.id"],
            name=op.f("fk_recommendation_impressions_brief_id_briefs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["users.id"],
            name=op.f("fk_recommendation_impressions_creator_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_recommendation_impressions_offer_id_offers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_impressions")),
        sa.UniqueConstraint(
            "brief_id", "creator_id", name=op.f("uq_recommendation_impressions_brief_id_creator_id")
        ),
    )
    with op.batch_alter_table("recommendation_impressions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_impressions_creator_id"), ["creator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendation_impressions_shown_at"), ["shown_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation_impressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_impressions_shown_at"))
        batch_op.drop_index(batch_op.f("ix_recommendation_impressions_creator_id"))

    op.drop_table("recommendation_impressions")
