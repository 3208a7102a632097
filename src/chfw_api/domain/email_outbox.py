"""What the email outbox holds and hands out: values shared by the use cases and the store."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class EmailState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """A rendered message owed to one address, before the outbox stores it."""

    message_id: str
    code: str
    campaign_id: str | None
    party_id: int
    contact_id: int | None
    address: str
    body: bytes


@dataclass(frozen=True, slots=True)
class ClaimedEmail:
    """A due message leased to one worker: `attempts` is how many were made before this one."""

    id: int
    message_id: str
    address: str
    body: bytes
    attempts: int
    party_code: str = ""
    contact_id: int | None = None


@dataclass(frozen=True, slots=True)
class EmailAttempt:
    """The recorded result of one attempt: sent, or failed with the next try (None: dead)."""

    id: int
    error: str | None = None
    retry_at: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class EmailRecord:
    """One outbox row as DCC reads it (dead letters, the demo's summary)."""

    id: int
    message_id: str
    code: str
    campaign_id: str | None
    party_code: str
    address: str
    state: EmailState
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactFailures:
    """Failed attempts to one contact's address, for /metrics."""

    party_code: str
    address: str
    failures: int
    dead: int
