"""reviews, reputations and content moderation: reviews, reputations, content_reports;
hidden_at on offers, briefs and creator profiles; reputation score on creator profiles

Revision ID: 0004_reviews_moderation
Revises: 0002_payments
Create Date: 2026-11-25 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0004_reviews_moderation"
down_revision = "0002_payments"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("contract_id", BIG_ID, nullable=False),
        sa.Column("reviewer_id", BIG_ID, nullable=False),
        sa.Column("reviewee_id", BIG_ID, nullable=False),
        sa.Column("reviewee_side", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("private_feedback", sa.Text(), nullable=False),
        sa.Column("would_work_again", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reveal_due_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", BIG_ID, nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.CheckConstraint("reviewer_id <> reviewee_id", name=op.f("ck_reviews_distinct_parties")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_reviews_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["reviewee_id"], ["users.id"], name=op.f("fk_reviews_reviewee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("contract_id", "reviewer_id", name="uq_reviews_contract_reviewer"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index("ix_reviews_reviewee", ["reviewee_id", "reviewee_side"], unique=False)

    op.create_table(
        "reputations",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("rating_average", sa.Double(), nullable=True),
        sa.Column(
            "components",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reputations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "side", name=op.f("pk_reputations")),
    )

    op.create_table(
        "content_reports",
        sa.Column("reporter_id", BIG_ID, nullable=False),
        sa.Column("subject_type", sa.String(length=24), nullable=False),
        sa.Column("subject_id", BIG_ID, nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", BIG_ID, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_content_reports_reporter_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_content_reports_resolved_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_reports")),
    )
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_reports_reporter_id"), ["reporter_id"], unique=False
        )
        batch_op.create_index(
            "ix_content_reports_status_created", ["status", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_content_reports_subject", ["subject_type", "subject_id"], unique=False
        )

    # Plain ADD COLUMN (nullable, no default) works on both backends without a table rebuild.
    op.add_column("offers", sa.Column("hidden_at", app.db.UTCDateTime(timezone=True)))
    op.add_column("briefs", sa.Column("hidden_at", app.db.UTCDateTime(timezone=True)))
    op.add_column("creator_profiles", sa.Column("hidden_at", app.db.UTCDateTime(timezone=True)))
    op.add_column("creator_profiles", sa.Column("reputation_score", sa.Double()))
    op.add_column(
        "creator_profiles",
        sa.Column("reputation_computed_at", app.db.UTCDateTime(timezone=True)),
    )


def downgrade() -> None:
    with op.batch_alter_table("creator_profiles", schema=None) as batch_op:
        batch_op.drop_column("reputation_computed_at")
        batch_op.drop_column("reputation_score")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("briefs", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("content_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_content_reports_subject")
        batch_op.drop_index("ix_content_reports_status_created")
        batch_op.drop_index(batch_op.f("ix_content_reports_reporter_id"))
    op.drop_table("content_reports")
    op.drop_table("reputations")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_reviewee")
        batch_op.drop_index(batch_op.f("ix_reviews_contract_id"))
    op.drop_table("reviews")
