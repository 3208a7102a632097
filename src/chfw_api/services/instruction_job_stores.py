"""The store a chunked instruction's use cases depend on (`uow.instruction_jobs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.instruction_jobs import ChunkOutcome, InstructionJob


class InstructionJobStore(Protocol):
    def add(
        self,
        *,
        instruction_id: str,
        campaign_id: str,
        supplier_id: int,
        stage: str,
        requested_at: datetime,
        request_id: str,
        now: datetime,
        named: bool = False,
        rejected: int = 0,
        reasons: dict[str, int] | None = None,
    ) -> None: ...
    def keep_named(self, instruction_id: str) -> int: ...
    def named_facts(
        self, campaign_row_id: int, instruction_id: str, *, after: str | None, limit: int
    ) -> list[HubFacts]: ...
    def forget_named(self, instruction_id: str, *, through: str | None = None) -> None: ...
    def get(self, instruction_id: str) -> InstructionJob | None: ...
    def claim_next(self) -> InstructionJob | None: ...
    def record_chunk(
        self, job: InstructionJob, outcome: ChunkOutcome, *, state: str, now: datetime
    ) -> None: ...
    def supplier_hubs(self, campaign_row_id: int, supplier_id: int, *, in_pilot: bool) -> int: ...
    def running(self) -> int: ...
    def candidate_facts(
        self,
        campaign_row_id: int,
        supplier_id: int,
        *,
        in_pilot: bool,
        after: str | None,
        limit: int,
    ) -> list[HubFacts]: ...
