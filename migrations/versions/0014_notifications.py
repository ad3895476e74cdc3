"""notifications and pre-hire conversations

The in-app notification centre and per-user mail preferences; message threads between a
business and a creator before any proposal or contract ("Contact", keyed by ``direct_key``).

Revision ID: 0014_notifications
Revises: 0011_auth_sessions
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0014_notifications"
down_revision = "0011_auth_sessions"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", ID, nullable=False),
        sa.Column(
            "email_off",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("last_digest_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )

    with op.batch_alter_table("message_threads") as batch:
        batch.add_column(sa.Column("direct_key", sa.String(length=40), nullable=True))
        batch.create_unique_constraint(op.f("uq_message_threads_direct_key"), ["direct_key"])
        batch.drop_constraint(op.f("ck_message_threads_has_subject"), type_="check")
        batch.create_check_constraint(
            op.f("ck_message_threads_has_subject"),
            "contract_id IS NOT NULL OR proposal_id IS NOT NULL OR direct_key IS NOT NULL",
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM messages WHERE thread_id IN "
        "(SELECT id FROM message_threads WHERE contract_id IS NULL AND proposal_id IS NULL)"
    )
    with op.batch_alter_table("message_threads") as batch:
        batch.drop_constraint(op.f("ck_message_threads_has_subject"), type_="check")
        batch.create_check_constraint(
            op.f("ck_message_threads_has_subject"),
            "contract_id IS NOT NULL OR proposal_id IS NOT NULL",
        )
        batch.drop_constraint(op.f("uq_message_threads_direct_key"), type_="unique")
        batch.drop_column("direct_key")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
