"""A random id for the database

Revision ID: 0006_database_id
Revises: 0003_mail_outbox
Create Date: 2026-12-01

What is derived from the database outside it (each host's tantivy replica) records the id of the database it
came from, so a replica of another database (a restored backup, a new database at the same URL) is rebuilt
instead of being trusted because its change number happens to be reached. `migrate --to` copies it: the copy
holds the same papers with the same change numbers.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_database_id"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None

_STATE = sa.table(
    "state",
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.execute(_STATE.delete().where(_STATE.c.key == "database_id"))
    op.bulk_insert(_STATE, [{"key": "database_id", "value": {"id": uuid.uuid4().hex}, "updated_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.execute(_STATE.delete().where(_STATE.c.key == "database_id"))
