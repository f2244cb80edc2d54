"""Prometheus metrics (``prometheus_client``): what this process counted, and what every
process shares.

Counted in the process that did the work (the default registry):

- ``ledgerbridge_exports_total{outcome}`` — ``exported``, or ``failed_<class>`` by failure
  class (transient, person, auth, internal): from the audit rows the export commits
  (``export.exported``, ``export.failed.<class>``), told by the unit of work
  (``count_audited``);
- ``ledgerbridge_exact_calls_total{endpoint,status}`` — ``exact.metrics``;
- ``ledgerbridge_job_duration_seconds{task}`` — observed around every job a worker of
  this process runs (``jobs.app``);
- ``ledgerbridge_stalled_jobs_total{outcome}`` — jobs of a silent worker that
  ``jobs.retry_stalled`` in this process put back in the queue (``retried``) or dropped
  for an identical waiting one (``aborted``).

Read from the database at scrape time, so every node reports the same shared truth
(``SharedGauges``, cached ``ttl`` seconds):

- ``ledgerbridge_exact_budget_remaining{division,window}`` — calls left this ``minute`` /
  ``day`` per division (``exact_rate_budgets``; a window whose reset has passed shows its
  full limit);
- ``ledgerbridge_job_queue_depth{queue,status}`` — jobs ``todo`` (waiting) and ``doing``;
- ``ledgerbridge_oldest_waiting_job_seconds`` — how long the longest-waiting due job has
  waited (0: none waits).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ledgerbridge.db.repositories.calls import DivisionBudget
from ledgerbridge.db.repositories.job_queue import RUNNING, WAITING
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.export_failure import FailureClass

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
EXPORTED = "exported"
DEFAULT_QUEUE = "default"

EXPORTS = Counter(
    "ledgerbridge_exports",
    "Transactions exported to Exact Online ('exported'), or failed by failure class "
    "('failed_transient', 'failed_person', 'failed_auth', 'failed_internal').",
    ["outcome"],
)
for _outcome in [EXPORTED, *(f"failed_{c.value}" for c in FailureClass)]:
    EXPORTS.labels(_outcome)  # every outcome is exposed from the start, at 0

JOB_DURATION = Histogram(
    "ledgerbridge_job_duration_seconds",
    "How long a job ran in a worker of this process, by task (failed runs included).",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)

STALLED_JOBS = Counter(
    "ledgerbridge_stalled_jobs",
    "Jobs of a worker that stopped sending heartbeats, put back in the queue ('retried') "
    "or dropped because an identical job was already waiting ('aborted').",
    ["outcome"],
)
for _outcome in ("retried", "aborted"):
    STALLED_JOBS.labels(_outcome)


def count_audited(actions: Sequence[str]) -> None:
    """Count the exports among the actions of a committed unit of work's audit rows."""
    for action in actions:
        if action == "export.exported":
            EXPORTS.labels(EXPORTED).inc()
        elif action.startswith("export.failed."):
            EXPORTS.labels(f"failed_{action.removeprefix('export.failed.')}").inc()


def _left(limit: int, remaining: int, reset: datetime | None, now: datetime) -> int:
    return limit if reset is None or now >= reset else remaining


def budget_family(budgets: Iterable[DivisionBudget], now: datetime) -> GaugeMetricFamily:
    """Calls left per division and window; of two apps on one division, the one that
    called last (an app replaced in the settings leaves its old rows behind)."""
    latest: dict[int, DivisionBudget] = {}
    for budget in budgets:
        kept = latest.get(budget.division)
        if kept is None or budget.updated_at > kept.updated_at:
            latest[budget.division] = budget
    family = GaugeMetricFamily(
        "ledgerbridge_exact_budget_remaining",
        "Exact Online calls left per division in this minute and this UTC day, as stored "
        "for every node (Exact's headers merged with the slots taken).",
        labels=["division", "window"],
    )
    for division, b in sorted(latest.items()):
        minute = _left(b.minute_limit, b.minute_remaining, b.minute_reset_at, now)
        day = _left(b.day_limit, b.day_remaining, b.day_reset_at, now)
        family.add_metric([str(division), "minute"], minute)
        family.add_metric([str(division), "day"], day)
    return family


class SharedGauges(Collector):
    """The gauges every node reads from the database at scrape time (module docstring).

    Cached ``ttl`` seconds (``monotonic`` clock), so frequent scrapes of many nodes cost
    the database little; when the database does not answer, nothing is reported (and a
    warning logged) rather than a failed scrape.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        now: Callable[[], datetime],
        *,
        ttl: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow, self._now, self._ttl, self._monotonic = uow, now, ttl, monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            at = self._monotonic()
            if self._cached is None or at - self._cached[0] >= self._ttl:
                try:
                    self._cached = (at, self._read())
                except Exception:
                    log.warning("metrics: the shared gauges could not be read", exc_info=True)
                    return []
            return list(self._cached[1])

    def _read(self) -> list[Metric]:
        now = self._now()
        with self._uow() as uow:
            budgets = uow.calls.rate_budgets()
            depth = uow.job_queue.depth()
            since = uow.job_queue.oldest_waiting_since(now)
        queue = GaugeMetricFamily(
            "ledgerbridge_job_queue_depth",
            "Jobs waiting (todo) and running (doing) per queue, across every worker.",
            labels=["queue", "status"],
        )
        counts = {(DEFAULT_QUEUE, WAITING): 0, (DEFAULT_QUEUE, RUNNING): 0}
        counts.update({(d.queue, d.status): d.jobs for d in depth})
        for (name, status), jobs in sorted(counts.items()):
            queue.add_metric([name, status], jobs)
        oldest = GaugeMetricFamily(
            "ledgerbridge_oldest_waiting_job_seconds",
            "Seconds the longest-waiting due job has waited (0: none waits).",
            value=0.0 if since is None else max((now - since).total_seconds(), 0.0),
        )
        return [budget_family(budgets, now), queue, oldest]


class Metrics:
    """What ``GET /metrics`` answers: this process's counters plus the shared gauges.

    ``token``: the scrape needs ``Authorization: Bearer <token>`` (``None``: anyone).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        now: Callable[[], datetime],
        *,
        token: str | None = None,
        ttl: float = 5.0,
    ) -> None:
        self.token = token or None
        self._shared = CollectorRegistry(auto_describe=False)
        self._shared.register(SharedGauges(uow, now, ttl=ttl))

    def allows(self, authorization: str | None) -> bool:
        """Whether a scrape with this ``Authorization`` header may read the metrics."""
        if self.token is None:
            return True
        scheme, _, sent = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            sent.strip().encode(), self.token.encode()
        )

    def exposition(self) -> bytes:
        """The text exposition format (``CONTENT_TYPE``)."""
        return generate_latest(REGISTRY) + generate_latest(self._shared)


REFUSED = b"send the metrics token as 'Authorization: Bearer <token>'\n"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
        pass


def serve(metrics: Metrics, host: str, port: int) -> Callable[[], None]:
    """Serve ``GET /metrics`` on ``host:port`` in a daemon thread (``ledgerbridge worker``,
    which has no web app); returns the function that stops it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"GET /metrics\n"]
        if not metrics.allows(environ.get("HTTP_AUTHORIZATION")):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
            )
            return [REFUSED]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [metrics.exposition()]

    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop
