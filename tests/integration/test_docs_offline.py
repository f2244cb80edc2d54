"""/docs works offline: Swagger UI's assets are served by the app, not by a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.web.app import create_app


@pytest.fixture
def client(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    container = Container(
        Settings(data_dir=tmp_path, demo=False), database_url, engine, session_factory
    )
    with TestClient(create_app(container)) as test_client:
        yield test_client


def referenced_assets(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


def test_the_docs_page_refers_to_no_remote_asset(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    assert '"validatorUrl": null' in page.text
    assert re.search(r"https?://", page.text) is None, page.text
    assets = referenced_assets(page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)


def test_every_asset_the_docs_page_refers_to_is_served(client: TestClient) -> None:
    for asset in referenced_assets(client.get("/docs").text):
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.content, asset
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_redoc_is_not_offered_as_it_would_need_a_cdn(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
