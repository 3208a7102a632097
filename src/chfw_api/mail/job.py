"""The worker's email job: send what the email outbox has due, with the configured SMTP server,
counting each contact's failed attempts for /metrics.

No SMTP host configured: nothing is sent and the emails stay queued (sent once one is set).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from chfw_api.domain.email_outbox import ClaimedEmail
from chfw_api.domain.retry import RetryPolicy
from chfw_api.mail.smtp import SendResult, SmtpSender, sender_from
from chfw_api.observability import metrics
from chfw_api.services.email_delivery import SendReport, send_due_emails

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container

EMAIL_FAILURES = metrics.counter(
    "chfw_email_failures",
    "Failed attempts to send an email notice, per party and contact (its ID in the API).",
    ["party", "contact"],
)
EMAILS_SENT = metrics.counter(
    "chfw_emails_sent", "Email notices the SMTP server accepted, per party.", ["party"]
)
_rng = random.Random()


def counted(sender: SmtpSender) -> Callable[[Sequence[ClaimedEmail]], list[SendResult]]:
    """`sender.send`, counting what each attempt did."""

    def send(emails: Sequence[ClaimedEmail]) -> list[SendResult]:
        results = sender.send(emails)
        for email, result in zip(emails, results, strict=True):
            if result.error is None:
                EMAILS_SENT.labels(party=email.party_code).inc()
            else:
                contact = str(email.contact_id) if email.contact_id is not None else "removed"
                EMAIL_FAILURES.labels(party=email.party_code, contact=contact).inc()
        return results

    return send


def send_emails(c: Container) -> SendReport | None:
    sender = sender_from(c.settings)
    if sender is None:
        return None
    s = c.settings
    return send_due_emails(
        c.uow,
        c.clock,
        counted(sender),
        policy=RetryPolicy(tuple(s.email_retry_schedule), s.email_retry_jitter),
        rng=_rng,
        claim_size=s.email_claim_size,
        lease=timedelta(seconds=max(s.delivery_lease_seconds, 3 * s.smtp_timeout_seconds)),
    )
