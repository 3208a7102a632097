"""Webhook endpoints (the alert codes each wants, their signing secrets, their delivery
counts) and the pull feed: the two ways a Service User subscribes to its alerts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chfw_api.domain.subscriptions import (
    LATENCY_BUCKETS_MS,
    DeliveryState,
    Endpoint,
    EndpointStats,
    EndpointStatus,
    EndpointTarget,
    FeedItem,
)
from chfw_api.persistence.tables import (
    AlertRow,
    DeliveryRow,
    FeedCursorRow,
    PartyRow,
    WebhookEndpointCodeRow,
    WebhookEndpointRow,
)

D = DeliveryRow
E = WebhookEndpointRow
PENDING = DeliveryState.PENDING.value
DELIVERED = DeliveryState.DELIVERED.value
DEAD = DeliveryState.DEAD.value


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _codes(self, endpoint_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = {i: [] for i in endpoint_ids}
        if endpoint_ids:
            rows = self._s.execute(
                select(WebhookEndpointCodeRow.endpoint_id, WebhookEndpointCodeRow.code)
                .where(WebhookEndpointCodeRow.endpoint_id.in_(endpoint_ids))
                .order_by(WebhookEndpointCodeRow.code)
            )
            for endpoint_id, code in rows:
                found[endpoint_id].append(code)
        return {i: tuple(c) for i, c in found.items()}

    def _endpoints(self, where: Iterable[object]) -> list[Endpoint]:
        stmt = (
            select(WebhookEndpointRow, PartyRow.code)
            .join(PartyRow, PartyRow.id == WebhookEndpointRow.party_id)
            .where(*where)  # type: ignore[arg-type]
            .order_by(WebhookEndpointRow.id)
        )
        rows = self._s.execute(stmt).all()
        codes = self._codes([r.id for r, _ in rows])
        return [
            Endpoint(
                id=r.id,
                party_id=r.party_id,
                party_code=party_code,
                url=r.url,
                codes=codes[r.id],
                batch_size=r.batch_size,
                status=EndpointStatus(r.status),
                description=r.description,
                disabled_reason=r.disabled_reason,
                created_at=r.created_at,
                updated_at=r.updated_at,
                previous_secret_expires_at=r.previous_secret_expires_at,
            )
            for r, party_code in rows
        ]

    def add(
        self,
        *,
        party_id: int,
        url: str,
        codes: Sequence[str],
        batch_size: int,
        description: str,
        secret: str,
        now: datetime,
    ) -> Endpoint:
        row = WebhookEndpointRow(
            party_id=party_id,
            url=url,
            description=description,
            batch_size=batch_size,
            status=EndpointStatus.ACTIVE.value,
            secret=secret,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        self._s.flush()
        self._set_codes(row.id, codes)
        return self._endpoints([WebhookEndpointRow.id == row.id])[0]

    def _set_codes(self, endpoint_id: int, codes: Sequence[str]) -> None:
        self._s.execute(
            delete(WebhookEndpointCodeRow).where(WebhookEndpointCodeRow.endpoint_id == endpoint_id)
        )
        self._s.execute(
            insert(WebhookEndpointCodeRow), [{"endpoint_id": endpoint_id, "code": c} for c in codes]
        )

    def get(self, endpoint_id: int) -> Endpoint | None:
        found = self._endpoints([WebhookEndpointRow.id == endpoint_id])
        return found[0] if found else None

    def list_all(self, *, party_id: int | None = None) -> list[Endpoint]:
        where = [] if party_id is None else [WebhookEndpointRow.party_id == party_id]
        return self._endpoints(where)

    def update(
        self,
        endpoint_id: int,
        *,
        now: datetime,
        url: str | None = None,
        codes: Sequence[str] | None = None,
        batch_size: int | None = None,
        description: str | None = None,
        status: EndpointStatus | None = None,
        disabled_reason: str | None = None,
    ) -> None:
        """Change the given fields; a new `status` also sets `disabled_reason` (None to clear)."""
        values: dict[str, object] = {"updated_at": now}
        for name, value in (
            ("url", url),
            ("batch_size", batch_size),
            ("description", description),
            ("status", status.value if status is not None else None),
        ):
            if value is not None:
                values[name] = value
        if status is not None:
            values["disabled_reason"] = disabled_reason
        self._s.execute(
            update(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id).values(values)
        )
        if codes is not None:
            self._set_codes(endpoint_id, codes)

    def rotate_secret(
        self, endpoint_id: int, *, secret: str, previous_expires_at: datetime, now: datetime
    ) -> None:
        """The current secret becomes the previous one, valid until `previous_expires_at`."""
        self._s.execute(
            update(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint_id)
            .values(
                previous_secret=WebhookEndpointRow.secret,
                previous_secret_expires_at=previous_expires_at,
                secret=secret,
                updated_at=now,
            )
        )

    def delete(self, endpoint_id: int) -> None:
        """Its deliveries go with it (ON DELETE CASCADE); the alerts stay in the outbox/feed."""
        self._s.execute(delete(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id))

    def disable_gone(self, endpoint_ids: Sequence[int], *, reason: str, now: datetime) -> list[int]:
        """Disable active endpoints that answered 410; returns those actually disabled."""
        if not endpoint_ids:
            return []
        rows = self._s.execute(
            update(WebhookEndpointRow)
            .where(
                WebhookEndpointRow.id.in_(endpoint_ids),
                WebhookEndpointRow.status == EndpointStatus.ACTIVE.value,
            )
            .values(status=EndpointStatus.DISABLED.value, disabled_reason=reason, updated_at=now)
            .returning(WebhookEndpointRow.id)
        )
        return [r[0] for r in rows]

    def targets(self, endpoint_ids: Sequence[int], *, now: datetime) -> dict[int, EndpointTarget]:
        """Where and how to send, per endpoint; the previous secret only while it is valid."""
        if not endpoint_ids:
            return {}
        rows = self._s.execute(
            select(
                WebhookEndpointRow.id,
                WebhookEndpointRow.url,
                WebhookEndpointRow.secret,
                WebhookEndpointRow.previous_secret,
                WebhookEndpointRow.previous_secret_expires_at,
                WebhookEndpointRow.batch_size,
            ).where(WebhookEndpointRow.id.in_(endpoint_ids))
        )
        found = {}
        for endpoint_id, url, secret, previous, expires, batch_size in rows:
            secrets: tuple[str, ...] = (secret,)
            if previous is not None and expires is not None and expires > now:
                secrets = (secret, previous)
            found[endpoint_id] = EndpointTarget(endpoint_id, url, secrets, batch_size)
        return found

    def stats(self, *, party_id: int | None = None) -> list[EndpointStats]:
        """Per endpoint: pending / failed (awaiting retry) / delivered / dead, the oldest
        pending alert, and the latency histogram of acknowledged deliveries."""
        endpoints = select(E.id, E.url, E.status, PartyRow.code).join(
            PartyRow, PartyRow.id == E.party_id
        )
        if party_id is not None:
            endpoints = endpoints.where(E.party_id == party_id)
        meta = {r[0]: r[1:] for r in self._s.execute(endpoints.order_by(E.id))}
        if not meta:
            return []
        in_scope = D.endpoint_id.in_(list(meta))
        tried = case((D.attempts > 0, 1), else_=0)
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        oldest: dict[int, datetime] = {}
        rows = self._s.execute(
            select(D.endpoint_id, D.state, tried, func.count(), func.min(D.created_at))
            .where(in_scope)
            .group_by(D.endpoint_id, D.state, tried)
        )
        for endpoint_id, state, was_tried, n, first in rows:
            key = "failed" if state == PENDING and was_tried else state
            counts[endpoint_id][key] += n
            if state == PENDING and first is not None:
                oldest[endpoint_id] = min(first, oldest.get(endpoint_id, first))
        buckets = [func.sum(case((D.latency_ms <= b, 1), else_=0)) for b in LATENCY_BUCKETS_MS]
        latency = {
            r[0]: r[1:]
            for r in self._s.execute(
                select(D.endpoint_id, func.count(D.latency_ms), func.sum(D.latency_ms), *buckets)
                .where(in_scope, D.state == DELIVERED)
                .group_by(D.endpoint_id)
            )
        }
        stats = []
        for endpoint_id, (url, status, party_code) in meta.items():
            c = counts[endpoint_id]
            n, total, *cumulative = latency.get(endpoint_id, (0, 0, *[0] * len(buckets)))
            stats.append(
                EndpointStats(
                    endpoint_id=endpoint_id,
                    party_code=party_code,
                    url=url,
                    status=EndpointStatus(status),
                    pending=c[PENDING],
                    failed=c["failed"],
                    delivered=c[DELIVERED],
                    dead=c[DEAD],
                    oldest_pending_at=oldest.get(endpoint_id),
                    latency_count=int(n or 0),
                    latency_sum_ms=int(total or 0),
                    latency_buckets=tuple(int(x or 0) for x in cumulative),
                )
            )
        return stats


class FeedRepository:
    """A Service User's alerts in outbox order (`alerts.id` is the cursor), and how far it has
    acknowledged them."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def page(
        self, party_id: int, *, after: int, limit: int, codes: Sequence[str] = ()
    ) -> list[FeedItem]:
        stmt = (
            select(
                AlertRow.id, AlertRow.alert_id, AlertRow.code, AlertRow.created_at, AlertRow.body
            )
            .where(AlertRow.recipient_party_id == party_id, AlertRow.id > after)
            .order_by(AlertRow.id)
            .limit(limit)
        )
        if codes:
            stmt = stmt.where(AlertRow.code.in_(codes))
        return [FeedItem(*r) for r in self._s.execute(stmt)]

    def last_cursor(self, party_id: int) -> int:
        stmt = select(func.max(AlertRow.id)).where(AlertRow.recipient_party_id == party_id)
        return int(self._s.scalar(stmt) or 0)

    def acknowledged(self, party_id: int) -> int:
        stmt = select(FeedCursorRow.acknowledged).where(FeedCursorRow.party_id == party_id)
        return int(self._s.scalar(stmt) or 0)

    def acknowledge(self, party_id: int, cursor: int, *, now: datetime) -> int:
        """Move the party's cursor forward to `cursor` (never back); returns where it is."""
        dialect = self._s.connection().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FeedCursorRow)
        higher = func.greatest if dialect == "postgresql" else func.max
        stmt = ins.values(party_id=party_id, acknowledged=cursor, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[FeedCursorRow.party_id],
            set_={
                "acknowledged": higher(FeedCursorRow.acknowledged, stmt.excluded.acknowledged),
                "updated_at": now,
            },
        )
        self._s.execute(stmt)
        return self.acknowledged(party_id)
