"""Serve the sandbox alone over real HTTP(S) (uvicorn).

``serve(host, port, sandbox, tls)`` blocks (the ``exact-sandbox`` command, which
serves a ``persisted_sandbox`` or a ``memory_sandbox`` and prints ``describe()``);
``running(sandbox)`` starts it on a free port in a background thread and yields
its base URL (tests, benchmarks). A served sandbox posts pending webhooks every
``sandbox.webhooks.interval`` seconds (``webhooks.delivery_loop``; ``running`` only when asked,
so tests deliver with ``SandboxControl.deliver_webhooks``). Both serve HTTPS when
given ``tls`` (``tls.py``:
a local CA and certificate generated once into the data directory). ``drop_guard``
makes injected connection faults real transport failures: once a fault marked the
request, nothing the app still sends (such as a 500 page) leaves the server; the
response headers go out with a Content-Length and the socket closes before the body.
"""

from __future__ import annotations

import contextlib
import json
import socket
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exact_sandbox.faults import DROP_MARK, DROP_STATUS_MARK, ConnectionDropped
from exact_sandbox.tls import TlsFiles, tls_files

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

LARGE_DIVISION = 3109999  # the generated benchmark division of ``exact-sandbox --accounts``
TOKEN_FILE = "sandbox-tokens.json"  # in the data directory of a persisted sandbox

_BROKEN_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
}


class ShiftedClock:
    """Wall time plus an offset that only grows: a served sandbox whose clock the control
    API can move forward (``POST /_sandbox/clock``) while it keeps ticking. Thread-safe.

    With ``path`` the offset is kept in that file, so a restarted sandbox does not go
    back in time (tokens issued "in the future" would otherwise live too long).
    """

    def __init__(self, path: Path | None = None) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._path = path
        if path is not None and path.exists():
            self._offset = timedelta(seconds=float(json.loads(path.read_text())["offset"]))

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("the clock does not go backwards")
        with self._lock:
            self._offset += step
            if self._path is not None:
                offset = {"offset": self._offset.total_seconds()}
                self._path.write_text(json.dumps(offset))
        return self.now()

    def set(self, instant: datetime) -> None:
        self.advance(instant - self.now())


def drop_guard(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app so ``ConnectionDropped`` breaks the connection instead of answering."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if DROP_MARK in scope:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, guarded_send)
        except ConnectionDropped:
            if not started:
                # The status line of the write that happened (DroppedResponse), else 200.
                await send({**_BROKEN_START, "status": scope.get(DROP_STATUS_MARK, 200)})
            # Returning with an incomplete response makes uvicorn close the socket.

    return guarded


def sandbox_asgi(sandbox: Sandbox) -> ASGIApp:
    """The sandbox's ASGI app as served on its own (with the drop guard)."""
    from exact_sandbox.app import create_sandbox_app

    return drop_guard(create_sandbox_app(sandbox))


def serve(host: str, port: int, sandbox: Sandbox, tls: TlsFiles | None = None) -> None:
    """Serve ``sandbox`` on ``host:port`` until interrupted; over HTTPS with ``tls``;
    pending webhooks are posted every ``sandbox.webhooks.interval`` seconds."""
    from exact_sandbox.webhooks import delivery_loop

    with delivery_loop(sandbox.webhooks, sandbox.webhooks.interval):
        uvicorn.run(
            sandbox_asgi(sandbox),
            host=host,
            port=port,
            log_level="info",
            ssl_certfile=tls.cert_file if tls else None,
            ssl_keyfile=tls.key_file if tls else None,
        )


def base_url(host: str, port: int, tls: TlsFiles | None = None) -> str:
    """``http://host:port``, or ``https://…`` when served with ``tls``."""
    return f"{'https' if tls else 'http'}://{host}:{port}"


def memory_sandbox(*, accounts: int = 0, suppliers: int = 0, projects: int = 0) -> Sandbox:
    """A demo sandbox on a ``ShiftedClock`` that keeps everything in memory (lost on exit).

    ``accounts``, ``suppliers``, ``projects`` as for ``persisted_sandbox``.
    """
    from exact_sandbox.core import Sandbox

    sandbox = Sandbox(ShiftedClock())
    _seed_large(sandbox, accounts, suppliers, projects)
    return sandbox


def persisted_sandbox(
    persist_url: str,
    token_file: Path,
    *,
    fresh: bool = False,
    accounts: int = 0,
    suppliers: int = 0,
    projects: int = 0,
) -> Sandbox:
    """A sandbox on a ``ShiftedClock``; data in ``persist_url`` (schema ``exact_sandbox``,
    created or migrated first), tokens in ``token_file``,
    the clock's shift beside it (``<token_file stem>-clock.json``).

    Persisted data and tokens are reused unless ``fresh`` (then discarded and the
    demo seeded again). With any of ``accounts``, ``suppliers``, ``projects`` the
    division ``LARGE_DIVISION`` is (re)generated, deterministically, for benchmarks.
    """
    from exact_sandbox.core import Sandbox

    clock_file = token_file.with_name(f"{token_file.stem}-clock.json")
    if fresh:
        clock_file.unlink(missing_ok=True)
    sandbox = Sandbox(ShiftedClock(clock_file), persist_url=persist_url)
    if fresh:
        sandbox.reset("demo")
        token_file.unlink(missing_ok=True)
    sandbox.auth.persist_to(token_file)
    _seed_large(sandbox, accounts, suppliers, projects)
    return sandbox


def _seed_large(sandbox: Sandbox, accounts: int, suppliers: int, projects: int) -> None:
    from exact_sandbox.seed import seed_large_division

    if accounts or suppliers or projects:
        seed_large_division(
            sandbox, LARGE_DIVISION, gl_accounts=accounts, suppliers=suppliers, projects=projects
        )


def describe(sandbox: Sandbox, base_url: str) -> list[str]:
    """What a newcomer needs to point a client at the sandbox, one line each."""
    lines = [
        f"Exact Online sandbox at {base_url}",
        f"  authorize  {base_url}/api/oauth2/auth    token  {base_url}/api/oauth2/token",
        f"  REST       {base_url}/api/v1/{{division}}/…   control  {base_url}/_sandbox/state",
    ]
    for app in sandbox.apps.values():
        lines.append(f"  app {app.name!r}: client id {app.client_id}  secret {app.client_secret}")
        if app.webhook_secret:
            lines.append(f"    webhook secret {app.webhook_secret}")
        lines.extend(f"    redirect URI {uri}" for uri in app.redirect_uris)
    for user in sandbox.users.values():
        divisions = ", ".join(str(d) for d in user.divisions)
        lines.append(
            f"  user {user.username} / {user.password} ({user.language}), divisions {divisions}"
        )
    return lines


class BaseUrl(str):
    """The base URL ``running`` yields; ``ca_file`` is the CA to trust when it is HTTPS."""

    ca_file: Path | None = None


@contextlib.contextmanager
def running(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    *,
    tls: bool = False,
    data_dir: Path | None = None,
    webhook_interval: float | None = None,
) -> Iterator[BaseUrl]:
    """Serve ``sandbox`` on a free port in a thread; yields ``http://host:port``; stops on exit.

    With ``tls`` it is ``https://…`` and the yielded URL's ``ca_file`` names the CA to
    trust; the certificates live in ``data_dir`` (default: a temporary directory).
    With ``webhook_interval`` pending webhooks are posted that often (seconds).
    """
    from exact_sandbox.webhooks import delivery_loop

    with contextlib.ExitStack() as stack:
        if webhook_interval is not None:
            stack.enter_context(delivery_loop(sandbox.webhooks, webhook_interval))
        files = None
        if tls:
            where = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            files = tls_files(where)
        yield stack.enter_context(_serving(sandbox, host, files))


@contextlib.contextmanager
def _serving(sandbox: Sandbox, host: str, tls: TlsFiles | None) -> Iterator[BaseUrl]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    config = uvicorn.Config(
        sandbox_asgi(sandbox),
        log_level="critical",
        lifespan="off",
        timeout_graceful_shutdown=1,
        ssl_certfile=tls.cert_file if tls else None,
        ssl_keyfile=tls.key_file if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        url = BaseUrl(base_url(host, sock.getsockname()[1], tls))
        url.ca_file = tls.ca_file if tls else None
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    started = threading.Event()
    for _ in range(500):
        if server.started or not thread.is_alive():
            break
        started.wait(0.01)
    if not server.started:
        raise RuntimeError("the sandbox server did not start")
