"""No OAuth secret reaches a log line: uvicorn's access records, httpx's request lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledgerbridge import logs

CODE, STATE, REFRESH = "c0de-SECRET-1234", "st4te-SECRET-5678", "r3fresh-SECRET-9abc"
SECRETS = (CODE, STATE, REFRESH, "acc3ss-SECRET", "cl1ent-SECRET")


def formatted(record: logging.LogRecord) -> str:
    """The record as a handler with the redaction filter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactSecrets())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.handle(record)
    return stream.getvalue()


def record(name: str, msg: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def assert_no_secret(line: str) -> None:
    assert line.strip()
    for secret in SECRETS:
        assert secret not in line, line


def test_uvicorn_access_record_of_the_oauth_callback_loses_its_query_string() -> None:
    path = f"/api/v1/integrations/exact/callback?code={CODE}&state={STATE}"
    access = record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50412", "GET", path, "1.1", 200),
    )
    line = formatted(access)
    assert_no_secret(line)
    assert "GET /api/v1/integrations/exact/callback?…redacted HTTP/1.1" in line
    assert "200" in line


def test_uvicorn_access_record_of_the_sandbox_authorize_page_loses_its_query_string() -> None:
    path = f"/sandbox/api/oauth2/auth?client_id=x&redirect_uri=http%3A%2F%2Fh&state={STATE}"
    line = formatted(
        record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("c", "GET", path, "1.1", 200))
    )
    assert_no_secret(line)
    assert "/sandbox/api/oauth2/auth?…redacted" in line


def test_other_access_records_are_left_alone() -> None:
    path = "/api/v1/transactions?limit=50&cursor=abc"
    line = formatted(
        record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("c", "GET", path, "1.1", 200))
    )
    assert path in line


def test_httpx_request_line_with_secrets_in_the_url_is_redacted() -> None:
    url = httpx.URL(
        "https://start.exactonline.nl/api/oauth2/token",
        params={"code": CODE, "refresh_token": REFRESH, "grant_type": "authorization_code"},
    )
    line = formatted(
        record(
            "httpx",
            'HTTP Request: %s %s "%s %d %s"',
            ("POST", url, "HTTP/1.1", 200, "OK"),
        )
    )
    assert_no_secret(line)
    assert "HTTP Request: POST https://start.exactonline.nl/api/oauth2/token?" in line
    assert "200 OK" in line


@pytest.mark.parametrize(
    "message",
    [
        f"refreshing with refresh_token={REFRESH}",
        f"body: grant_type=refresh_token&refresh_token={REFRESH}&client_secret=cl1ent-SECRET",
        f"redirect to https://app.example/cb?state={STATE}&code={CODE}",
        "token answer access_token=acc3ss-SECRET; expires_in=600",
        f"encoded code%3D{CODE}",
    ],
)
def test_secrets_in_any_message_are_redacted(message: str) -> None:
    assert_no_secret(formatted(record("anything", message, ())))
    assert_no_secret(formatted(record("anything", "%s", (message,))))
    assert_no_secret(formatted(record("anything", "%(m)s", ({"m": message},))))


def test_redaction_keeps_the_key_and_marks_the_value() -> None:
    assert logs.redact(f"x?code={CODE}&limit=5") == "x?code=…redacted&limit=5"
    assert (
        logs.redact("no secrets here: encode=1 statement=2")
        == "no secrets here: encode=1 statement=2"
    )


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    uvicorn = {n: logging.getLogger(n) for n in names}
    saved = {n: (lg.handlers[:], lg.propagate, lg.level, lg.disabled) for n, lg in uvicorn.items()}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, (old, propagate, uvicorn_level, disabled) in saved.items():
        uvicorn[name].handlers[:] = old
        uvicorn[name].setLevel(uvicorn_level)
        uvicorn[name].propagate, uvicorn[name].disabled = propagate, disabled


def test_configure_sends_info_to_the_file_and_redacts_it(
    tmp_path: Path, restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # What an earlier uvicorn server in this process may have left (quiet access log).
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    path = logs.configure(tmp_path)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:1",
        "GET",
        f"/api/v1/integrations/exact/callback?code={CODE}&state={STATE}",
        "1.1",
        200,
    )
    logging.getLogger("ledgerbridge.test").warning("token refresh_token=%s", REFRESH)
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = path.read_text()
    assert path == tmp_path / "ledgerbridge.log"
    assert "/integrations/exact/callback?…redacted" in written
    assert_no_secret(written)
    console = capsys.readouterr().err
    assert "callback" not in console  # INFO stays in the file
    assert "refresh_token=…redacted" in console
    assert_no_secret(console)


def test_a_secret_in_an_exception_text_is_redacted() -> None:
    try:
        raise RuntimeError(f"token request failed for https://x/api/oauth2/token?code={CODE}")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = formatted(failed)
    assert "RuntimeError" in line
    assert_no_secret(line)


def json_line(record: logging.LogRecord) -> dict[str, object]:
    """The record as the ``json`` format writes it (redaction and context filters first)."""
    import json

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactSecrets())
    handler.addFilter(logs.AddContext())
    handler.setFormatter(logs.formatter("json"))
    handler.handle(record)
    [line] = stream.getvalue().splitlines()
    found: dict[str, object] = json.loads(line)
    return found


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        (f"refreshing with refresh_token={REFRESH}", ()),
        ("refreshing with %s", (f"grant_type=refresh_token&refresh_token={REFRESH}",)),
        ("token answer %(body)s", ({"body": f"refresh_token={REFRESH}&code={CODE}"},)),
    ],
)
def test_a_json_line_never_carries_a_refresh_token_from_the_message_or_its_args(
    msg: str, args: tuple[object, ...]
) -> None:
    line = json_line(record("ledgerbridge.gateway", msg, args))
    assert_no_secret(str(line))
    assert "refresh_token=…redacted" in str(line["message"])


def test_a_json_line_is_one_object_with_time_level_logger_message_and_nothing_else() -> None:
    found = record("ledgerbridge.jobs", "export run %s: %s", ("r-1", "finished"))
    found.job = {"task_kwargs": {"refresh_token": REFRESH}}  # an extra (procrastinate's)
    line = json_line(found)
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "ledgerbridge.jobs",
        "export run r-1: finished",
    )
    assert str(line["time"]).endswith("+00:00")
    assert_no_secret(str(line))


def test_a_json_line_carries_the_request_id_company_and_division_when_known() -> None:
    import contextvars

    def inside_a_request() -> dict[str, object]:
        logs.begin(request_id="req-1")
        logs.note(company="c0mpany", division=3101010)
        return json_line(record("httpx", "HTTP Request: GET /x", ()))

    line = contextvars.copy_context().run(inside_a_request)
    assert (line["request_id"], line["company"], line["division"]) == ("req-1", "c0mpany", 3101010)
    assert "request_id" not in json_line(record("httpx", "outside any request", ()))


def test_a_secret_in_an_exception_is_redacted_in_a_json_line() -> None:
    import sys

    try:
        raise RuntimeError(f"token call failed: refresh_token={REFRESH}")
    except RuntimeError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json_line(failed)
    assert "RuntimeError" in str(line["exc_info"])
    assert_no_secret(str(line))


def test_configure_with_json_writes_one_json_object_a_line_to_the_file(
    tmp_path: Path, restored_logging: None
) -> None:
    import json

    path = logs.configure(tmp_path, log_format="json")
    logging.getLogger("ledgerbridge.test").info("token refresh_token=%s", REFRESH)
    for handler in logging.getLogger().handlers:
        handler.flush()
    [line] = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["message"] == "token refresh_token=…redacted"
    assert_no_secret(path.read_text())
