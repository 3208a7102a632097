"""A loopback SMTP server (aiosmtpd) that keeps what it receives: the demo's suppliers'
mailboxes, and the tests' real server.

Every message is kept in memory (`received`) and, when given a directory, delivered to a
Maildir there (`mailbox.Maildir`) that any mail reader opens. It can be stopped and started again
on the same port, which is how a test shows the outbox loses nothing while the server is down.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from mailbox import Maildir
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self._server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        self._server.keep(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(data)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailServer:
    """`start()`/`stop()` any number of times; the port stays the same."""

    def __init__(
        self,
        *,
        port: int | None = None,
        maildir: Path | None = None,
        tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        """`tls`: offer STARTTLS and require it; `login`: require AUTH with these credentials."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._maildir = Maildir(maildir, create=True) if maildir is not None else None
        self._controller: Controller | None = None
        self._tls = tls
        self._login = login

    def keep(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)
            if self._maildir is not None:
                self._maildir.add(item.data)

    def start(self) -> MailServer:
        if self._controller is None:
            options: dict[str, Any] = {}
            if self._tls is not None:
                options.update(tls_context=self._tls, require_starttls=True)
            if self._login is not None:
                options.update(authenticator=self._authenticate, auth_required=True)
                options.update(auth_require_tls=self._tls is not None)
            self._controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, **options
            )
            self._controller.start()
        return self

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self._login is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self._login
        )
        return AuthResult(success=ok)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def counts(self, header: str) -> Counter[tuple[str, str]]:
        """Messages per (recipient supplier, value of `header`), e.g. X-CHFW-Notice."""
        with self._lock:
            items = list(self.received)
        out: Counter[tuple[str, str]] = Counter()
        for r in items:
            m = r.message
            out[(str(m.get("X-CHFW-Supplier", "")), str(m.get(header, "")))] += 1
        return out
