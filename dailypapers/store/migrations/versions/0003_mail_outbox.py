"""Mail outbox for one-off emails

Revision ID: 0003_mail_outbox
Revises: 0002_pg_fulltext
Create Date: 2026-11-27

Confirmations and notices are queued here in the request's transaction and sent by `deliver` afterwards,
so the subscription pages never wait on the SMTP server and a mail the server could not take is retried.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_mail_outbox"
down_revision = "0002_pg_fulltext"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_outbox_subscriber_id", "mail_outbox", ["subscriber_id"])
    op.create_index("ix_mail_outbox_status", "mail_outbox", ["status"])


def downgrade() -> None:
    op.drop_index("ix_mail_outbox_status", table_name="mail_outbox")
    op.drop_index("ix_mail_outbox_subscriber_id", table_name="mail_outbox")
    op.drop_table("mail_outbox")
