"""The audit trail: appended under a lock so the hash chain never forks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from chfw_api.domain.audit import GENESIS, AuditEntry, AuditRecord, chain_hash
from chfw_api.persistence.tables import AuditRow

_AUDIT_LOCK = 0x63686677  # "chfw": the advisory lock key that serialises appends on PostgreSQL


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-native copy, so the hash computed now equals the one recomputed from storage."""
    return None if value is None else json.loads(json.dumps(value, default=str))


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def append(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        conn = self._s.connection()
        if conn.dialect.name == "postgresql":
            # Held to commit: concurrent appenders queue here rather than forking the chain.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})
        # SQLite: the writing unit of work already holds the database write lock.
        prev = self._s.scalar(select(AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1))
        prev = prev or GENESIS
        rows = []
        for record in records:
            plain = AuditRecord(
                at=record.at,
                actor=record.actor,
                action=record.action,
                subject=record.subject,
                reason=record.reason,
                before=_plain(record.before),
                after=_plain(record.after),
            )
            digest = chain_hash(prev, plain)
            rows.append(
                {
                    "at": plain.at,
                    "actor": plain.actor,
                    "action": plain.action,
                    "subject": plain.subject,
                    "reason": plain.reason,
                    "before": plain.before,
                    "after": plain.after,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        self._s.execute(insert(AuditRow), rows)

    def entries(self, *, subject: str | None = None, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in order, fetched in keyset batches (constant memory for `verify`)."""
        after = 0
        while True:
            stmt = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(batch)
            if subject is not None:
                stmt = stmt.where(AuditRow.subject == subject)
            rows = list(self._s.scalars(stmt))
            if not rows:
                return
            for row in rows:
                yield AuditEntry(
                    seq=row.seq,
                    record=AuditRecord(
                        at=row.at,
                        actor=row.actor,
                        action=row.action,
                        subject=row.subject,
                        reason=row.reason,
                        before=row.before,
                        after=row.after,
                    ),
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                )
            after = rows[-1].seq
            self._s.expunge_all()
