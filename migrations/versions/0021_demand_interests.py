"""demand interests: a business's standing interest in a category or skill (demand signals)

Revision ID: 0021_demand_interests
Revises: 0020_demand_pools
Create Date: 2026-12-01 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0021_demand_interests"
down_revision = "0020_demand_pools"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = app.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "demand_interests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("business_id", BigId, nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("skill", sa.String(length=80), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("budget_min_minor", BigId, nullable=True),
        sa.Column("budget_max_minor", BigId, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("withdrawn_at", When, nullable=True),
        sa.Column("text_hash", sa.String(length=40), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "category IS NOT NULL OR skill IS NOT NULL",
            name=op.f("ck_demand_interests_category_or_skill"),
        ),
        sa.CheckConstraint(
            "(budget_min_minor IS NULL AND budget_max_minor IS NULL AND currency IS NULL)"
            " OR (budget_min_minor > 0 AND budget_max_minor >= budget_min_minor"
            " AND currency IS NOT NULL)",
            name=op.f("ck_demand_interests_budget_range"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["users.id"], name=op.f("fk_demand_interests_business_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_interests")),
    )
    op.create_index(op.f("ix_demand_interests_business_id"), "demand_interests", ["business_id"])
    op.create_index(op.f("ix_demand_interests_withdrawn_at"), "demand_interests", ["withdrawn_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_demand_interests_withdrawn_at"), table_name="demand_interests")
    op.drop_index(op.f("ix_demand_interests_business_id"), table_name="demand_interests")
    op.drop_table("demand_interests")
