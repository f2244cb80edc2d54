"""A company connected to the in-process Exact sandbox through our own services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_DIVISION, DEMO_PASSWORD
from ledgerbridge.bootstrap import Container
from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories.dimensions import DimensionRepository
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.services.dimensions.sync import SyncOutcome, sync_company

K = DimensionKind


@dataclass
class World:
    container: Container
    sandbox: Sandbox
    clock: FakeClock
    company_id: uuid.UUID

    def connect(self) -> None:
        """OAuth through our services, then the demo division."""
        url = self.container.connections.start_connect(self.company_id, "browser-1").authorize_url
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
        answer = self.container.http.post(url, data=form)
        back = parse_qs(urlsplit(answer.headers["location"]).query)
        self.container.connections.complete_connect("browser-1", back["code"][0], back["state"][0])
        self.container.connections.choose_division(self.company_id, DEMO_DIVISION)

    def sync(self, mode: str = "auto") -> SyncOutcome:
        return sync_company(
            self.container.uow,
            self.container.gateway,
            self.container.now,
            self.company_id,
            mode=mode,
        )  # type: ignore[arg-type]

    def held(self) -> dict[tuple[K, str], Dimension]:
        with self.container.uow() as uow:
            found = DimensionRepository(uow.session).all(self.company_id)
            return {(d.kind, d.code): d for d in found}

    def status_of(self, txn: uuid.UUID) -> tuple[str, str | None]:
        with self.container.uow() as uow:
            row = uow.session.get(TransactionRow, txn)
            assert row is not None
            return row.status, row.status_reason
