"""Dead-lettered webhook deliveries: listed and replayed by party, endpoint, time or one by
one. A replay keeps the delivery's alert, so the same alert ID goes out again (X4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from chfw_api.domain.subscriptions import DeadLetter, DeliveryState, EndpointStatus
from chfw_api.persistence.tables import AlertRow, DeliveryRow, PartyRow, WebhookEndpointRow

D = DeliveryRow
E = WebhookEndpointRow
PENDING = DeliveryState.PENDING.value
DEAD = DeliveryState.DEAD.value
ACTIVE = EndpointStatus.ACTIVE.value


class DeadLetterQueries:
    """The dead-letter half of the delivery repository (mixed into `DeliveryRepository`)."""

    def _execute(self, stmt: Any, params: Any = None) -> Any:
        raise NotImplementedError

    def _dead_filter(
        self,
        *,
        party_id: int | None,
        endpoint_id: int | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [D.state == DEAD]
        if endpoint_id is not None:
            where.append(D.endpoint_id == endpoint_id)
        if party_id is not None:
            where.append(D.endpoint_id.in_(select(E.id).where(E.party_id == party_id)))
        if since is not None:
            where.append(D.created_at >= since)
        if until is not None:
            where.append(D.created_at < until)
        return where

    def dead_letters(
        self,
        *,
        party_id: int | None = None,
        endpoint_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int = 0,
        limit: int = 100,
        delivery_id: int | None = None,
    ) -> list[DeadLetter]:
        where = self._dead_filter(
            party_id=party_id, endpoint_id=endpoint_id, since=since, until=until
        )
        where.append(D.id > after)
        if delivery_id is not None:
            where.append(D.id == delivery_id)
        rows = self._execute(
            select(
                D.id,
                D.endpoint_id,
                PartyRow.code,
                AlertRow.alert_id,
                AlertRow.code,
                D.attempts,
                D.last_status,
                D.last_error,
                D.created_at,
                D.dead_at,
                D.replays,
            )
            .join(AlertRow, AlertRow.id == D.alert_row_id)
            .join(E, E.id == D.endpoint_id)
            .join(PartyRow, PartyRow.id == E.party_id)
            .where(*where)
            .order_by(D.id)
            .limit(limit)
        )
        return [DeadLetter(*r) for r in rows]

    def replay(
        self,
        *,
        now: datetime,
        delivery_id: int | None = None,
        party_id: int | None = None,
        endpoint_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Dead deliveries (of active endpoints) become pending again, due now, attempts reset.
        They keep their alert, so the same alert ID goes out."""
        where = self._dead_filter(
            party_id=party_id, endpoint_id=endpoint_id, since=since, until=until
        )
        if delivery_id is not None:
            where.append(D.id == delivery_id)
        where.append(D.endpoint_id.in_(select(E.id).where(E.status == ACTIVE)))
        result = self._execute(
            update(D)
            .where(*where)
            .values(
                state=PENDING,
                attempts=0,
                due_at=now,
                dead_at=None,
                leased_until=None,
                lease_token=None,
                replays=D.replays + 1,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
