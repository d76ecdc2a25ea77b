"""Paper change numbers, the watermark of keyword indexes kept outside the database

Revision ID: 0004_keyword_watermark
Revises: 0003_mail_outbox
Create Date: 2026-12-01

Every paper write sets `papers.change_seq` above every number before it; an index outside the database
(tantivy) records the last number it applied and catches up from there, so it survives a crash between the
two commits. Existing papers get their id: an index built from nothing applies them all.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_keyword_watermark"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE papers SET change_seq = id")
    op.create_index("ix_papers_change_seq", "papers", ["change_seq"])


def downgrade() -> None:
    op.drop_index("ix_papers_change_seq", table_name="papers")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("change_seq")
