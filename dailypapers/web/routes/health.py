"""Health for load balancers and supervisors: `/healthz` (the process answers) and `/readyz` (it can serve).

Readiness names each check and whether it passed, with a short fixed reason when it did not: never the
exception text, which can hold a database URL, a path or a password. Neither answer is cached (web/middleware/cache.py
skips them) nor rate-limited, so a probe always sees the state of now. The database checks wait at most
`ready_check_seconds` (store.db.probe_engine): a hung database makes the site not ready, not the probe hang.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dailypapers.config import get_settings
from dailypapers.index.engines import keyword_index
from dailypapers.store.db import open_engine, ping, probe_engine, schema_problem

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz():  # on the event loop: it answers even while every worker thread is busy
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def _check(name: str, reason: str, probe) -> dict:
    """Run one check; a failure is logged here in one line (for the operator: probes come every few seconds,
    so no traceback) and answered as `reason` (for anyone)."""
    try:
        problem = probe()
    except Exception as exc:
        log.warning(
            "readiness check %s failed: %s: %.200s", name, type(exc).__name__, (str(exc).splitlines() or [""])[0]
        )
        problem = reason
    return {"check": name, "status": "failed", "reason": problem} if problem else {"check": name, "status": "ok"}


def _keyword_lag(engine) -> str | None:
    behind = keyword_index(engine).lag()
    return f"{behind} paper changes not indexed yet" if behind else None


@router.get("/readyz")
def readyz():
    settings = get_settings()
    probe = probe_engine(settings.db_url, settings.ready_check_seconds)
    checks = [_check("database", "cannot reach the database", lambda: ping(probe))]
    if checks[0]["status"] == "ok":
        checks.append(
            _check(
                "schema",
                "cannot read the schema version",
                lambda: schema_problem(probe) and "migrations are not current",
            )
        )
        checks.append(_check("keyword_index", "cannot read the keyword index", lambda: _keyword_lag(open_engine())))
    else:
        checks += [
            {"check": name, "status": "failed", "reason": "needs the database"} for name in ("schema", "keyword_index")
        ]
    ready = all(check["status"] == "ok" for check in checks)
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers=NO_STORE,
    )
