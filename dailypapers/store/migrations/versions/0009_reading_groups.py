"""Reading groups: members, invite links, a shared collection with notes, and the group's own threads

Revision ID: 0009_reading_groups
Revises: 0004_library
Create Date: 2026-12-07

New tables only; they point at users and papers, beside the library's saves and collections.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_reading_groups"
down_revision = "0004_library"  # beside the library: a group's collection is one more shelf
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reading_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(length=40), nullable=False, unique=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("link_key", sa.Integer(), nullable=False),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("reading_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("shares", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("joined_at", WHEN, nullable=False),
    )
    op.create_index("ix_group_members_user_id", "group_members", ["user_id"])
    op.create_table(
        "group_invites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("reading_groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("link_key", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN),
        sa.Column("revoked_at", WHEN),
    )
    op.create_index("ix_group_invites_group_id", "group_invites", ["group_id"])
    op.create_table(
        "group_papers",
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("reading_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer(), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_at", WHEN, nullable=False),
    )
    op.create_index("ix_group_papers_paper_id", "group_papers", ["paper_id"])
    op.create_table(
        "group_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("reading_groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_id", sa.Integer(), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("group_comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_group_comments_paper_id", "group_comments", ["paper_id"])
    op.create_index("ix_group_comments_user_id", "group_comments", ["user_id"])
    op.create_index("ix_group_comments_group_paper", "group_comments", ["group_id", "paper_id"])


def downgrade() -> None:
    for table in ("group_comments", "group_papers", "group_invites", "group_members", "reading_groups"):
        op.drop_table(table)
