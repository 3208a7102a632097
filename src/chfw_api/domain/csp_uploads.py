"""CSP uploads: the Default Pilot List (A02), Default Pilot Schedule (A03) and Safe Launch
Schedule (A08), and the rules each must meet before it can reach a supplier.

CSPs manage scarce network bandwidth, so they own grouping and scheduling (C1, C2). An upload
is checked whole, every problem named with where it is (X5): each GUID must be eligible in the
campaign and on the uploading CSP's network (X2); a schedule's periods must be real spans
(start before end, not already over) inside the window the stage allows, each naming a group
of hubs, never one instant per hub (C5); a hub may sit in one period only, and the safe-launch
schedule may not name pilot hubs (C4).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chfw_api.domain.errors import Problem
from chfw_api.domain.identifiers import is_eui64

MAX_PERIODS = 1000
MAX_LABEL = 100


class UploadKind(enum.StrEnum):
    DEFAULT_PILOT_LIST = "default-pilot-list"  # A02
    DEFAULT_PILOT_SCHEDULE = "default-pilot-schedule"  # A03
    SAFE_LAUNCH_SCHEDULE = "safe-launch-schedule"  # A08

    @property
    def is_schedule(self) -> bool:
        return self is not UploadKind.DEFAULT_PILOT_LIST

    @property
    def requirement(self) -> str:
        return {"default-pilot-list": "A02", "default-pilot-schedule": "A03"}.get(self, "A08")


@dataclass(frozen=True, slots=True)
class Period:
    """A span and the group of hubs it covers (C5)."""

    start: datetime
    end: datetime
    label: str | None
    guids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RawPeriod:
    """A period as read from a file: GUIDs as written, with where each came from."""

    start: datetime | None
    end: datetime | None
    label: str | None
    guids: tuple[tuple[str, str], ...]  # (location, text)
    location: str


@dataclass(frozen=True, slots=True)
class RawUpload:
    """What a parser read, before any rule: list entries or periods, each with a location."""

    guids: tuple[tuple[str, str], ...] = ()
    periods: tuple[RawPeriod, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class NamedHub:
    """What the rules need to know of one named hub (None: not in the inventory)."""

    region: str
    in_campaign: bool
    in_pilot: bool
    pilot_excluded: bool


@dataclass(frozen=True, slots=True)
class Window:
    """The span a schedule's periods must fall within (either end may be open)."""

    earliest: datetime | None
    latest: datetime | None


@dataclass(frozen=True, slots=True)
class CspUpload:
    """A validated upload: GUIDs canonical upper case."""

    kind: UploadKind
    guids: tuple[str, ...] = ()
    periods: tuple[Period, ...] = ()

    @property
    def all_guids(self) -> tuple[str, ...]:
        if not self.kind.is_schedule:
            return self.guids
        return tuple(g for p in self.periods for g in p.guids)

    def content(self) -> dict[str, object]:
        """JSON-ready content for the versioned store."""
        if not self.kind.is_schedule:
            return {"guids": list(self.guids)}
        return {
            "periods": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "label": p.label,
                    "guids": list(p.guids),
                }
                for p in self.periods
            ]
        }


def named_guids(raw: RawUpload) -> list[str]:
    """Every well-formed GUID the raw upload names, upper case, for one look-up of their facts."""
    entries = list(raw.guids) + [e for p in raw.periods for e in p.guids]
    return sorted({text.upper() for _, text in entries if is_eui64(text)})


def _hub_problems(
    kind: UploadKind,
    location: str,
    text: str,
    seen: set[str],
    facts: Mapping[str, NamedHub],
    regions: frozenset[str],
) -> tuple[str | None, list[Problem]]:
    if not is_eui64(text):
        return None, [
            Problem("not an EUI-64 CH GUID (8 hex pairs joined by hyphens)", location, "guid")
        ]
    guid = text.upper()
    if guid in seen:
        return None, [Problem(f"{guid} is named more than once", location, "guid", "duplicate")]
    seen.add(guid)
    fact = facts.get(guid)
    if fact is None:
        return None, [Problem(f"{guid} is not in the inventory", location, "guid", "unknown-hub")]
    if fact.region not in regions:
        return None, [
            Problem(f"{guid} is not on this CSP's network", location, "guid", "not-your-network")
        ]
    if not fact.in_campaign:
        return None, [
            Problem(f"{guid} is not eligible in this campaign", location, "guid", "not-eligible")
        ]
    if kind is UploadKind.DEFAULT_PILOT_LIST and fact.pilot_excluded:
        return None, [
            Problem(f"{guid} is excluded from every pilot (RA03)", location, "guid", "excluded")
        ]
    if kind is UploadKind.SAFE_LAUNCH_SCHEDULE and fact.in_pilot:
        return None, [
            Problem(
                f"{guid} is in the pilot group; safe launch covers the other hubs (C4)",
                location,
                "guid",
                "in-pilot",
            )
        ]
    return guid, []


def _period_problems(p: RawPeriod, window: Window, now: datetime) -> list[Problem]:
    out: list[Problem] = []
    if p.start is None or p.end is None:
        return [Problem("a period needs a start and an end (C5)", p.location, "period")]
    if p.start.tzinfo is None or p.end.tzinfo is None:
        return [Problem("period times need a UTC offset", p.location, "period")]
    if p.start >= p.end:
        out.append(Problem("the period must start before it ends", p.location, "end"))
    if p.end <= now:
        out.append(Problem("the period is already over", p.location, "end"))
    if window.earliest is not None and p.start < window.earliest:
        out.append(
            Problem(
                f"starts before {window.earliest.isoformat()}, the earliest this stage allows",
                p.location,
                "start",
            )
        )
    if window.latest is not None and p.end > window.latest:
        out.append(
            Problem(
                f"ends after {window.latest.isoformat()}, the latest this stage allows",
                p.location,
                "end",
            )
        )
    if p.label is not None and len(p.label) > MAX_LABEL:
        out.append(Problem(f"labels are at most {MAX_LABEL} characters", p.location, "label"))
    if not p.guids:
        out.append(Problem("a period must name its group of hubs (C5, DD01)", p.location, "guid"))
    return out


def validate_upload(
    kind: UploadKind,
    raw: RawUpload,
    *,
    facts: Mapping[str, NamedHub],
    regions: frozenset[str],
    window: Window,
    now: datetime,
) -> tuple[CspUpload | None, list[Problem]]:
    """The validated upload, or every problem found (and None): nothing half-accepted (X5)."""
    problems = list(raw.problems)
    seen: set[str] = set()
    if not kind.is_schedule:
        if raw.periods:
            problems.append(Problem("a pilot list has no periods; use the schedule upload"))
        guids: list[str] = []
        for location, text in raw.guids:
            guid, found = _hub_problems(kind, location, text, seen, facts, regions)
            problems += found
            if guid is not None:
                guids.append(guid)
        if not raw.guids and not raw.problems:
            problems.append(Problem("the list names no hubs", field="guid"))
        if problems:
            return None, problems
        return CspUpload(kind, guids=tuple(guids)), []
    if raw.guids:
        problems.append(Problem("a schedule names hubs only inside periods (C5)"))
    if not raw.periods and not raw.problems:
        problems.append(Problem("the schedule has no periods", field="period"))
    if len(raw.periods) > MAX_PERIODS:
        problems.append(Problem(f"at most {MAX_PERIODS} periods per schedule", field="period"))
    periods: list[Period] = []
    for p in raw.periods:
        problems += _period_problems(p, window, now)
        members: list[str] = []
        for location, text in p.guids:
            guid, found = _hub_problems(kind, location, text, seen, facts, regions)
            problems += found
            if guid is not None:
                members.append(guid)
        if p.start is not None and p.end is not None:
            periods.append(Period(p.start, p.end, p.label, tuple(members)))
    if problems:
        return None, problems
    return CspUpload(kind, periods=tuple(periods)), []


def for_supplier(upload: CspUpload, mine: frozenset[str]) -> CspUpload | None:
    """The part of an upload a supplier may see: only its own hubs, periods without any of
    them left out; None when nothing is left."""
    if not upload.kind.is_schedule:
        guids = tuple(g for g in upload.guids if g in mine)
        return CspUpload(upload.kind, guids=guids) if guids else None
    periods = tuple(
        Period(p.start, p.end, p.label, kept)
        for p in upload.periods
        if (kept := tuple(g for g in p.guids if g in mine))
    )
    return CspUpload(upload.kind, periods=periods) if periods else None


@dataclass(frozen=True, slots=True)
class UploadRecord:
    id: int
    csp_id: str
    campaign_id: str
    kind: UploadKind
    version: int
    uploaded_at: datetime
    superseded_at: datetime | None
    source_format: str
    hub_count: int
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PendingFile:
    id: int
    csp_id: str
    kind: str
    campaign_id: str | None
    body: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class InstructionPart:
    """One part of an instruction to a CSP (at most `PART_HUBS` hubs, a file of its own), as
    the instruction's manifest lists it: number, the file's gateway sequence, hubs, SHA-256."""

    number: int
    file_sequence: int
    hubs: int
    sha256: str


PART_HUBS = 50_000
"""Hubs per instruction file: a CSP can start on the first part while the rest are written."""
