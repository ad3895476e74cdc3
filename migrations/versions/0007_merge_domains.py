"""Join the domain branches (messages/disputes, reviews/moderation, stock media, campaigns)

Each domain added its tables on a branch from 0002_payments so they could be built side by
side; this revision makes one head again, for later migrations to build on.

Revision ID: 0007_merge_domains
Revises: 0003_messages_disputes, 0004_reviews_moderation, 0005_stock_media, 0006_campaigns
"""

from __future__ import annotations

revision = "0007_merge_domains"
down_revision = (
    "0003_messages_disputes",
    "0004_reviews_moderation",
    "0005_stock_media",
    "0006_campaigns",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
