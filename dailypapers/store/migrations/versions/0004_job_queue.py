"""Job queue (procrastinate) on PostgreSQL

Revision ID: 0004_job_queue
Revises: 0003_mail_outbox
Create Date: 2026-12-01

On PostgreSQL, background work (ingest, embedding, digests) runs through procrastinate's job queue, whose
tables and functions live in the same database: they are created here, so `dailypapers db upgrade` sets up
everything a worker needs. SQLite has no queue (`dailypapers scheduler` runs the work there). A later
procrastinate release that changes its schema comes with its own migration here.
"""

from alembic import op

revision = "0004_job_queue"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None

TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")
DROP_FUNCTIONS = """
DO $$ DECLARE f record; BEGIN
  FOR f IN SELECT oid::regprocedure AS signature FROM pg_proc WHERE proname LIKE 'procrastinate\\_%' LOOP
    EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
  END LOOP;
END $$
"""


def literal(sql: str) -> str:
    """The driver reads `%` as a placeholder even without parameters: doubled, it reaches PostgreSQL as one."""
    return sql.replace("%", "%%")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # deferred: every command's schema check reads this file, and only an upgrade on PostgreSQL needs procrastinate
    from procrastinate.schema import SchemaManager

    bind.exec_driver_sql(literal(SchemaManager.get_schema()))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    bind.exec_driver_sql(literal(DROP_FUNCTIONS))
    bind.exec_driver_sql(f"DROP TYPE IF EXISTS {', '.join(TYPES)} CASCADE")
