"""demand pools: pools with price tiers, businesses' pledges (card saved with a SetupIntent,
charged off-session at close; escrow per pledge until accepted)

Revision ID: 0020_demand_pools
Revises: 0019_page_cache
Create Date: 2026-12-01 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0020_demand_pools"
down_revision = "0019_page_cache"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = app.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "demand_pools",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("creator_id", BigId, nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("delivery_promise", sa.Text(), nullable=False),
        sa.Column("delivery_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("deadline", When, nullable=False),
        sa.Column("min_pledges", sa.Integer(), nullable=False),
        sa.Column("min_total_minor", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source_cluster", sa.String(64), nullable=True),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("closed_at", When, nullable=True),
        sa.Column("grace_until", When, nullable=True),
        sa.Column("delivered_at", When, nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=False),
        sa.Column("accept_due_at", When, nullable=True),
        sa.Column("settled_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.CheckConstraint("min_pledges >= 1", name=op.f("ck_demand_pools_min_pledges_positive")),
        sa.CheckConstraint(
            "min_total_minor IS NULL OR min_total_minor > 0", name=op.f("ck_demand_pools_min_total")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_demand_pools_creator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_pools")),
    )
    op.create_index("ix_demand_pools_creator_id", "demand_pools", ["creator_id"])
    op.create_index("ix_demand_pools_source_cluster", "demand_pools", ["source_cluster"])
    op.create_table(
        "pool_tiers",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("pool_id", BigId, nullable=False),
        sa.Column("min_pledges", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "pool_id", "min_pledges", name=op.f("uq_pool_tiers_pool_id_min_pledges")
        ),
        sa.CheckConstraint(
            "min_pledges >= 1 AND price_minor > 0", name=op.f("ck_pool_tiers_tier_positive")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["demand_pools.id"], name=op.f("fk_pool_tiers_pool_id_demand_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_tiers")),
    )
    op.create_index("ix_pool_tiers_pool_id", "pool_tiers", ["pool_id"])
    op.create_table(
        "pool_pledges",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("pool_id", BigId, nullable=False),
        sa.Column("business_id", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("setup_intent_id", sa.String(64), nullable=True),
        sa.Column("payment_method_id", sa.String(64), nullable=True),
        sa.Column("payment_intent_id", sa.String(64), nullable=True),
        sa.Column("charge_id", sa.String(64), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=False),
        sa.Column("charged_at", When, nullable=True),
        sa.Column("accepted_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint(
            "pool_id", "business_id", name=op.f("uq_pool_pledges_pool_id_business_id")
        ),
        sa.UniqueConstraint("setup_intent_id", name=op.f("uq_pool_pledges_setup_intent_id")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_pool_pledges_payment_intent_id")),
        sa.CheckConstraint(
            "amount_minor >= 0 AND refunded_minor >= 0", name=op.f("ck_pool_pledges_pledge_money")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["demand_pools.id"], name=op.f("fk_pool_pledges_pool_id_demand_pools")
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["users.id"], name=op.f("fk_pool_pledges_business_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_pledges")),
    )
    op.create_index("ix_pool_pledges_pool_id", "pool_pledges", ["pool_id"])
    op.create_index("ix_pool_pledges_business_id", "pool_pledges", ["business_id"])


def downgrade() -> None:
    op.drop_table("pool_pledges")
    op.drop_table("pool_tiers")
    op.drop_table("demand_pools")
