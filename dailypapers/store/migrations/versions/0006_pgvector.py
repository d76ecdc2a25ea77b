"""pgvector column for the embeddings

Revision ID: 0006_pgvector
Revises: 0003_mail_outbox
Create Date: 2026-12-01

On PostgreSQL every stored vector is also a pgvector `vector`, so that any machine on the same database
searches it (index/vectors_pgvector.py). The column has no fixed dimension, since models differ (384,
256, ...); the HNSW index, which needs one, is a partial expression index per model that `dailypapers
index` creates when a model's vectors are first written. The float32 blob stays: SQLite, the vector files
and `dailypapers migrate` read it. SQLite gets nothing.
"""

from alembic import op

revision = "0006_pgvector"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("ALTER TABLE embeddings ADD COLUMN IF NOT EXISTS embedding vector")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE embeddings DROP COLUMN IF EXISTS embedding")  # drops the HNSW indexes on it too
