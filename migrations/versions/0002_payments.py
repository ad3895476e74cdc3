"""payments: milestones, transitions, double-entry ledger, Stripe events, payouts, timers

PostgreSQL also gets the ledger guards: a DEFERRABLE INITIALLY DEFERRED constraint trigger
that refuses, at commit, any journal entry whose postings do not sum to zero per currency, and
triggers refusing UPDATE/DELETE on postings and journal entries (append-only).

Revision ID: 0002_payments
Revises: 0001_initial
Create Date: 2026-11-25 15:00:22.431365
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0002_payments"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "connected_accounts",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stripe_account_id", sa.String(length=64), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("transfers_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_connected_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_connected_accounts")),
        sa.UniqueConstraint(
            "stripe_account_id", name=op.f("uq_connected_accounts_stripe_account_id")
        ),
    )
    op.create_table(
        "milestones",
        sa.Column(
            "contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("revisions_used", sa.Integer(), nullable=False),
        sa.Column("max_revisions", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("charge_id", sa.String(length=64), nullable=True),
        sa.Column("funded_minor", sa.Integer(), nullable=False),
        sa.Column("released_minor", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("fee_bp", sa.Integer(), nullable=True),
        sa.Column("hold_hours", sa.Integer(), nullable=True),
        sa.Column("delivery_message", sa.Text(), nullable=False),
        sa.Column(
            "delivery_files",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("funded_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_due_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clears_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_out_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_milestones_amount_positive")),
        sa.CheckConstraint(
            "funded_minor >= 0 AND released_minor >= 0", name=op.f("ck_milestones_money_nonneg")
        ),
        sa.CheckConstraint("refunded_minor >= 0", name=op.f("ck_milestones_refunded_nonneg")),
        sa.CheckConstraint(
            "revisions_used >= 0 AND revisions_used <= max_revisions",
            name=op.f("ck_milestones_revs"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_milestones_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint("contract_id", "position", name="uq_milestones_contract_position"),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_milestones_payment_intent_id")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestones_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "journal_entries",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_journal_entries_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_journal_entries_key")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_entries_milestone_id"), ["milestone_id"], unique=False
        )

    op.create_table(
        "milestone_events",
        sa.Column(
            "milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_milestone_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_milestone_events_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_events")),
    )
    with op.batch_alter_table("milestone_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_events_milestone_id"), ["milestone_id"], unique=False
        )

    op.create_table(
        "payment_jobs",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("due_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_payment_jobs_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_payment_jobs_key")),
    )
    with op.batch_alter_table("payment_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_jobs_milestone_id"), ["milestone_id"], unique=False
        )
        batch_op.create_index("ix_payment_jobs_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "payment_refunds",
        sa.Column(
            "milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stripe_refund_id", sa.String(length=64), nullable=False),
        sa.Column("stripe_reversal_id", sa.String(length=64), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payment_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_payment_refunds_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refunds")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_payment_refunds_stripe_refund_id")),
        sa.UniqueConstraint(
            "stripe_reversal_id", name=op.f("uq_payment_refunds_stripe_reversal_id")
        ),
    )
    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_refunds_milestone_id"), ["milestone_id"], unique=False
        )

    op.create_table(
        "payout_transfers",
        sa.Column(
            "milestone_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stripe_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reversed_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payout_transfers_amount_positive")),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_payout_transfers_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_transfers")),
        sa.UniqueConstraint("milestone_id", name=op.f("uq_payout_transfers_milestone_id")),
        sa.UniqueConstraint(
            "stripe_transfer_id", name=op.f("uq_payout_transfers_stripe_transfer_id")
        ),
    )
    op.create_table(
        "postings",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_postings_amount_nonzero")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_postings_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index("ix_postings_account_currency", ["account", "currency"], unique=False)
        batch_op.create_index(batch_op.f("ix_postings_entry_id"), ["entry_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_GUARDS:
            op.execute(statement)


POSTGRES_GUARDS = [
    """
    CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM postings WHERE entry_id = NEW.entry_id
            GROUP BY currency HAVING SUM(amount_minor) <> 0
        ) THEN
            RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE CONSTRAINT TRIGGER postings_entry_balanced
        AFTER INSERT ON postings
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()
    """,
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER postings_append_only
        BEFORE UPDATE OR DELETE ON postings
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE TRIGGER journal_entries_append_only
        BEFORE UPDATE OR DELETE ON journal_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER journal_entries_append_only ON journal_entries")
        op.execute("DROP TRIGGER postings_append_only ON postings")
        op.execute("DROP TRIGGER postings_entry_balanced ON postings")
        op.execute("DROP FUNCTION ledger_refuse_change()")
        op.execute("DROP FUNCTION ledger_check_entry_balanced()")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postings_entry_id"))
        batch_op.drop_index("ix_postings_account_currency")

    op.drop_table("postings")
    op.drop_table("payout_transfers")
    with op.batch_alter_table("payment_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refunds_milestone_id"))

    op.drop_table("payment_refunds")
    with op.batch_alter_table("payment_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_jobs_status_due")
        batch_op.drop_index(batch_op.f("ix_payment_jobs_milestone_id"))

    op.drop_table("payment_jobs")
    with op.batch_alter_table("milestone_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_events_milestone_id"))

    op.drop_table("milestone_events")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_milestone_id"))

    op.drop_table("journal_entries")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_contract_id"))

    op.drop_table("milestones")
    op.drop_table("connected_accounts")
    op.drop_table("stripe_events")
