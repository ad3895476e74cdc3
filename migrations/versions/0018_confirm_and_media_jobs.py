"""sign-up confirmation and image processing in the job queue

- users.email_confirmed_at: set when the owner follows the emailed confirmation link; an
  unconfirmed account cannot sign in. Every existing account is backfilled as confirmed.
- media_assets.processed_at / gallery_images.processed_at: when the job made the previews,
  hashes and renditions (until then pages show a "processing" placeholder); existing rows
  were processed in their upload request and are backfilled.
- gallery_images.source_key: the uploaded file, kept privately until the job has made the
  renditions from it (then deleted: only re-encoded renditions are served).

Revision ID: 0018_confirm_and_media_jobs
Revises: 0016_money_as_stripe_behaves
Create Date: 2026-12-01 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0018_confirm_and_media_jobs"
down_revision = "0016_money_as_stripe_behaves"
branch_labels = None
depends_on = None

When = app.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", When, nullable=True))
    with op.batch_alter_table("media_assets") as batch_op:
        batch_op.add_column(sa.Column("processed_at", When, nullable=True))
    with op.batch_alter_table("gallery_images") as batch_op:
        batch_op.add_column(sa.Column("processed_at", When, nullable=True))
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.execute("UPDATE media_assets SET processed_at = created_at")
    op.execute("UPDATE gallery_images SET processed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("gallery_images") as batch_op:
        batch_op.drop_column("source_key")
        batch_op.drop_column("processed_at")
    with op.batch_alter_table("media_assets") as batch_op:
        batch_op.drop_column("processed_at")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email_confirmed_at")
