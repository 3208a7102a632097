"""An email notice as an RFC 5322 message: a plain-text part and an HTML part saying the same.

Pure: the same notice, contact, sender and time give the same bytes, so the outbox stores the
message once and every attempt, retry and replay sends it unchanged (DKIM, when on, is added as
it goes out). The HTML has no external assets and escapes every value.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from chfw_api.domain.email_notices import EmailContact, EmailNotice, message_id, when


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the emails come from; `domain` also names the Message-IDs."""

    address: str
    name: str = "DCC Communications Hub firmware"

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def render_email(
    notice: EmailNotice, contact: EmailContact, sender: Sender, *, sent_at: datetime
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(sender.name, addr_spec=sender.address)
    msg["To"] = Address(contact.name, addr_spec=contact.address)
    msg["Subject"] = notice.subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id(notice.key, contact.address, sender.domain)
    msg["X-CHFW-Notice"] = notice.code
    msg["X-CHFW-Supplier"] = notice.recipient.user_id
    msg.set_content(plain_text(notice))
    msg.add_alternative(html_body(notice), subtype="html")
    return msg


def _steps(notice: EmailNotice) -> list[tuple[str, str | None]]:
    return [(s.what, when(s.by) if s.by is not None else None) for s in notice.next_steps]


def plain_text(notice: EmailNotice) -> str:
    width = max(len(k) for k, _ in notice.facts)
    lines = [f"To {notice.recipient.name} ({notice.recipient.user_id})", "", notice.subject, ""]
    lines += [f"{k + ':':<{width + 1}} {v}" for k, v in notice.facts]
    if notice.commentary:
        lines += ["", "Commentary:", notice.commentary]
    lines += ["", "What to do next:"]
    lines += [f"- {what}" + (f" By {by}." if by else "") for what, by in _steps(notice)]
    lines += ["", "This email mirrors DCC Alert " + notice.code + ". Reply is not monitored."]
    return "\n".join(lines) + "\n"


def html_body(notice: EmailNotice) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in notice.facts)
    steps = "".join(
        f"<li>{e(what)}" + (f" <strong>By {e(by)}.</strong>" if by else "") + "</li>"
        for what, by in _steps(notice)
    )
    commentary = f"<h2>Commentary</h2><p>{e(notice.commentary)}</p>" if notice.commentary else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(notice.subject)}</title></head><body>"
        f"<p>To {e(notice.recipient.name)} ({e(notice.recipient.user_id)})</p>"
        f"<h1>{e(notice.subject)}</h1>"
        f'<table style="border-collapse:collapse;text-align:left">{rows}</table>'
        f"{commentary}<h2>What to do next</h2><ul>{steps}</ul>"
        f"<p>This email mirrors DCC Alert {e(notice.code)}. Reply is not monitored.</p>"
        "</body></html>\n"
    )
