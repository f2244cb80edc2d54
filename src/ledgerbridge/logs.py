"""Process logging for the long-running commands (``run``, ``worker``).

Two promises:

* No secret reaches a log line. OAuth codes, states and tokens travel in URLs
  (the callback's query string, token requests); ``RedactSecrets`` rewrites every
  record before any handler formats it: the query string of the OAuth routes in
  uvicorn's access records, and ``code=``, ``state=``, ``refresh_token=``,
  ``access_token=``, ``client_secret=`` values anywhere in a message or its args.
* The console stays short: INFO goes to ``DATA_DIR/ledgerbridge.log``, the console
  gets WARNING and up.

Two formats (``LEDGERBRIDGE_LOG_FORMAT``): ``text`` (one readable line a record) and
``json`` (one JSON object a record: ``time``, ``level``, ``logger``, ``message``,
``exc_info`` when there is one, and ``request_id``, ``company``, ``division`` when the
record was written inside a request or a job that knows them). The JSON names only those
fields, never a record's other attributes, and is formatted after the redaction.

The context of a unit of work (a request, a job) lives in a contextvar: the web
middleware and the worker start one (``begin``) and whoever learns the company or the
division says so (``note``); a ``LogContext`` is one mutable object per unit of work, so
what a dependency running in a worker thread notes is seen by the rest of the request.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

REDACTED = "…redacted"
SECRET_KEYS = ("code", "state", "refresh_token", "access_token", "client_secret")
_SECRET_VALUE = re.compile(
    r"(?P<key>\b(?:" + "|".join(SECRET_KEYS) + r"))(?P<sep>=|%3D)(?P<value>[^&\s\"'#,;)]+)",
    re.IGNORECASE,
)
# Paths whose whole query string is OAuth business (codes, states, redirect targets).
OAUTH_PATHS = ("/integrations/exact/callback", "/oauth2/")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE_NAME = "ledgerbridge.log"


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced."""
    text = _redact_oauth_query(text)
    return _SECRET_VALUE.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", text)


def _redact_oauth_query(text: str) -> str:
    for path in OAUTH_PATHS:
        at = text.find(path)
        while at != -1:
            query = text.find("?", at)
            end = _url_end(text, at)
            if query != -1 and query < end:
                text = f"{text[: query + 1]}{REDACTED}{text[end:]}"
            at = text.find(path, at + len(path))
    return text


def _url_end(text: str, start: int) -> int:
    for at in range(start, len(text)):
        if text[at] in " \t\n\"'<>":
            return at
    return len(text)


class RedactSecrets(logging.Filter):
    """Rewrites a record so that no OAuth secret survives formatting.

    The message is rendered (``msg % args``) and redacted as a whole, so a secret is
    caught wherever it sits: in the format string, in an argument (uvicorn's full
    path, httpx's URL object) or in an exception's text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


@dataclass
class LogContext:
    """What the records of one request or job carry (``None``: not known)."""

    request_id: str | None = None
    company: str | None = None
    division: int | None = None


_context: ContextVar[LogContext | None] = ContextVar("ledgerbridge_log_context", default=None)


def begin(
    *, request_id: str | None = None, company: object = None, division: int | None = None
) -> LogContext:
    """Start the log context of a new unit of work (a request, a job) in this context."""
    found = LogContext(request_id, None if company is None else str(company), division)
    _context.set(found)
    return found


def note(*, company: uuid.UUID | str | None = None, division: int | None = None) -> None:
    """The current unit of work learnt its company or division; nothing outside one."""
    found = _context.get()
    if found is None:
        return
    if company is not None:
        found.company = str(company)
    if division is not None:
        found.division = division


def current() -> LogContext | None:
    """The log context of the running request or job, if any."""
    return _context.get()


CONTEXT_FIELDS = ("request_id", "company", "division")


class AddContext(logging.Filter):
    """Stamps a record with the known fields of the current ``LogContext``."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = _context.get()
        if found is not None:
            for name in CONTEXT_FIELDS:
                value = getattr(found, name)
                if value is not None:
                    setattr(record, name, value)
        return True


JSON_FIELDS = ("time", "level", "logger", "message", *CONTEXT_FIELDS, "exc_info", "stack_info")


class JsonLines(JsonFormatter):
    """One JSON object a record with ``JSON_FIELDS`` only (python-json-logger).

    Add it behind ``RedactSecrets`` and ``AddContext``: the message is already redacted
    when it is formatted; an exception is formatted and redacted here again, as the
    library formats ``exc_info`` itself rather than using the redacted ``exc_text``.
    """

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,  # UTF-8 like the text format (Dutch, "…redacted")
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei: Any) -> str:
        text = super().formatException(ei)
        return redact(text if isinstance(text, str) else "\n".join(text))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [k for k in log_data if k not in JSON_FIELDS]:
            del log_data[key]


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter of ``log_format`` (``text``: the readable line)."""
    return JsonLines() if log_format == "json" else logging.Formatter(_FORMAT)


def configure(
    data_dir: Path, *, console_level: int = logging.WARNING, log_format: LogFormat = "text"
) -> Path:
    """Root logging for a long-running command; returns the log file's path.

    INFO and up to ``data_dir/ledgerbridge.log``, ``console_level`` and up to
    stderr, every record redacted first, in ``log_format`` (both handlers). Loggers that
    bring their own handlers (uvicorn) are pointed at the root instead: pass
    ``log_config=None`` to uvicorn.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOG_FILE_NAME
    redactor, context = RedactSecrets(), AddContext()
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(console_level)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in (file_handler, console):
        handler.setFormatter(formatter(log_format))
        handler.addFilter(redactor)
        handler.addFilter(context)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate, logger.disabled = True, False
    return path
