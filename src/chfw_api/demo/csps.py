"""The CSPs' side of the demo: one `CspSimulator` per CSP on the shared accelerated clock.

`Network.drive` plays the network: every CSP reads its new gateway files, posts the results that
have fallen due, and the clock jumps to the next thing any CSP has to do, until nothing is left
before `until`. A guardrail that pauses a slice is shown and lifted by DCC (the demo's failure
rates stay below the thresholds, but a small slice can still trip one by chance).

It reads a few of the simulator's private fields (`_held`, `_held_campaigns`) to know when the
CSPs have taken a pause or resume file: the simulator has no public way to say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chfw_api.demo.api import Api, DemoError
from chfw_api.demo.clock import OffsetFileClock
from chfw_api.gateway.simulator import CspSimulator, SimConfig, StepReport

REASONS = ("Timeout", "ImageVerifyFailed", "HubUnreachable")


class RecordingSimulator(CspSimulator):
    """A `CspSimulator` that remembers each hub's final outcome as it posts it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes: dict[str, tuple[datetime, str, str]] = {}  # guid -> (at, outcome, stage)

    def due(self, now: datetime) -> tuple[dict[str, list[dict[str, Any]]], StepReport]:
        batches, report = super().due(now)
        if report.activated or report.failed:
            for cid, results in batches.items():
                for r in results:
                    if r["outcome"] != "distributed":
                        stage = str(self.tasks[(cid, r["guid"])].stage)
                        at = datetime.fromisoformat(r["at"])
                        self.outcomes[r["guid"]] = (at, r["outcome"], stage)
        return batches, report


@dataclass
class Network:
    api: Api
    clock: OffsetFileClock
    gateway_root: Path
    csps: list[str]
    seed: int
    campaign_id: str = ""
    sims: dict[str, RecordingSimulator] = field(default_factory=dict)
    lifted: list[dict[str, Any]] = field(default_factory=list)
    posted: int = 0
    on_pause: Callable[[dict[str, Any]], None] = lambda pause: None

    def start(self, *, failure_rate: float, rates: dict[str, float]) -> None:
        for csp in self.csps:
            config = SimConfig(
                csp_id=csp,
                gateway_root=self.gateway_root,
                seed=self.seed,
                failure_rate=failure_rate,
                rates=rates,
                reasons=REASONS,
                distribution_lead=timedelta(hours=1),
                batch_size=20_000,
            )
            self.sims[csp] = RecordingSimulator(
                config, client=self.api.http, api_key=self.api.keys[csp], clock=self.clock
            )

    def set_rates(self, *, failure_rate: float, rates: dict[str, float]) -> None:
        for sim in self.sims.values():
            sim.config = SimConfig(
                **{**sim.config.__dict__, "failure_rate": failure_rate, "rates": rates}
            )

    def poll(self) -> int:
        return sum(sim.poll() for sim in self.sims.values())

    def outcomes(self) -> dict[str, tuple[datetime, str, str]]:
        """Every hub's final outcome so far: guid -> (activation time, outcome, stage)."""
        return {g: o for sim in self.sims.values() for g, o in sim.outcomes.items()}

    def tasks(self) -> int:
        return sum(len(sim.tasks) for sim in self.sims.values())

    def wait_for_files(
        self, expect: Callable[[], int], *, timeout: float = 600.0, what: str = "files"
    ) -> None:
        """Poll the outbound folders until the CSPs hold `expect()` hubs of work (the worker
        writes the gateway files about once a second)."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            want = expect()
            if self.tasks() >= want:
                return
            if time.monotonic() > deadline:
                raise DemoError(f"waited {timeout:.0f}s for {what}: {self.tasks()} of {want}")
            time.sleep(0.2)

    def wait_held(self, held: bool, *, timeout: float = 60.0) -> None:
        """Wait until every CSP has read the campaign's pause (or resume) file."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if all((self.campaign_id in sim._held_campaigns) == held for sim in self.sims.values()):
                return
            if time.monotonic() > deadline:
                raise DemoError(f"the CSPs did not get the {'pause' if held else 'resume'} file")
            time.sleep(0.1)

    def drive(
        self,
        *,
        until: datetime | None = None,
        on_step: Callable[[StepReport], None] | None = None,
    ) -> StepReport:
        """Step every CSP and jump the clock from event to event, until nothing is due before
        `until` (or nothing is left)."""
        total = StepReport()
        while True:
            for sim in self.sims.values():
                report = sim.step()
                for name in ("files", "posted", "activated", "failed", "distributed"):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                self.posted += report.posted
                if on_step is not None:
                    on_step(report)
            if self._lift_slice_pauses():
                continue
            upcoming = [t for s in self.sims.values() if (t := s.next_event()) is not None]
            if not upcoming:
                return total
            nxt = min(upcoming)
            if until is not None and nxt > until:
                return total
            self.clock.advance_to(nxt)

    def _lift_slice_pauses(self) -> bool:
        cid = self.campaign_id
        active = self.api.dcc("GET", f"/api/v1/campaigns/{cid}/slice-pauses?active=true")
        for pause in active:
            self.lifted.append(pause)
            self.on_pause(pause)
            self.api.dcc(
                "POST",
                f"/api/v1/slice-pauses/{pause['id']}/lift",
                json={"reason": "demo: DCC reviewed the failures and lets the slice go on"},
            )
        if active:
            # The resume files give the held hubs back to their CSPs (a CSP with no unfinished
            # hub in the slice gets none: it has nothing held).
            deadline = time.monotonic() + 60
            while any(
                sim._held(t) for sim in self.sims.values() for t in sim.tasks.values() if not t.done
            ):
                self.poll()
                if time.monotonic() > deadline:
                    raise DemoError("the CSPs did not get the slice-resume files")
                time.sleep(0.1)
        return bool(active)
