"""The job queue's tables (procrastinate's, on PostgreSQL): recent jobs, jobs per state, and the arguments of
those still to run, read with the site's own engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

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

# The arguments of a task's jobs that wait, or run on a worker that is alive: one killed in the middle of a job
# leaves it `doing` for ever, but its heartbeat stops (procrastinate beats every 10 s, and calls a worker
# stalled after 30 s of silence).
LIVE_ARGS = text("""
SELECT j.args FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
WHERE j.task_name = :task
  AND (j.status = 'todo' OR (j.status = 'doing' AND w.last_heartbeat > now() - make_interval(secs => :stalled)))
""")
STALLED_AFTER = 30.0


@dataclass
class JobRow:
    id: int
    task: str
    queue: str
    status: str
    attempts: int
    args: dict[str, Any]
    deferred_at: datetime | None
    updated_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recent_jobs(engine: Engine, limit: int = 20) -> list[JobRow]:
    """The newest jobs first: waiting (todo), running (doing), succeeded, failed, cancelled or aborted."""
    with engine.connect() as conn:
        return [JobRow(*row) for row in conn.execute(RECENT, {"limit": limit})]


def jobs_per_state(engine: Engine) -> dict[str, int]:
    """How many jobs are in each state (todo, doing, succeeded, failed, cancelled, aborted ...)."""
    with engine.connect() as conn:
        return dict(conn.execute(PER_STATE).all())


def live_job_args(engine: Engine, task: str, stalled_after: float = STALLED_AFTER) -> list[dict[str, Any]]:
    """The arguments of the jobs of `task` still to run or running on a live worker."""
    with engine.connect() as conn:
        return list(conn.execute(LIVE_ARGS, {"task": task, "stalled": stalled_after}).scalars())
