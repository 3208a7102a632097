"""The stores suppliers' service requests write, as protocols: request counters and hub facts,
preferred pilot lists and schedules, and instructions with their votes (`uow.requests`,
`uow.pilot`, `uow.instructions`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.pilot import BandRanges, PilotCandidate


class RequestStore(Protocol):
    def consume_counter(self, originator: str, counter: int, now: datetime) -> bool: ...
    def hub_facts_in_order(
        self, campaign_row_id: int, guids: Sequence[str]
    ) -> Iterator[HubFacts]: ...
    def stage(self, guids: Sequence[str]) -> None: ...
    def stage_facts(self, facts: Iterable[HubFacts]) -> None: ...
    def stage_suppliers(self) -> None: ...
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
        self, campaign_row_id: int, campaign_id: str, *, proving: int, seed: int
    ) -> list[PilotCandidate]: ...
    def pool_size(
        self,
        campaign_row_id: int,
        supplier_id: int,
        *,
        regions: frozenset[str],
        models: frozenset[str],
    ) -> int: ...
    def named_candidates(
        self, campaign_row_id: int, supplier_id: int, guids: Iterable[str]
    ) -> Iterable[PilotCandidate]: ...
    def supplier_candidates_in_bands(
        self, campaign_row_id: int, supplier_id: int, *, friendly: bool, bands: BandRanges
    ) -> Iterable[PilotCandidate]: ...
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
    def plan_staged_hubs(
        self,
        campaign_row_id: int,
        at: datetime,
        *,
        split_plans: Sequence[tuple[str, datetime]],
        voter: int,
        pilot: bool,
    ) -> None: ...
    def other_votes(
        self, *, campaign_id: str, stage: str, supplier_id: int
    ) -> dict[str, dict[int, datetime]]: ...
    def set_plans(
        self,
        campaign_row_id: int,
        plans: Sequence[tuple[str, datetime]],
        *,
        voter: tuple[int, bool] | None = None,
    ) -> None: ...
    def unplanned_hubs(
        self, campaign_row_id: int, *, after: str | None, limit: int
    ) -> list[tuple[str, str]]: ...
    def uninstructed_count(
        self, *, campaign_row_id: int, campaign_id: str, stage: str, supplier_id: int, pilot: bool
    ) -> int: ...
    def count(self, campaign_id: str | None = None) -> int: ...
