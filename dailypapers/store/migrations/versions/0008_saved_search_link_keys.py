"""A random key per saved search, signed into its feed links

Revision ID: 0008_link_keys
Revises: 0006_saved_searches
Create Date: 2026-12-08

A feed link used to sign only (id, owner): SQLite gives a deleted saved search's id to the next one, and the
old link then opened the new feed. Each saved search now has a random key the link must carry. Existing rows
get a fresh key each, so every link made before (one of which may already name a reused id) stops working;
the saved search's page shows the new one.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_link_keys"
down_revision = "0006_saved_searches"
branch_labels = None
depends_on = None

SAVED = sa.table("saved_searches", sa.column("id", sa.Integer()), sa.column("link_key", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("saved_searches") as batch:
        batch.add_column(sa.Column("link_key", sa.Integer(), nullable=True))
    conn = op.get_bind()
    keys = [
        {"row": row_id, "key": secrets.randbelow(2**30) + 1}  # as models.new_link_key, frozen here
        for row_id in conn.execute(sa.select(SAVED.c.id)).scalars()
    ]
    if keys:
        conn.execute(SAVED.update().where(SAVED.c.id == sa.bindparam("row")).values(link_key=sa.bindparam("key")), keys)
    with op.batch_alter_table("saved_searches") as batch:
        batch.alter_column("link_key", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_searches") as batch:
        batch.drop_column("link_key")
