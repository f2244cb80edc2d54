"""The Workers admin page as JSON (admin only): workers seen by their heartbeats, jobs
waiting and running, stalled jobs put back in the last 24 hours (``services.workers``).

Installation-wide counts (every company's jobs share the queue), never a job's arguments.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ledgerbridge.bootstrap import Container
from ledgerbridge.services import workers
from ledgerbridge.web.deps import container, require_role
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=StrictJsonRoute)


@router.get(
    "/workers",
    summary="Workers by their heartbeats, the job queue, stalled jobs",
    dependencies=[Depends(require_role("admin"))],
)
def worker_status(app: Container = Depends(container)) -> dict[str, Any]:
    """``alive``: a heartbeat within ``stall_seconds`` (``LEDGERBRIDGE_JOB_STALL_SECONDS``);
    ``stalled_retried`` / ``stalled_aborted`` count the last ``recent_hours``."""
    report = workers.worker_report(app.uow, app.now(), app.settings.job_stall_seconds)
    return {
        "stall_seconds": report.stall_seconds,
        "workers_alive": report.alive,
        "workers": [
            {
                "id": w.id,
                "last_heartbeat": w.last_heartbeat.isoformat(),
                "silent_seconds": round(w.silent_seconds, 1),
                "alive": w.alive,
                "jobs_running": w.running,
            }
            for w in report.workers
        ],
        "jobs_waiting": report.waiting,
        "jobs_scheduled_later": report.waiting_later,
        "oldest_waiting_since": (
            None if report.oldest_waiting_since is None
            else report.oldest_waiting_since.isoformat()
        ),
        "oldest_waiting_seconds": (
            None if report.oldest_waiting_seconds is None
            else round(report.oldest_waiting_seconds, 1)
        ),
        "jobs_running": report.running,
        "jobs_running_on_silent_workers": report.running_on_silent,
        "recent_hours": report.recent_hours,
        "stalled_retried": report.stalled_retried,
        "stalled_aborted": report.stalled_aborted,
    }  # fmt: skip
