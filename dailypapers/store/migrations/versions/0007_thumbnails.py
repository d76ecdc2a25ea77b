"""Which arXiv version of each paper has a first-page thumbnail

Revision ID: 0007_thumbnails
Revises: 0003_mail_outbox
Create Date: 2026-12-07

The thumbnail itself is a file in the data dir (ingest/thumbnails.py); the column lets pages build its
address without looking at the disk, and a newer version of a paper (version > thumbnail_version) gets a new one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_thumbnails"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("thumbnail_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("thumbnail_version")
