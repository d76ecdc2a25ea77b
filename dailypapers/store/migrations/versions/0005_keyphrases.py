"""Keywords and an extractive summary per paper, computed by `dailypapers index`

Revision ID: 0005_keyphrases
Revises: 0003_mail_outbox
Create Date: 2026-12-01

`ai_source_hash` is the hash of the title and abstract they were computed from: the index run fills the
papers where it is missing or stale, so nothing is backfilled here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_keyphrases"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("ai_keywords", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("ai_summary", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ai_source_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("ai_source_hash")
        batch.drop_column("ai_summary")
        batch.drop_column("ai_keywords")
