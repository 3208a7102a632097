"""The stores of DCC Alerts on their way out, as protocols: the outbox, webhook subscriptions,
deliveries with their dead letters, and the pull feed (`uow.outbox`, `uow.subscriptions`,
`uow.deliveries`, `uow.feed`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from chfw_api.domain.alerts import PendingAlert
from chfw_api.domain.subscriptions import (
    DeadLetter,
    DueDelivery,
    Endpoint,
    EndpointStats,
    EndpointStatus,
    EndpointTarget,
    FeedItem,
    Outcome,
)


class OutboxStore(Protocol):
    def add(self, alerts: Sequence[PendingAlert], *, now: datetime) -> list[str]: ...

    def count(self, *, code: str | None = None, campaign_id: str | None = None) -> int: ...
    def bodies(
        self, *, campaign_id: str | None = None, limit: int = 1000
    ) -> list[tuple[str, str]]: ...


class SubscriptionStore(Protocol):
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
    ) -> Endpoint: ...
    def get(self, endpoint_id: int) -> Endpoint | None: ...
    def list_all(self, *, party_id: int | None = None) -> list[Endpoint]: ...
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
    ) -> None: ...
    def rotate_secret(
        self, endpoint_id: int, *, secret: str, previous_expires_at: datetime, now: datetime
    ) -> None: ...
    def delete(self, endpoint_id: int) -> None: ...
    def disable_gone(
        self, endpoint_ids: Sequence[int], *, reason: str, now: datetime
    ) -> list[int]: ...
    def targets(
        self, endpoint_ids: Sequence[int], *, now: datetime
    ) -> dict[int, EndpointTarget]: ...
    def stats(self, *, party_id: int | None = None) -> list[EndpointStats]: ...


class DeliveryStore(Protocol):
    def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        token: str,
        limit: int,
        per_endpoint: int,
        exclude: Sequence[int] = (),
    ) -> list[DueDelivery]: ...
    def record(self, outcomes: Sequence[Outcome], *, now: datetime, token: str) -> None: ...
    def kill_pending(self, endpoint_ids: Sequence[int], *, reason: str, now: datetime) -> int: ...
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
    ) -> list[DeadLetter]: ...
    def replay(
        self,
        *,
        now: datetime,
        delivery_id: int | None = None,
        party_id: int | None = None,
        endpoint_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int: ...


class FeedStore(Protocol):
    def page(
        self, party_id: int, *, after: int, limit: int, codes: Sequence[str] = ()
    ) -> list[FeedItem]: ...
    def last_cursor(self, party_id: int) -> int: ...
    def acknowledged(self, party_id: int) -> int: ...
    def acknowledge(self, party_id: int, cursor: int, *, now: datetime) -> int: ...
