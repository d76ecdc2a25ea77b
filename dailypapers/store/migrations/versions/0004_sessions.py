"""Server-side login sessions, and disabled accounts

Revision ID: 0004_sessions
Revises: 0003_mail_outbox
Create Date: 2026-12-01

The session cookie holds a random secret; this table holds its hash. Logging out deletes the row, so a
cookie copied before logout opens nothing afterwards; "log out everywhere" and a new password delete all
of a user's rows, as does an administrator disabling the account (users.disabled_at).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sessions"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("disabled_at")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
