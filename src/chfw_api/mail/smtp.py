"""Sending queued emails over SMTP with the standard library's `smtplib`, optionally STARTTLS
and authentication, DKIM-signing each message as it goes out when a key is configured.

One connection per batch. A failure to connect, to start TLS or to log in fails the whole batch
(the server is not taking mail now: every message waits for its retry); a refusal of one message
fails that message only, and a permanent one (5xx) makes it a dead letter at once.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chfw_api.config import Settings
from chfw_api.domain.email_outbox import ClaimedEmail
from chfw_api.mail.dkim import DkimSigner


@dataclass(frozen=True, slots=True)
class SendResult:
    id: int
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: Path | None = None


class SmtpSender:
    """Sends claimed messages as stored, DKIM-signed first when a key is configured."""

    def __init__(self, config: SmtpConfig, *, sender: str, dkim: DkimSigner | None = None) -> None:
        self._config = config
        self._envelope_from = sender
        self._dkim = dkim

    def message(self, body: bytes) -> bytes:
        """The bytes as sent: the stored message, DKIM-signed if configured."""
        return self._dkim.sign(body) if self._dkim is not None else body

    def send(self, emails: Sequence[ClaimedEmail]) -> list[SendResult]:
        c = self._config
        try:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        except OSError as exc:
            return _all_failed(emails, f"cannot connect to {c.host}:{c.port}: {exc}")
        try:
            with smtp:
                smtp.ehlo()
                if c.starttls:
                    context = ssl.create_default_context(
                        cafile=str(c.ca_file) if c.ca_file else None
                    )
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if c.username is not None:
                    smtp.login(c.username, c.password or "")
                return [self._one(smtp, e) for e in emails]
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            return _all_failed(emails, f"SMTP session with {c.host}:{c.port} failed: {exc}")

    def _one(self, smtp: smtplib.SMTP, email: ClaimedEmail) -> SendResult:
        try:
            smtp.sendmail(self._envelope_from, [email.address], self.message(email.body))
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return SendResult(email.id, f"recipient refused: {code} {text!r}", code >= 500)
        except smtplib.SMTPResponseException as exc:
            error = f"refused: {exc.smtp_code} {exc.smtp_error!r}"
            return SendResult(email.id, error, exc.smtp_code >= 500)
        return SendResult(email.id)


def _all_failed(emails: Sequence[ClaimedEmail], error: str) -> list[SendResult]:
    return [SendResult(e.id, error) for e in emails]


def sender_from(settings: Settings) -> SmtpSender | None:
    """The configured sender, or None when no SMTP host is set (emails stay queued)."""
    if settings.smtp_host is None:
        return None
    config = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout_seconds,
        ca_file=settings.smtp_tls_ca_file,
    )
    dkim = None
    if settings.dkim_key_file is not None:
        domain = settings.dkim_domain or settings.email_from.rpartition("@")[2]
        dkim = DkimSigner.from_file(settings.dkim_key_file, settings.dkim_selector, domain)
    return SmtpSender(config, sender=settings.email_from, dkim=dkim)
