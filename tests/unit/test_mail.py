"""The SMTP mailer: STARTTLS, then sign-in when configured, then one message."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, ClassVar, Self

from ledgerbridge.mail import SmtpMailer


class FakeSmtp:
    calls: ClassVar[list[Any]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls.append(("connect", host, port, timeout))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit",))

    def starttls(self) -> None:
        self.calls.append(("starttls",))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user, password))

    def send_message(self, message: EmailMessage) -> None:
        self.calls.append(("send", message["From"], message["To"], message["Subject"]))
        self.calls.append(("body", message.get_content()))


def test_a_message_goes_out_over_starttls_after_signing_in() -> None:
    FakeSmtp.calls = []
    mailer = SmtpMailer(
        "mail.example", 587, "LB <lb@x.example>", username="u", password="p", connect=FakeSmtp
    )
    mailer.send("anna@a.example", "Invitation", "Open the link")
    assert FakeSmtp.calls == [
        ("connect", "mail.example", 587, 15),
        ("starttls",),
        ("login", "u", "p"),
        ("send", "LB <lb@x.example>", "anna@a.example", "Invitation"),
        ("body", "Open the link\n"),
        ("quit",),
    ]


def test_without_credentials_or_tls_it_only_sends() -> None:
    FakeSmtp.calls = []
    SmtpMailer("localhost", 25, "lb@x", starttls=False, connect=FakeSmtp).send("a@b", "s", "b")
    assert [c[0] for c in FakeSmtp.calls] == ["connect", "send", "body", "quit"]
