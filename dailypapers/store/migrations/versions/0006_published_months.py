"""An index that answers topic trends' month counts on its own

Revision ID: 0006_published_months
Revises: 0003_mail_outbox
Create Date: 2026-12-01

Topic trends read (id, first-version date) of every visible paper in a window: at a million papers the
published_at index alone sends each of those rows to the table (9 s); with hidden and id in the index the
index answers alone (3 s, benchmarks/RESULTS.md). It replaces the published_at index, its prefix.
"""

from alembic import op

revision = "0006_published_months"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_papers_published_hidden_id", "papers", ["published_at", "hidden", "id"])
    op.drop_index("ix_papers_published_at", table_name="papers")


def downgrade() -> None:
    op.create_index("ix_papers_published_at", "papers", ["published_at"])
    op.drop_index("ix_papers_published_hidden_id", table_name="papers")
