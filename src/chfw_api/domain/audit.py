"""The audit trail (X1): who did what, when and why, each entry chained to the one before.

Each entry's hash covers its own content and the previous entry's hash, so altering or
removing any entry but the last breaks every hash after it. `verify_chain` finds the first
break; the persistence layer only appends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """What a use case says happened; the repository gives it a sequence number and hash."""

    at: datetime
    actor: str
    action: str
    subject: str
    reason: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    record: AuditRecord
    prev_hash: str
    hash: str


def canonical(record: AuditRecord) -> str:
    return json.dumps(
        {
            "at": record.at.isoformat(),
            "actor": record.actor,
            "action": record.action,
            "subject": record.subject,
            "reason": record.reason,
            "before": record.before,
            "after": record.after,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def chain_hash(prev_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256((prev_hash + canonical(record)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_break: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    prev = GENESIS
    count = 0
    for entry in entries:
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(count, entry.seq, "does not follow the entry before it")
        if chain_hash(prev, entry.record) != entry.hash:
            return ChainReport(count, entry.seq, "content does not match its hash")
        prev = entry.hash
    return ChainReport(count, None)
