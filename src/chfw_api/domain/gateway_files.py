"""What a gateway file to a CSP carries, before any XML: a value the use cases build and the
gateway adapter renders (`gateway.xml.render_file`, wired by bootstrap) and reads back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.csp_uploads import InstructionPart
from chfw_api.domain.guardrails import Dimension
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind


class FileKind(enum.StrEnum):
    """What a gateway file carries; the value is the kind part of its file name."""

    PREFERRED_PILOT_LIST = "preferred-pilot-list"
    PREFERRED_PILOT_SCHEDULE = "preferred-pilot-schedule"
    INSTRUCTION = "instruction"
    INSTRUCTION_MANIFEST = "instruction-manifest"
    DECISION = "decision"
    SLICE_PAUSE = "slice-pause"
    SLICE_RESUME = "slice-resume"

    @property
    def element(self) -> str:
        return {
            "preferred-pilot-list": "PreferredPilotList",
            "preferred-pilot-schedule": "PreferredPilotSchedule",
            "instruction": "DeploymentInstruction",
            "instruction-manifest": "DeploymentInstructionManifest",
            "decision": "RolloutDecision",
            "slice-pause": "SlicePause",
            "slice-resume": "SliceResume",
        }[self.value]


@dataclass(frozen=True, slots=True)
class InstructedHub:
    guid: str
    planned_at: datetime
    model: str | None = None
    region: str | None = None


@runtime_checkable
class DescribedHubs(Protocol):
    """Hubs to instruct that already carry their model and region, read with the instruction's
    checks: forwarding them needs no second read of the campaign's hubs (0.5 s of a 50,000-hub
    chunk at 1,000,000 hubs) unless a paused slice must be looked for."""

    def described(self, start: int, stop: int) -> list[InstructedHub]: ...


@dataclass(frozen=True, slots=True)
class GatewayFile:
    """A gateway file's content, as rendered and as the CSP simulator reads it back."""

    kind: FileKind
    csp_id: str
    campaign_id: str
    created_at: datetime
    supplier_id: str | None = None
    request_id: str | None = None
    guids: tuple[str, ...] = ()
    periods: tuple[SchedulePeriod, ...] = ()
    constraints: tuple[str, ...] = ()
    instruction_id: str | None = None
    stage: DeploymentKind | None = None
    firmware_version: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    hubs: tuple[InstructedHub, ...] = ()
    part_number: int | None = None
    parts: tuple[InstructionPart, ...] = ()
    decision: RolloutDecision | None = None
    reason: str | None = None
    dimension: Dimension | None = None
    slice_value: str | None = None
    slice_hubs: tuple[tuple[str, datetime | None], ...] = field(default=())


__all__ = ["FileKind", "GatewayFile", "InstructedHub"]
