"""What a member saw of a kept paper besides its version: its journal reference, DOI and comments line

Revision ID: 0009_seen_publication
Revises: 0009_paper_versions
Create Date: 2026-12-07

arXiv usually records a publication (a journal reference, a DOI) without a new version, so saves and collection
items remember the publication state their member saw, and news on the same version flags the paper. Existing
rows take the state of the version they saw (the paper's current one, unless a newer version flags it already),
so nothing flags that was not flagged before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_seen_publication"
down_revision = "0009_paper_versions"  # it gave saves and collection items their seen_version, read here
branch_labels = None
depends_on = None

_SHELVES = ("saves", "collection_items")
# The version row the member saw, where the paper has a newer version now.
_SEEN_ROW = (
    "SELECT v.{column} FROM paper_versions v JOIN papers p ON p.id = v.paper_id"
    " WHERE v.paper_id = {table}.paper_id AND v.version = {table}.seen_version AND v.version < p.version"
)
_COLUMNS = (("journal_ref", sa.Text()), ("doi", sa.String(length=255)), ("comments", sa.Text()))


def upgrade() -> None:
    for table in _SHELVES:
        for name, kind in _COLUMNS:
            op.add_column(table, sa.Column(f"seen_{name}", kind, nullable=True))
            saw = _SEEN_ROW.format(column="paper_id", table=table)
            op.execute(
                f"UPDATE {table} SET seen_{name} = CASE WHEN EXISTS ({saw})"
                f" THEN ({_SEEN_ROW.format(column=name, table=table)})"
                f" ELSE (SELECT {name} FROM papers WHERE papers.id = {table}.paper_id) END"
            )


def downgrade() -> None:
    for table in _SHELVES:
        with op.batch_alter_table(table) as batch:
            for name, _ in _COLUMNS:
                batch.drop_column(f"seen_{name}")
