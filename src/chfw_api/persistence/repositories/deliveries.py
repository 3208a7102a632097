"""Delivery rows: fan-out from the outbox, claims by workers, outcomes, dead letters, counts.

Claims are fair and safe under any number of workers:
- PostgreSQL: per active endpoint, the oldest due rows (a LATERAL subquery, `FOR UPDATE SKIP
  LOCKED`, so concurrent workers take disjoint rows without waiting), then one UPDATE that
  leases them and RETURNs each row with its alert's stored XML: one round trip.
- SQLite: the writing unit of work holds the database lock (BEGIN IMMEDIATE), so a plain
  SELECT then UPDATE is already exclusive.
The per-endpoint cap is what stops one endpoint's backlog from filling every claim.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    any_,
    bindparam,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from chfw_api.domain.subscriptions import (
    ALL_CODES,
    DeliveryState,
    DueDelivery,
    EndpointStatus,
    Outcome,
    OutcomeKind,
)
from chfw_api.persistence.repositories.dead_letters import DeadLetterQueries
from chfw_api.persistence.tables import (
    AlertRow,
    DeliveryRow,
    UtcDateTime,
    WebhookEndpointCodeRow,
    WebhookEndpointRow,
)

D = DeliveryRow
E = WebhookEndpointRow
PENDING = DeliveryState.PENDING.value
DEAD = DeliveryState.DEAD.value
DELIVERED = DeliveryState.DELIVERED.value
ACTIVE = EndpointStatus.ACTIVE.value


def _in_slices(result: Any, size: int = 100) -> list[tuple[Any, ...]]:
    """All rows, as the driver's tuples, fetched a slice at a time. The worker claims in a
    thread beside its event loop; one driver call building a thousand rows would hold the GIL
    (and stall every request in flight) for milliseconds, while slices let the loop in between
    them. The claim reads only integers and text, so SQLAlchemy's row objects (a few us each,
    on the worker's busiest path) are skipped."""
    cursor = result.cursor
    rows: list[tuple[Any, ...]] = []
    try:
        while part := cursor.fetchmany(size):
            rows += part
    finally:
        result.close()
    return rows


class DeliveryRepository(DeadLetterQueries):
    def __init__(self, session: Session) -> None:
        self._s = session

    @property
    def _dialect(self) -> str:
        return self._s.connection().dialect.name

    def _execute(self, stmt: Any, params: Any = None) -> Any:
        """Core execution on the session's connection: the ORM's per-row bookkeeping (identity
        map, synchronising UPDATEs) costs more than the bulk statements themselves."""
        return self._s.connection().execute(stmt, params)

    def _among(self, ids: Sequence[int]) -> ColumnElement[bool]:
        """`deliveries.id` in `ids` as one bound value (a PostgreSQL array; a JSON array read
        by SQLite's json_each), not thousands of placeholders to render and parse each time."""
        if self._dialect == "postgresql":
            return D.id == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(BigInteger)))
        values = literal_column("value", BigInteger)
        return D.id.in_(select(values).select_from(func.json_each(json.dumps(list(ids)))))

    # ------------------------------------------------------------------ fan-out

    def fan_out(self, first_alert_id: int, last_alert_id: int) -> None:
        """One pending delivery per (alert in the id range, endpoint of its recipient wanting
        its code): one INSERT ... SELECT. Disabled endpoints get theirs too (claims skip them),
        so pausing an endpoint queues its alerts rather than losing them. The range may hold
        other transactions' committed alerts (PostgreSQL sequences interleave); those are
        fanned out already, so conflicts are skipped."""
        c = WebhookEndpointCodeRow
        source = (
            select(
                AlertRow.id,
                E.id,
                literal(PENDING),
                literal(0),
                AlertRow.created_at,
                AlertRow.created_at,
                literal(0),
            )
            .select_from(AlertRow)
            .join(E, E.party_id == AlertRow.recipient_party_id)
            .join(c, c.endpoint_id == E.id)
            .where(
                AlertRow.id.between(first_alert_id, last_alert_id),
                or_(c.code == AlertRow.code, c.code == ALL_CODES),
            )
        )
        columns = ["alert_row_id", "endpoint_id", "state", "attempts", "due_at", "created_at"]
        columns.append("replays")
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = dialect_insert(D).from_select(columns, source)
        self._execute(stmt.on_conflict_do_nothing(index_elements=["alert_row_id", "endpoint_id"]))

    # ------------------------------------------------------------------ claims

    def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        token: str,
        limit: int,
        per_endpoint: int,
        exclude: Sequence[int] = (),
    ) -> list[DueDelivery]:
        """Lease up to `limit` due deliveries to `token`, oldest first, at most `per_endpoint`
        requests' worth from each endpoint (that many rows times its batch size, and never
        more than `limit`: each endpoint's candidates are read in full before the cut)."""
        d2 = aliased(DeliveryRow)
        due = [
            d2.endpoint_id == E.id,
            d2.state == PENDING,
            d2.due_at <= now,
            or_(d2.leased_until.is_(None), d2.leased_until <= now),
        ]
        active: list[ColumnElement[bool]] = [E.status == ACTIVE]
        if exclude:
            active.append(E.id.not_in(exclude))
        columns = (
            D.id,
            D.endpoint_id,
            D.attempts,
            AlertRow.alert_id,
            AlertRow.body,
            AlertRow.traceparent,
        )
        if self._dialect == "postgresql":
            per = (
                select(d2.id, d2.due_at)
                .where(*due)
                .order_by(d2.due_at)
                .limit(func.least(literal_column(str(int(per_endpoint))) * E.batch_size, limit))
                .with_for_update(skip_locked=True)
                .lateral("per")
            )
            picked = (
                select(per.c.id)
                .select_from(E)
                .join(per, true())
                .where(*active)
                .order_by(per.c.due_at)
                .limit(limit)
                .cte("picked")
            )
            rows = _in_slices(
                self._execute(
                    update(D)
                    .where(D.id == picked.c.id, AlertRow.id == D.alert_row_id)
                    .values(leased_until=lease_until, lease_token=token)
                    .returning(*columns)
                )
            )
        else:
            # SQLite cannot take a LIMIT from the outer row: one query per batch size in use.
            rows = []
            sizes = self._s.scalars(select(E.batch_size).where(*active).distinct()).all()
            # Rows of several queries are merged by due time; with one, it is already in order
            # (and 1,000 timestamps need not be parsed).
            merge_by = (D.due_at.label("due"),) if len(sizes) > 1 else ()
            for size in sizes:
                rows_each = min(per_endpoint * size, limit)
                per_ids = select(d2.id).where(*due).order_by(d2.due_at).limit(rows_each)
                rows += _in_slices(
                    self._execute(
                        select(*columns, *merge_by)
                        .select_from(E)
                        .join(D, D.id.in_(per_ids.correlate(E)))
                        .join(AlertRow, AlertRow.id == D.alert_row_id)
                        .where(*active, E.batch_size == size)
                        .order_by(D.due_at)
                        .limit(limit)
                    )
                )
            if len(sizes) > 1:
                rows = sorted(rows, key=lambda r: r[6])[:limit]  # by due time
            if rows:
                self._execute(
                    update(D)
                    .where(self._among([r[0] for r in rows]))
                    .values(leased_until=lease_until, lease_token=token)
                )
        claimed = [DueDelivery(*r[:6]) for r in rows]
        claimed.sort(key=lambda d: d.delivery_id)
        return claimed

    def _latency_ms(self, now: datetime) -> ColumnElement[Any]:
        at = literal(now, UtcDateTime())
        if self._dialect == "postgresql":
            return cast(extract("epoch", at - D.created_at) * 1000, BigInteger)
        return cast((func.julianday(at) - func.julianday(D.created_at)) * 86_400_000, Integer)

    def record(self, outcomes: Sequence[Outcome], *, now: datetime, token: str) -> None:
        """Apply a batch of outcomes. Acknowledgements stick whoever holds the lease; retries,
        dead letters and releases only touch rows this claim (`token`) still holds."""
        by_kind: dict[OutcomeKind, list[Outcome]] = defaultdict(list)
        for o in outcomes:
            by_kind[o.kind].append(o)
        delivered_by_status: dict[int | None, list[int]] = defaultdict(list)
        for o in by_kind[OutcomeKind.DELIVERED]:
            delivered_by_status[o.status].append(o.delivery_id)
        for status, ids in delivered_by_status.items():
            self._execute(
                update(D)
                .where(self._among(ids), D.state == PENDING)
                .values(
                    state=DELIVERED,
                    delivered_at=now,
                    latency_ms=self._latency_ms(now),
                    attempts=D.attempts + 1,
                    last_status=status,
                    last_error=None,
                    leased_until=None,
                    lease_token=None,
                )
            )
        held = [D.id == bindparam("b_id"), D.lease_token == token, D.state == PENDING]
        if retries := by_kind[OutcomeKind.RETRY]:
            self._execute(
                update(D)
                .where(*held)
                .values(
                    attempts=D.attempts + 1,
                    due_at=bindparam("b_due", type_=UtcDateTime()),
                    last_status=bindparam("b_status"),
                    last_error=bindparam("b_error"),
                    leased_until=None,
                    lease_token=None,
                ),
                [
                    {"b_id": o.delivery_id, "b_due": o.due_at, "b_status": o.status}
                    | {"b_error": o.error}
                    for o in retries
                ],
            )
        if dead := by_kind[OutcomeKind.DEAD]:
            self._execute(
                update(D)
                .where(*held)
                .values(
                    state=DEAD,
                    dead_at=now,
                    attempts=D.attempts + 1,
                    last_status=bindparam("b_status"),
                    last_error=bindparam("b_error"),
                    leased_until=None,
                    lease_token=None,
                ),
                [{"b_id": o.delivery_id, "b_status": o.status, "b_error": o.error} for o in dead],
            )
        if released := by_kind[OutcomeKind.RELEASED]:
            self._execute(
                update(D)
                .where(
                    self._among([o.delivery_id for o in released]),
                    D.lease_token == token,
                    D.state == PENDING,
                )
                .values(leased_until=None, lease_token=None)
            )

    def kill_pending(self, endpoint_ids: Sequence[int], *, reason: str, now: datetime) -> int:
        """Dead-letter every pending delivery of endpoints that were just disabled (410)."""
        if not endpoint_ids:
            return 0
        result = self._execute(
            update(D)
            .where(D.endpoint_id.in_(endpoint_ids), D.state == PENDING)
            .values(state=DEAD, dead_at=now, last_error=reason, leased_until=None, lease_token=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)
