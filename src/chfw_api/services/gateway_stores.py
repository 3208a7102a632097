"""The stores the CSP gateway's use cases depend on, as protocols (the `UnitOfWork` exposes
them as `uow.gateway`, `uow.activation` and `uow.guardrails`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from chfw_api.domain.activation import HubChange, HubFact, HubResult, HubSuppliers, MonitoredHub
from chfw_api.domain.csp_uploads import (
    InstructionPart,
    NamedHub,
    PendingFile,
    UploadKind,
    UploadRecord,
)
from chfw_api.domain.guardrails import (
    Figures,
    FinishedGroup,
    GuardrailRule,
    HubAttributes,
    SliceKey,
    SlicePause,
    Trip,
)


class GatewayStore(Protocol):
    def campaign_key(self, campaign_id: str) -> int: ...
    def csp_party(self, csp_code_or_id: str | int) -> tuple[int, str]: ...
    def region_csps(self) -> dict[str, tuple[int, str]]: ...
    def campaign_regions(self, campaign_key: int) -> list[str]: ...
    def suppliers_of(self, guids: Sequence[str]) -> dict[str, HubSuppliers]: ...
    def hub_facts(self, campaign_key: int, guids: Sequence[str]) -> dict[str, NamedHub]: ...
    def add_upload(
        self,
        *,
        csp_party_id: int,
        campaign_key: int,
        kind: UploadKind,
        source_format: str,
        hub_count: int,
        content: dict[str, Any],
        now: datetime,
    ) -> tuple[int, int]: ...
    def uploads(
        self, campaign_id: str, *, csp_party_id: int | None, kind: UploadKind | None
    ) -> list[UploadRecord]: ...
    def set_default_list(
        self, campaign_key: int, regions: Sequence[str], guids: Sequence[str]
    ) -> None: ...
    def enqueue(
        self,
        csp_code_or_id: str | int,
        kind: str,
        campaign_id: str | None,
        body: bytes,
        now: datetime,
    ) -> int: ...
    def add_instruction_part(
        self, *, instruction_id: str, csp_party_id: int, part_number: int, file_id: int, hubs: int
    ) -> None: ...
    def instruction_parts(self, instruction_id: str) -> dict[str, list[InstructionPart]]: ...
    def claim(self, limit: int) -> list[PendingFile]: ...
    def mark_written(self, ids: Sequence[int], now: datetime) -> None: ...
    def files(
        self, *, csp_party_id: int | None = None, limit: int = 1000
    ) -> list[tuple[int, str, str, str | None, datetime, datetime | None]]: ...


class ActivationStore(Protocol):
    def hub_facts(self, campaign_key: int, guids: Sequence[str]) -> dict[str, HubFact]: ...
    def seen_results(
        self, campaign_key: int, guids: Sequence[str]
    ) -> set[tuple[str, str, datetime]]: ...
    def record(
        self,
        campaign_key: int,
        results: Sequence[HubResult],
        *,
        csp_party_id: int,
        now: datetime,
    ) -> None: ...
    def apply(self, campaign_key: int, changes: Sequence[HubChange]) -> None: ...
    def pilot_status_by_supplier(self, campaign_key: int) -> dict[int, dict[str, int]]: ...
    def monitoring(
        self, campaign_key: int, *, supplier_id: int | None, after: str | None, limit: int
    ) -> list[MonitoredHub]: ...


class GuardrailStore(Protocol):
    def rules(self, campaign_key: int) -> list[GuardrailRule]: ...
    def set_rules(self, campaign_key: int, rules: Sequence[GuardrailRule]) -> None: ...
    def finished_groups(self, campaign_key: int) -> list[FinishedGroup]: ...
    def pauses(self, campaign_id: str, *, active_only: bool = False) -> list[SlicePause]: ...
    def get_pause(self, pause_id: int) -> SlicePause | None: ...
    def baselines(self, campaign_key: int) -> dict[SliceKey, Figures]: ...
    def add_pause(self, campaign_key: int, trip: Trip, reason: str, now: datetime) -> int: ...
    def lift(
        self, pause_id: int, *, by: str, reason: str, figures: Figures, now: datetime
    ) -> None: ...
    def pending_hubs(
        self, campaign_key: int, key: SliceKey
    ) -> list[tuple[str, str, datetime | None]]: ...
    def suppliers_in(self, campaign_key: int, key: SliceKey) -> list[tuple[int, str]]: ...
    def hub_attributes(
        self, campaign_key: int, guids: Iterable[str]
    ) -> dict[str, HubAttributes]: ...
    def supplier_codes(self, ids: Iterable[int]) -> dict[int, str]: ...
