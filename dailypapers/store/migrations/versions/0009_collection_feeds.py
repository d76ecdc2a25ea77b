"""A feed per collection

Revision ID: 0009_collection_feeds
Revises: 0004_library
Create Date: 2026-12-07

A collection its owner turns into a feed of papers like it has a row here: whether its new papers go in the
owner's digest, and the random key its signed RSS and Atom links carry (a new key revokes the old links).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_collection_feeds"
down_revision = "0004_library"  # it made collections
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_feeds",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("in_digest", sa.Boolean(), nullable=False),
        sa.Column("link_key", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("collection_id"),
    )


def downgrade() -> None:
    op.drop_table("collection_feeds")
