"""PostgreSQL full-text keyword index

Revision ID: 0002_pg_fulltext
Revises: 0001
Create Date: 2026-11-26

On PostgreSQL the keyword index is a stored generated tsvector with a GIN index: PostgreSQL computes it
in the same statement as every write to `papers`, so it is never stale (SQLite uses FTS5, see 0001).
Weights: title A > authors B > abstract C > categories D.
"""

from alembic import op

revision = "0002_pg_fulltext"
down_revision = "0001"
branch_labels = None
depends_on = None

VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(authors::text, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(abstract, '')), 'C') || "
    "setweight(to_tsvector('english', coalesce(categories, '')), 'D')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED")
    op.execute("CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_search_vector")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_vector")
