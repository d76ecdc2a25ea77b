"""Addresses each user has signed in from

Revision ID: 0008_login_addresses
Revises: 0004_sessions
Create Date: 2026-12-08

Strangers' failed logins close an account's login limit; a right password from an address its user has
signed in from before still opens it. Only a keyed hash of each address is kept, a few per user.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_login_addresses"
down_revision = "0004_sessions"  # beside the login sessions
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_addresses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "address_hash"),
    )


def downgrade() -> None:
    op.drop_table("login_addresses")
