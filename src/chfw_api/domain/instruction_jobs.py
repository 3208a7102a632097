"""A large SR 11.7 done in chunks (issue #12): what the worker needs to continue one, and how the
chunks' figures add up to the instruction's.

An AllEligible instruction for a supplier with millions of hubs cannot be one transaction
(minutes of locks, gigabytes of memory, one alert of hundreds of MB), nor can a list naming
hundreds of thousands of GUIDs (38.6 s under the campaign lock for 300,000 on PostgreSQL). It
is accepted at once (I99; a named list is screened first, so each rejected GUID is answered
then) and the worker completes it `CHUNK_HUBS` hubs at a time, in GUID order, each chunk its own
transaction that also moves the job's cursor: a crash redoes the chunk in flight, never one
already done. The closing N80 carries the totals and the planned dates with their hub counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

CHUNK_HUBS = 50_000
"""Hubs per chunk: one CSP instruction part each, a transaction of a few seconds."""

LARGE_INSTRUCTION_HUBS = 50_000
"""An instruction of more hubs than this (AllEligible: the supplier's hubs in the campaign; a
named list: the GUIDs it names) is done in chunks by the worker."""

RUNNING, DONE, STOPPED = "running", "done", "stopped"


@dataclass(frozen=True)
class InstructionJob:
    instruction_id: str
    campaign_id: str
    supplier_id: int
    stage: str
    requested_at: datetime
    request_id: str
    state: str
    after_guid: str | None
    chunks: int
    accepted: int
    rejected: int
    waiting: int
    planned: Mapping[str, int] = field(default_factory=dict)  # ISO date-time -> hubs
    reasons: Mapping[str, int] = field(default_factory=dict)  # reason code -> hubs
    named: bool = False  # the supplier named its hubs; False: AllEligible


@dataclass(frozen=True)
class ChunkOutcome:
    """What one chunk did: the last GUID it covered and its figures."""

    last_guid: str | None
    accepted: int
    rejected: int
    waiting: int
    planned: Mapping[str, int]
    reasons: Mapping[str, int]
    finished: bool  # fewer candidates than a chunk: nothing after it


def add_counts(total: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    out = dict(total)
    for key, n in more.items():
        out[key] = out.get(key, 0) + n
    return out
