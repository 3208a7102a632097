"""The unit of work the use cases depend on, as a protocol (tests may pass a fake)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from chfw_api.domain.alerts import PendingAlert
from chfw_api.domain.audit import AuditEntry, AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign_events import RolloutDecisionMade
from chfw_api.domain.campaign_views import HubCounts, SupplierShare
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.incidents import Incident, IncidentStatus
from chfw_api.domain.inventory import HubRecord, HubView, SupplierDirectory
from chfw_api.domain.parties import ApiKeyInfo, Caller, CspRegion, Party, PartyKind, PartyStatus
from chfw_api.domain.parties import SupplierRole as SupplierRole
from chfw_api.domain.pilot import PilotCandidate
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.domain.reports import EstateRow, Report
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
from chfw_api.services.gateway_stores import ActivationStore, GatewayStore, GuardrailStore


class PartyStore(Protocol):
    def add(
        self,
        *,
        kind: PartyKind,
        code: str,
        name: str,
        roles: Iterable[SupplierRole] = (),
        now: datetime,
        signing_certificate_pem: str | None = None,
    ) -> Party: ...
    def region_owner(self, region: CspRegion) -> str | None: ...
    def assign_regions(self, party_id: int, regions: Iterable[CspRegion]) -> None: ...
    def get_by_code(self, code: str) -> Party | None: ...
    def list_all(self, kind: PartyKind | None = None) -> list[Party]: ...
    def codes_of(self, party_ids: list[int]) -> dict[int, str]: ...
    def set_status(self, party_id: int, status: PartyStatus) -> None: ...
    def set_certificate(self, party_id: int, pem: str | None) -> None: ...
    def supplier_directory(self) -> SupplierDirectory: ...
    def add_key(
        self, *, party_id: int, prefix: str, key_hash: str, label: str, now: datetime
    ) -> int: ...
    def party_for_key_hash(self, key_hash: str) -> Party | None: ...
    def keys_of(self, party_id: int) -> list[ApiKeyInfo]: ...
    def get_key(self, key_id: int) -> ApiKeyInfo | None: ...
    def revoke_key(self, key_id: int, now: datetime) -> None: ...


class HubWriter(Protocol):
    def write(self, chunk: Sequence[HubRecord]) -> None: ...
    def finish(self) -> None: ...


class HubStore(Protocol):
    def count(self) -> int: ...
    def bulk_writer(self) -> HubWriter: ...
    def get_visible(self, caller: Caller, guid: str) -> HubView | None: ...
    def list_visible(self, caller: Caller, *, after: str | None, limit: int) -> list[HubView]: ...


class ReleaseStore(Protocol):
    def add(self, release: FirmwareRelease) -> FirmwareRelease: ...
    def get(self, release_id: int) -> FirmwareRelease | None: ...
    def find(self, manufacturer: str, model: str, version: str) -> FirmwareRelease | None: ...
    def list_all(self) -> list[FirmwareRelease]: ...


class AuditStore(Protocol):
    def append(self, records: Sequence[AuditRecord]) -> None: ...
    def entries(self, *, subject: str | None = None, batch: int = 5000) -> Iterator[AuditEntry]: ...


class OutboxStore(Protocol):
    def add(
        self,
        alerts: Sequence[PendingAlert],
        *,
        now: datetime,
        alongside: Callable[[], None] | None = None,
    ) -> list[str]:
        """Render and store `alerts`. `alongside`: other writes of this transaction that do not
        depend on the alerts, run on the same connection while they render."""
        ...

    def count(self, *, code: str | None = None, campaign_id: str | None = None) -> int: ...
    def bodies(
        self, *, campaign_id: str | None = None, limit: int = 1000
    ) -> list[tuple[str, str]]: ...


class CampaignStore(Protocol):
    def next_number(self) -> int: ...
    def internal_id(self, campaign_id: str) -> int: ...
    def add(self, campaign: Campaign, *, number: int, release_id: int) -> None: ...
    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None: ...
    def save(self, campaign: Campaign) -> None: ...
    def list_all(self, *, active_only: bool = False) -> list[Campaign]: ...
    def in_flight_for_model(self, manufacturer: str, model: str) -> list[Campaign]: ...
    def snapshot_eligible(self, campaign: Campaign) -> int: ...
    def record_supplier_shares(self, campaign: Campaign) -> list[SupplierShare]: ...
    def supplier_shares(self, campaign_id: str) -> list[SupplierShare]: ...
    def hub_counts(self, campaign_id: str) -> HubCounts: ...
    def eligible_page(
        self, campaign_id: str, *, supplier_id: int | None, after: str | None, limit: int
    ) -> Sequence[tuple[str, str, str, str, bool, bool, bool, str]]: ...


class IncidentStore(Protocol):
    def next_number(self) -> int: ...
    def add(self, incident: Incident, *, number: int) -> None: ...
    def get(self, incident_id: str) -> Incident | None: ...
    def save(self, incident: Incident) -> None: ...
    def list_all(
        self, *, campaign_id: str | None = None, status: IncidentStatus | None = None
    ) -> list[Incident]: ...


class DecisionStore(Protocol):
    def add(self, event: RolloutDecisionMade) -> None: ...
    def list_for(self, campaign_id: str) -> list[RolloutDecisionMade]: ...


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


class RequestStore(Protocol):
    def consume_counter(self, originator: str, counter: int, now: datetime) -> bool: ...
    def hub_facts(self, campaign_row_id: int, guids: Sequence[str]) -> dict[str, HubFacts]: ...
    def unstage(self, guids: Sequence[str]) -> None: ...
    def supplier_campaign_guids(
        self, campaign_row_id: int, supplier_id: int, *, in_pilot: bool | None
    ) -> list[str]: ...


class PilotStore(Protocol):
    def replace_preferred_list(
        self,
        *,
        campaign_id: str,
        supplier_id: int,
        guids: Sequence[str],
        request_id: str,
        now: datetime,
        rules: dict[str, Any] | None,
        chosen_by_dcc: bool = False,
    ) -> None: ...
    def preferred_lists(self, campaign_id: str) -> dict[int, frozenset[str]]: ...
    def suppliers_with_lists(self, campaign_id: str) -> set[int]: ...
    def composition_candidates(
        self, campaign_row_id: int, campaign_id: str
    ) -> list[PilotCandidate]: ...
    def supplier_candidates(
        self, campaign_row_id: int, supplier_id: int
    ) -> list[PilotCandidate]: ...
    def default_list(self, campaign_row_id: int) -> frozenset[str]: ...
    def set_members(self, campaign_row_id: int, members: Sequence[str]) -> None: ...
    def members(self, campaign_row_id: int) -> list[str]: ...
    def add_schedule_request(
        self,
        *,
        campaign_id: str,
        supplier_id: int,
        request_id: str,
        now: datetime,
        entries: list[dict[str, Any]],
    ) -> int: ...


class InstructionStore(Protocol):
    def next_number(self) -> int: ...
    def add(
        self,
        *,
        number: int,
        instruction_id: str,
        campaign_id: str,
        supplier_id: int,
        stage: str,
        requested_at: datetime,
        received_at: datetime,
        request_id: str,
        all_eligible: bool,
        accepted: int,
        rejected: int,
    ) -> None: ...
    def record_votes(
        self,
        *,
        campaign_id: str,
        stage: str,
        supplier_id: int,
        instruction_id: str,
        requested_at: datetime,
        hubs: Iterable[tuple[str, bool, bool]],
    ) -> None: ...
    def record_staged_votes(
        self,
        *,
        campaign_id: str,
        stage: str,
        supplier_id: int,
        instruction_id: str,
        requested_at: datetime,
    ) -> None: ...
    def plan_staged_sole_supplier_hubs(self, campaign_row_id: int, at: datetime) -> None: ...
    def other_votes(
        self, *, campaign_id: str, stage: str, supplier_id: int
    ) -> dict[str, dict[int, datetime]]: ...
    def set_plans(self, campaign_row_id: int, plans: Sequence[tuple[str, datetime]]) -> None: ...
    def unplanned_hubs(
        self, campaign_row_id: int, *, after: str | None, limit: int
    ) -> list[tuple[str, str]]: ...
    def uninstructed_count(
        self, *, campaign_row_id: int, campaign_id: str, stage: str, supplier_id: int, pilot: bool
    ) -> int: ...
    def count(self, campaign_id: str | None = None) -> int: ...


class EstateStore(Protocol):
    def count(
        self,
        supplier_id: int,
        *,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
    ) -> int: ...
    def rows(
        self,
        supplier_id: int,
        *,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
        batch: int = 5000,
        limit: int | None = None,
    ) -> Iterator[EstateRow]: ...
    def campaign_counts(self, campaign_row_id: int, supplier_id: int) -> dict[str, int]: ...
    def split_waiting(
        self, campaign_row_id: int, campaign_id: str, supplier_id: int
    ) -> tuple[int, int]: ...
    def add_report(
        self,
        *,
        report_id: str,
        supplier_id: int,
        request_id: str,
        now: datetime,
        params: dict[str, Any],
    ) -> None: ...
    def report(self, report_id: str) -> Report | None: ...
    def pending_reports(self, limit: int = 10) -> list[Report]: ...
    def mark_ready(self, report_id: str, *, rows: int, path: str, now: datetime) -> None: ...
    def next_report_number(self) -> int: ...


class RecentStore(Protocol):
    """Read-only dashboard queries; alert lines are (code, recipient, campaign id, created at)."""

    def latest_alerts(
        self, *, limit: int = 50, campaign_id: str | None = None
    ) -> list[tuple[str, str, str | None, datetime]]: ...
    def alert_counts(self, campaign_id: str) -> dict[str, int]: ...
    def upload_kinds(self, campaign_id: str) -> set[str]: ...


class UnitOfWork(Protocol):
    """`with uow:` opens a transaction; only `commit()` keeps it, leaving the block rolls back."""

    @property
    def parties(self) -> PartyStore: ...
    @property
    def hubs(self) -> HubStore: ...
    @property
    def releases(self) -> ReleaseStore: ...
    @property
    def audit(self) -> AuditStore: ...
    @property
    def outbox(self) -> OutboxStore: ...
    @property
    def campaigns(self) -> CampaignStore: ...
    @property
    def requests(self) -> RequestStore: ...
    @property
    def pilot(self) -> PilotStore: ...
    @property
    def instructions(self) -> InstructionStore: ...
    @property
    def estate(self) -> EstateStore: ...
    @property
    def incidents(self) -> IncidentStore: ...
    @property
    def decisions(self) -> DecisionStore: ...
    @property
    def subscriptions(self) -> SubscriptionStore: ...
    @property
    def deliveries(self) -> DeliveryStore: ...
    @property
    def feed(self) -> FeedStore: ...
    # CSP Management Gateway (issue #6)
    @property
    def gateway(self) -> GatewayStore: ...
    @property
    def activation(self) -> ActivationStore: ...
    @property
    def guardrails(self) -> GuardrailStore: ...
    # DCC operator dashboard (issue #7)
    @property
    def recent(self) -> RecentStore: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
