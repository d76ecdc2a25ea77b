"""Recent jobs and their status, read from procrastinate's tables with the site's own engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine, text

RECENT = text("""
SELECT j.id, j.task_name, j.queue_name, j.status, j.attempts, j.args,
       min(e.at) AS deferred_at, max(e.at) AS updated_at
FROM procrastinate_jobs j LEFT JOIN procrastinate_events e ON e.job_id = j.id
GROUP BY j.id ORDER BY j.id DESC LIMIT :limit
""")
# Every state procrastinate knows (its enum), with the jobs in each: a state with none still reads 0.
PER_STATE = text("""
SELECT s.state::text, count(j.id)
FROM unnest(enum_range(NULL::procrastinate_job_status)) AS s(state)
LEFT JOIN procrastinate_jobs j ON j.status = s.state
GROUP BY s.state
""")


@dataclass
class JobRow:
    id: int
    task: str
    queue: str
    status: str
    attempts: int
    args: dict
    deferred_at: datetime | None
    updated_at: datetime | None

    def as_dict(self) -> dict:
        return asdict(self)


def recent_jobs(engine: Engine, limit: int = 20) -> list[JobRow]:
    """The newest jobs first: waiting (todo), running (doing), succeeded, failed, cancelled or aborted."""
    with engine.connect() as conn:
        return [JobRow(*row) for row in conn.execute(RECENT, {"limit": limit})]


def jobs_per_state(engine: Engine) -> dict[str, int]:
    """How many jobs are in each state (todo, doing, succeeded, failed, cancelled, aborted ...)."""
    with engine.connect() as conn:
        return dict(conn.execute(PER_STATE).all())
