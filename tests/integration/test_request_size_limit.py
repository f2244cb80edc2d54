"""One cap on every request body, enforced as the body streams: never read past it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_headers import bearer
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.web.app import create_app

CAP = 1_048_576  # 1.0 MB
CHUNK = 64 * 1024


@pytest.fixture
def app(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> FastAPI:
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    settings = Settings(data_dir=tmp_path, demo=False, request_max_bytes=CAP)
    app = create_app(Container(settings, database_url, engine, session_factory))
    app.state.test_headers = bearer(session_factory, "acme")
    return app


class Body:
    """A streamed body of ``total`` bytes that counts how much was taken from it."""

    def __init__(self, total: int, first: bytes = b"") -> None:
        self.total, self.first, self.sent = total, first, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.first:
            self.sent += len(self.first)
            yield self.first
        while self.sent < self.total:
            self.sent += CHUNK
            yield b" " * CHUNK


def send(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=app.state.test_headers
        ) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(app: FastAPI) -> None:
    body = Body(400 * 1_048_576)
    response = send(
        app,
        "POST",
        "/api/v1/transactions",
        content=body,
        headers={"Content-Length": str(400 * 1_048_576)},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "the request is 400.0 MB; the limit is 1.0 MB"
    assert body.sent <= CHUNK


def test_a_streamed_json_batch_over_the_cap_stops_being_read_at_the_cap(app: FastAPI) -> None:
    body = Body(300 * 1_048_576, first=b'{"transactions": [')
    response = send(app, "POST", "/api/v1/transactions", content=body)
    assert response.status_code == 413
    assert response.json()["detail"] == "the request is over 1.0 MB"
    assert body.sent < CAP + 2 * CHUNK


def test_a_streamed_receipt_upload_over_the_cap_is_413_not_a_form_error(app: FastAPI) -> None:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    body = Body(400 * 1_048_576, first=head)
    response = send(
        app,
        "POST",
        "/api/v1/transactions/00000000-0000-0000-0000-000000000001/receipts",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "the request is over 1.0 MB"
    assert body.sent < CAP + 2 * CHUNK


def test_a_body_under_the_cap_reaches_the_route(app: FastAPI) -> None:
    response = send(app, "POST", "/api/v1/transactions", json={"transactions": []})
    assert response.status_code != 413
