"""What an operator watches, read at scrape time so every process is covered: how long due
alerts wait for a worker, campaign hubs by status, slices a guardrail holds paused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OperationsFigures:
    outbox_lag_seconds: float  # the oldest due, unclaimed delivery's wait; 0 when none
    hubs_by_status: tuple[tuple[str, str, int], ...]  # (campaign, status, hubs)
    active_pauses: tuple[tuple[str, str, int], ...]  # (campaign, stage, slices paused)
