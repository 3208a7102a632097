"""Email contacts and the email outbox (issue #14).

Claims follow the gateway files' pattern: on PostgreSQL `FOR UPDATE SKIP LOCKED` so workers take
disjoint rows; on SQLite the writing unit of work already holds the lock (BEGIN IMMEDIATE). A
claim sets a lease; an outcome applies only while its claim still holds the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chfw_api.domain.email_notices import EmailContact
from chfw_api.domain.email_outbox import (
    ClaimedEmail,
    ContactFailures,
    EmailAttempt,
    EmailRecord,
    EmailState,
    QueuedEmail,
)
from chfw_api.domain.email_render import Sender
from chfw_api.persistence.tables import EmailContactRow, EmailOutboxRow, PartyRow

C = EmailContactRow
O = EmailOutboxRow  # noqa: E741
PENDING, SENT, DEAD = EmailState.PENDING.value, EmailState.SENT.value, EmailState.DEAD.value


def _contact(row: EmailContactRow, party_code: str) -> EmailContact:
    notices = frozenset(n for n in row.notices.split(",") if n)
    return EmailContact(row.id, row.party_id, party_code, row.address, row.name, notices)


class EmailRepository:
    """`sender`: who the emails come from (configured, like the alerts' originator)."""

    def __init__(self, session: Session, sender: Sender) -> None:
        self._s = session
        self.sender = sender

    # Contacts ----------------------------------------------------------------------------

    def add_contact(
        self, party_id: int, address: str, name: str, notices: Iterable[str], now: datetime
    ) -> int:
        row = C(
            party_id=party_id,
            address=address,
            name=name,
            notices=",".join(sorted(notices)),
            created_at=now,
        )
        self._s.add(row)
        self._s.flush()
        return row.id

    def find_contact(self, party_id: int, address: str) -> int | None:
        return self._s.scalar(select(C.id).where(C.party_id == party_id, C.address == address))

    def update_contact(self, contact_id: int, name: str, notices: Iterable[str]) -> None:
        self._s.execute(
            update(C).where(C.id == contact_id).values(name=name, notices=",".join(sorted(notices)))
        )

    def delete_contact(self, contact_id: int) -> None:
        self._s.execute(update(O).where(O.contact_id == contact_id).values(contact_id=None))
        self._s.execute(delete(C).where(C.id == contact_id))

    def contacts(self, party_ids: Sequence[int] | None = None) -> list[EmailContact]:
        stmt = select(C, PartyRow.code).join(PartyRow, PartyRow.id == C.party_id)
        if party_ids is not None:
            stmt = stmt.where(C.party_id.in_(party_ids))
        rows = self._s.execute(stmt.order_by(PartyRow.code, C.id))
        return [_contact(row, code) for row, code in rows]

    # Outbox ------------------------------------------------------------------------------

    def queue(self, emails: Sequence[QueuedEmail], now: datetime) -> None:
        """Idempotent: a message whose Message-ID is already queued is not queued again."""
        if not emails:
            return
        dialect = postgresql if self._s.connection().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(O).on_conflict_do_nothing(index_elements=["message_id"])
        self._s.execute(
            stmt,
            [
                {
                    "message_id": e.message_id,
                    "code": e.code,
                    "campaign_id": e.campaign_id,
                    "party_id": e.party_id,
                    "contact_id": e.contact_id,
                    "address": e.address,
                    "body": e.body,
                    "state": PENDING,
                    "attempts": 0,
                    "failures": 0,
                    "replays": 0,
                    "due_at": now,
                    "created_at": now,
                }
                for e in emails
            ],
        )

    def claim(
        self, now: datetime, *, limit: int, lease: timedelta, token: str
    ) -> list[ClaimedEmail]:
        """Due, unleased messages, oldest first, leased to `token` until `now + lease`."""
        stmt = (
            select(O.id, O.message_id, O.address, O.body, O.attempts, PartyRow.code, O.contact_id)
            .join(PartyRow, PartyRow.id == O.party_id)
            .where(
                O.state == PENDING,
                O.due_at <= now,
                or_(O.leased_until.is_(None), O.leased_until < now),
            )
            .order_by(O.due_at, O.id)
            .limit(limit)
        )
        if self._s.connection().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=O)
        claimed = [ClaimedEmail(*r) for r in self._s.execute(stmt)]
        if claimed:
            self._s.execute(
                update(O)
                .where(O.id.in_([c.id for c in claimed]))
                .values(leased_until=now + lease, lease_token=token)
            )
        return claimed

    def record(self, attempts: Sequence[EmailAttempt], *, token: str, now: datetime) -> None:
        for a in attempts:
            held = (O.id == a.id, O.lease_token == token, O.state == PENDING)
            common = {"attempts": O.attempts + 1, "leased_until": None, "lease_token": None}
            if a.sent:
                values = {**common, "state": SENT, "sent_at": now, "last_error": None}
            elif a.retry_at is not None:
                values = {**common, "due_at": a.retry_at, "last_error": a.error}
                values["failures"] = O.failures + 1
            else:
                values = {**common, "state": DEAD, "dead_at": now, "last_error": a.error}
                values["failures"] = O.failures + 1
            self._s.execute(update(O).where(*held).values(**values))

    def release(self, ids: Sequence[int], token: str) -> None:
        """Hand claimed but unsent rows back at once (a stopping worker)."""
        if ids:
            self._s.execute(
                update(O)
                .where(O.id.in_(ids), O.lease_token == token)
                .values(leased_until=None, lease_token=None)
            )

    def records(
        self, *, state: EmailState | None = None, party_id: int | None = None, limit: int = 1000
    ) -> list[EmailRecord]:
        stmt = select(
            O.id, O.message_id, O.code, O.campaign_id, PartyRow.code, O.address, O.state,
            O.attempts, O.last_error, O.created_at,
        ).join(PartyRow, PartyRow.id == O.party_id)  # fmt: skip
        if state is not None:
            stmt = stmt.where(O.state == state.value)
        if party_id is not None:
            stmt = stmt.where(O.party_id == party_id)
        rows = self._s.execute(stmt.order_by(O.id).limit(limit))
        return [
            EmailRecord(i, mid, code, cid, party, addr, EmailState(st), att, err, at)
            for i, mid, code, cid, party, addr, st, att, err, at in rows
        ]

    def replay(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Dead letters pending again, due now, with a fresh retry schedule."""
        stmt = update(O).where(O.state == DEAD)
        if ids is not None:
            stmt = stmt.where(O.id.in_(ids))
        result = self._s.execute(
            stmt.values(state=PENDING, attempts=0, due_at=now, dead_at=None, replays=O.replays + 1)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def contact_failures(self) -> list[ContactFailures]:
        dead = func.sum(func.cast(O.state == DEAD, O.attempts.type))
        stmt = (
            select(PartyRow.code, C.address, func.coalesce(func.sum(O.failures), 0), dead)
            .select_from(C)
            .join(PartyRow, PartyRow.id == C.party_id)
            .outerjoin(O, O.contact_id == C.id)
            .group_by(PartyRow.code, C.address)
            .order_by(PartyRow.code, C.address)
        )
        return [
            ContactFailures(p, a, int(f or 0), int(d or 0)) for p, a, f, d in self._s.execute(stmt)
        ]
