"""money as Stripe behaves: chargebacks of any sale, payout attention, account requirements

- chargebacks: one row per Stripe dispute on the charge of a sale (any payable kind), with
  the ledger steps already booked (withdrawn, closed_booked) so events apply once.
- payouts.key_generation / attention_since: a failed payout is visible as needing attention;
  a retry after Stripe's 24 h idempotency window uses a fresh key (generation + 1).
- connected_accounts.currently_due / past_due / disabled_reason: Stripe's requirements,
  refreshed on account.updated and shown on the onboarding page.

Revision ID: 0016_money_as_stripe_behaves
Revises: 0015_brief_vectors
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0016_money_as_stripe_behaves"
down_revision = "0015_brief_vectors"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = app.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chargebacks",
        sa.Column("stripe_dispute_id", sa.String(length=64), nullable=False),
        sa.Column("charge_id", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stripe_status", sa.String(length=32), nullable=False),
        sa.Column("state_before", sa.String(length=32), nullable=False),
        sa.Column("evidence_text", sa.String(length=5000), nullable=False),
        sa.Column("evidence_sent_at", When, nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("closed_booked", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("closed_at", When, nullable=True),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_chargebacks_amount_positive")),
        sa.CheckConstraint("fee_minor >= 0", name=op.f("ck_chargebacks_fee_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargebacks")),
        sa.UniqueConstraint("stripe_dispute_id", name=op.f("uq_chargebacks_stripe_dispute_id")),
    )
    op.create_index("ix_chargebacks_charge", "chargebacks", ["charge_id"], unique=False)
    with op.batch_alter_table("payouts") as batch_op:
        batch_op.add_column(
            sa.Column("key_generation", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("attention_since", When, nullable=True))
    with op.batch_alter_table("connected_accounts") as batch_op:
        batch_op.add_column(
            sa.Column("currently_due", app.db.JsonType, nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("past_due", app.db.JsonType, nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("disabled_reason", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connected_accounts") as batch_op:
        batch_op.drop_column("disabled_reason")
        batch_op.drop_column("past_due")
        batch_op.drop_column("currently_due")
    with op.batch_alter_table("payouts") as batch_op:
        batch_op.drop_column("attention_since")
        batch_op.drop_column("key_generation")
    op.drop_index("ix_chargebacks_charge", table_name="chargebacks")
    op.drop_table("chargebacks")
