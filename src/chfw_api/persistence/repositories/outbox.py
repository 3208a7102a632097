"""The transactional outbox: alerts are rendered and stored in the caller's transaction.

IDs are allocated up front (`persistence.ids`) so each alert can be rendered with its final DUIS
ResponseID (`DCC User ID:recipient:counter`, the counter being the row id) before the one bulk
insert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from chfw_api.domain.alerts import AlertEnvelope, PendingAlert, make_alert_id
from chfw_api.observability.metrics import ALERTS_QUEUED
from chfw_api.observability.tracing import current_traceparent
from chfw_api.persistence.driver import copy_rows, db_datetime, placeholder
from chfw_api.persistence.ids import next_ids
from chfw_api.persistence.repositories.deliveries import DeliveryRepository
from chfw_api.persistence.tables import AlertRow

AlertRenderer = Callable[[AlertEnvelope], bytes]


class OutboxRepository:
    def __init__(self, session: Session, *, render: AlertRenderer, originator: str) -> None:
        self._s = session
        self._render = render
        self._originator = originator

    def add(self, alerts: Sequence[PendingAlert], *, now: datetime) -> list[str]:
        """Store `alerts`, then fan them out to webhook deliveries: two named steps in the
        caller's transaction (called by `services.alert_outbox`, the alert handler). Returns
        the alert IDs in order."""
        if not alerts:
            return []
        first, last, alert_ids = self.store(alerts, now=now)
        self.fan_out(first, last)
        return alert_ids

    def store(self, alerts: Sequence[PendingAlert], *, now: datetime) -> tuple[int, int, list[str]]:
        """Render each alert through the `AlertRenderer` port bootstrap wires, insert them in
        one bulk write; returns the first and last row ids and the alert IDs in order."""
        ids = next_ids(self._s, AlertRow.id, len(alerts))
        conn = self._s.connection()
        rows, alert_ids = self._rendered(ids, alerts, db_datetime(conn, now), now)
        self._insert(conn, rows)
        # Counted as stored; a transaction that then rolls back has counted them too (rare:
        # refusals are decided before any alert is queued).
        for code, n in Counter(row[2] for row in rows).items():
            ALERTS_QUEUED.labels(code=code).inc(n)
        return ids[0], ids[-1], alert_ids

    def _rendered(
        self, ids: Sequence[int], alerts: Sequence[PendingAlert], created: object, now: datetime
    ) -> tuple[list[tuple[object, ...]], list[str]]:
        rows: list[tuple[object, ...]] = []
        alert_ids = []
        trace = current_traceparent()  # the Service Request's span, for the delivery's (#15)
        for row_id, pending in zip(ids, alerts, strict=True):
            alert_id = make_alert_id(self._originator, pending.recipient, row_id)
            envelope = AlertEnvelope.of(
                alert_id,
                pending.recipient,
                now,
                pending.message,
                code=pending.code,
                request_id=pending.request_id,
            )
            rows.append(
                (
                    row_id,
                    alert_id,
                    envelope.code,
                    pending.recipient_party_id,
                    pending.campaign_id,
                    created,
                    self._render(envelope).decode(),
                    trace,
                )
            )
            alert_ids.append(alert_id)
        return rows, alert_ids

    def _insert(self, conn: Connection, rows: list[tuple[object, ...]]) -> None:
        # Through the driver (per-hub alerts come 50,000 at a time): COPY on PostgreSQL,
        # executemany on SQLite.
        columns = (
            "id, alert_id, code, recipient_party_id, campaign_id, created_at, body, traceparent"
        )
        if conn.dialect.name == "postgresql":
            copy_rows(conn, f"alerts ({columns})", rows)
        else:
            mark = placeholder(conn)
            conn.exec_driver_sql(
                f"INSERT INTO alerts ({columns}) VALUES ({', '.join([mark] * 8)})", rows
            )

    def fan_out(self, first_id: int, last_id: int) -> None:
        """Fan out to webhook deliveries (rows first_id..last_id were just stored), in the same
        transaction, so an alert is never stored without its deliveries (X4)."""
        DeliveryRepository(self._s).fan_out(first_id, last_id)

    def count(self, *, code: str | None = None, campaign_id: str | None = None) -> int:
        stmt = select(func.count()).select_from(AlertRow)
        if code is not None:
            stmt = stmt.where(AlertRow.code == code)
        if campaign_id is not None:
            stmt = stmt.where(AlertRow.campaign_id == campaign_id)
        return int(self._s.scalar(stmt) or 0)

    def bodies(self, *, campaign_id: str | None = None, limit: int = 1000) -> list[tuple[str, str]]:
        """(code, XML) of stored alerts, oldest first; for the DCC views and tests."""
        stmt = select(AlertRow.code, AlertRow.body).order_by(AlertRow.id).limit(limit)
        if campaign_id is not None:
            stmt = stmt.where(AlertRow.campaign_id == campaign_id)
        return [(c, b) for c, b in self._s.execute(stmt)]
