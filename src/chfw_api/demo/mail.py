"""The demo's suppliers' mailboxes (issue #14): a loopback SMTP server the worker sends the
email notices to, written to `<out>/mail/` as a Maildir (open it with `mutt -f var/mail` or any
reader), and the counts per supplier and notice for the summary."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from chfw_api.demo.mailserver import MailServer


def start(out: Path, settings: dict[str, Any]) -> MailServer:
    """A fresh Maildir under `out/mail`, and the worker told to send there."""
    maildir = out / "mail"
    if maildir.exists():
        shutil.rmtree(maildir)
    server = MailServer(maildir=maildir).start()
    settings.update(smtp_host=server.host, smtp_port=server.port)
    return server


def load_contacts(settings: dict[str, Any], parties_json: Path) -> int:
    """Each sample supplier's mailbox, from parties.json (as `chfw parties load` does)."""
    import json

    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.services.email_contacts import load_contacts as load

    c = build(Settings(**settings))
    try:
        return load(c.uow(), c.clock, document=json.loads(parties_json.read_text()))
    finally:
        c.dispose()


def drain(server: MailServer, settings: dict[str, Any], timeout: float = 120.0) -> int:
    """Wait until the worker has sent every queued email and the server has them all; returns
    how many the outbox holds."""
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.domain.email_outbox import EmailState

    c = build(Settings(**settings))
    try:
        deadline = time.monotonic() + timeout
        while True:
            with c.uow(read_only=True) as uow:
                rows = uow.emails.records(limit=100_000)
            pending = sum(r.state is EmailState.PENDING for r in rows)
            if pending == 0 and len(server.received) >= len(rows):
                return len(rows)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{pending} emails still queued after {timeout:.0f}s")
            time.sleep(0.1)
    finally:
        c.dispose()


def counts(server: MailServer, names: dict[str, str]) -> dict[str, dict[str, int]]:
    """Emails received per notice kind and supplier name."""
    out: dict[str, dict[str, int]] = {}
    tally: Counter[tuple[str, str]] = server.counts("X-CHFW-Notice")
    for (supplier, kind), n in sorted(tally.items()):
        out.setdefault(kind, {})[names.get(supplier, supplier)] = n
    return out
