"""The Exact client a dimension sync uses: calls counted, unusable records collected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactRecordInvalid
from ledgerbridge.exact.http import ExactHttp


class CountingHttp:
    """Counts the GETs an ``ExactApi`` makes (pages included) for the run's call figure."""

    def __init__(self, http: ExactHttp) -> None:
        self._http = http
        self.calls = 0

    def get(self, path: str, params: Mapping[str, object] | None = None) -> dict[str, Any]:
        self.calls += 1
        return self._http.get(path, params)

    def get_url(self, absolute_url: str) -> dict[str, Any]:
        self.calls += 1
        return self._http.get_url(absolute_url)


@dataclass
class SyncClient:
    """An ``ExactApi`` for one sync, with its call count and the records it had to skip."""

    api: ExactApi
    counter: CountingHttp
    invalid: list[ExactRecordInvalid]

    def skipped_lines(self) -> list[str]:
        return [f"Exact record {i.resource} {i.key} skipped: {i.problem}" for i in self.invalid]


def sync_client(http: ExactHttp, division: int) -> SyncClient:
    """Wrap a transport for a sync: calls counted, unusable records collected."""
    counter = CountingHttp(http)
    invalid: list[ExactRecordInvalid] = []
    # ExactApi only pages with get/get_url during a sync; the counter offers exactly those.
    api = ExactApi(cast(ExactHttp, counter), division, on_invalid=invalid.append)
    return SyncClient(api, counter, invalid)
