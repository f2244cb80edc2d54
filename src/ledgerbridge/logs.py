"""Process logging for the long-running commands (``run``, ``worker``).

Two promises:

* No secret reaches a log line. OAuth codes, states and tokens travel in URLs
  (the callback's query string, token requests); ``RedactSecrets`` rewrites every
  record before any handler formats it: the query string of the OAuth routes in
  uvicorn's access records, and ``code=``, ``state=``, ``refresh_token=``,
  ``access_token=``, ``client_secret=`` values anywhere in a message or its args.
* The console stays short: INFO goes to ``DATA_DIR/ledgerbridge.log``, the console
  gets WARNING and up.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

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


def configure(data_dir: Path, *, console_level: int = logging.WARNING) -> Path:
    """Root logging for a long-running command; returns the log file's path.

    INFO and up to ``data_dir/ledgerbridge.log``, ``console_level`` and up to
    stderr, every record redacted first. Loggers that bring their own handlers
    (uvicorn) are pointed at the root instead: pass ``log_config=None`` to uvicorn.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOG_FILE_NAME
    redactor = RedactSecrets()
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(console_level)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in (file_handler, console):
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(redactor)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate, logger.disabled = True, False
    return path
