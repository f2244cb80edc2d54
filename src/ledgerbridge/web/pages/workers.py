"""Workers (admins only): the background workers seen by their heartbeats, the jobs
waiting and running, and the stalled jobs put back in the last 24 hours
(``services.workers``). Installation-wide figures: counts only, no job of any company."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.services import workers
from ledgerbridge.web.pages.common import container, render
from ledgerbridge.web.pages.guard import admin_viewer

router = APIRouter()


@router.get("/workers", response_model=None)
def workers_page(request: Request) -> HTMLResponse:
    who, _ = admin_viewer(request)
    app = container(request)
    report = workers.worker_report(app.uow, app.now(), app.settings.job_stall_seconds)
    return render(request, "workers.html", who, active="workers", report=report)
