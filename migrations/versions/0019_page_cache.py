"""page cache versions: the version of the signed-out catalogue pages (app.pagecache)

Revision ID: 0019_page_cache
Revises: 0018_confirm_and_media_jobs
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0019_page_cache"
down_revision = "0018_confirm_and_media_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "page_cache_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_page_cache_versions")),
    )
    op.bulk_insert(table, [{"name": "catalog", "version": secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table("page_cache_versions")
