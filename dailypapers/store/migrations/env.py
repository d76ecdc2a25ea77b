"""Alembic environment: migrations run on the connection dailypapers hands over (see store/db.py)."""

from alembic import context

from dailypapers.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `dailypapers db upgrade`")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
