"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Request

from ledgerbridge.bootstrap import Container


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found
