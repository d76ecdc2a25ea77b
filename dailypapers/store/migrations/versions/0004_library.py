"""Library, collections and "not interested"

Revision ID: 0004_library
Revises: 0003_mail_outbox
Create Date: 2026-12-01

The signals of the personal feed beside upvotes: saves (the private library), dismissals, and named
collections of papers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_library"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def _user_paper_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index(f"ix_{name}_paper_id", name, ["paper_id"])


def upgrade() -> None:
    _user_paper_table("saves")
    _user_paper_table("dismissals")
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_collection_user_name"),
    )
    op.create_index("ix_collections_user_id", "collections", ["user_id"])
    op.create_table(
        "collection_items",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("collection_id", "paper_id"),
    )
    op.create_index("ix_collection_items_paper_id", "collection_items", ["paper_id"])


def downgrade() -> None:
    op.drop_table("collection_items")
    op.drop_table("collections")
    op.drop_table("dismissals")
    op.drop_table("saves")
