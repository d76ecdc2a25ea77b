"""Paper versions, and the version a member saw of each saved paper

Revision ID: 0009_paper_versions
Revises: 0004_library
Create Date: 2026-12-09

`paper_versions` keeps what each arXiv version of a paper said once the paper has more than one. Saves and
collection items remember the version their member saw; existing ones take the paper's current version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_paper_versions"
down_revision = "0004_library"  # it made saves and collection_items (papers came before it)
branch_labels = None
depends_on = None

_SHELVES = ("saves", "collection_items")


def upgrade() -> None:
    op.create_table(
        "paper_versions",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "version"),
    )
    for table in _SHELVES:
        op.add_column(table, sa.Column("seen_version", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET seen_version = (SELECT version FROM papers WHERE papers.id = {table}.paper_id)")


def downgrade() -> None:
    for table in _SHELVES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seen_version")
    op.drop_table("paper_versions")
