"""Outgoing e-mail over SMTP (invitations). One message per connection: invitations
are rare, and no connection is kept open between them."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage


class SmtpMailer:
    """Sends plain-text mail; raises ``OSError`` (``smtplib.SMTPException`` is one)
    when the server cannot be reached or refuses."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        connect: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self._connect = connect

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with self._connect(self.host, self.port, timeout=15) as server:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)
