"""demand cache version: the version of the cached demand clusters (app.demand.cache)

Revision ID: 0022_19p_demand_cache
Revises: 0021_demand_interests
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0022_19p_demand_cache"
down_revision = "0021_demand_interests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = sa.table(
        "page_cache_versions", sa.column("name", sa.String), sa.column("version", sa.BigInteger)
    )
    op.bulk_insert(table, [{"name": "demand", "version": secrets.randbits(62)}])


def downgrade() -> None:
    op.execute("DELETE FROM page_cache_versions WHERE name = 'demand'")
