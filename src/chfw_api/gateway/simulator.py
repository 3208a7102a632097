"""A CSP simulator (`chfw csp-sim`): the other side of the gateway, for tests and the demo.

It reads its outbound folder in file order (only complete files: checksum verified), takes
deployment instructions as work, "distributes" each hub a lead time before its planned
activation and "activates" it at that time, failing some at configurable rates per region or
device model with reasons drawn from a list, and posts every result back through the inbound
HTTP API. Rollout decisions (pause, suspend, resume, stop) and guardrail slice pauses and
resumes hold or release the work as a real CSP would.

Deterministic: whether a hub fails, and why, is a hash of the seed, the campaign and the GUID,
so the same seed gives the same outcomes whatever the order of events. Time comes from the
clock passed in: a `FakeClock` advanced from event to event (simulated), or the system clock.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from chfw_api.domain.clock import Clock
from chfw_api.domain.gateway_files import FileKind, GatewayFile
from chfw_api.domain.guardrails import Dimension
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.files import FILE_NAME, outbound_dir, read_verified, sha256_hex
from chfw_api.gateway.xml import parse_file

log = logging.getLogger("chfw.csp_sim")
DEFAULT_REASONS = ("Timeout", "ImageVerifyFailed", "HubUnreachable")


class Poster(Protocol):
    """The slice of `httpx.Client` the simulator uses (a FastAPI TestClient fits too)."""

    def post(self, url: str, *, json: Any, headers: Mapping[str, str]) -> Any: ...


@dataclass(frozen=True)
class SimConfig:
    csp_id: str
    gateway_root: Path
    seed: int = 1
    failure_rate: float = 0.02
    # "model:KC-200" or "region:North" -> rate; a model's rate beats its region's.
    rates: Mapping[str, float] = field(default_factory=dict)
    reasons: Sequence[str] = DEFAULT_REASONS
    distribution_lead: timedelta = timedelta(hours=1)
    batch_size: int = 5000

    def rate_for(self, model: str | None, region: str | None) -> float:
        if model and f"model:{model}" in self.rates:
            return self.rates[f"model:{model}"]
        if region and f"region:{region}" in self.rates:
            return self.rates[f"region:{region}"]
        return self.failure_rate


@dataclass
class Task:
    campaign_id: str
    guid: str
    stage: DeploymentKind
    model: str | None
    region: str | None
    activate_at: datetime
    firmware_version: str
    distributed_at: datetime | None = None
    done: bool = False


@dataclass
class StepReport:
    files: int = 0
    posted: int = 0
    activated: int = 0
    failed: int = 0
    distributed: int = 0
    held: int = 0


class CspSimulator:
    def __init__(self, config: SimConfig, *, client: Poster, api_key: str, clock: Clock) -> None:
        self.config = config
        self._client = client
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._clock = clock
        self._seen: set[str] = set()
        self.tasks: dict[tuple[str, str], Task] = {}
        self._held_campaigns: set[str] = set()
        self._held_hubs: set[tuple[str, str]] = set()
        self._versions: dict[str | None, str] = {}
        self._paused: set[tuple[str, DeploymentKind, Dimension, str]] = set()
        self.posted: list[dict[str, Any]] = []
        # Instruction parts as they arrived, (instruction, part) -> SHA-256 of the file, and
        # what each manifest found: a real CSP checks it has every part, intact, before it
        # reports the instruction complete.
        self._parts: dict[tuple[str, int], str] = {}
        self.manifests_verified = 0
        self.manifest_problems: list[str] = []

    # --- reading files --------------------------------------------------------------------

    def poll(self) -> int:
        """Apply every new complete file in name (creation) order; returns how many."""
        directory = outbound_dir(self.config.gateway_root, self.config.csp_id)
        new = 0
        for path in sorted(directory.iterdir()):
            if path.name in self._seen or FILE_NAME.fullmatch(path.name) is None:
                continue
            body = read_verified(path)
            if body is None:
                continue  # its checksum is not in place yet: a later poll takes it
            self._seen.add(path.name)
            f = parse_file(body)
            if f.kind is FileKind.INSTRUCTION and f.instruction_id and f.part_number:
                self._parts[(f.instruction_id, f.part_number)] = sha256_hex(body)
            self.apply(f)
            new += 1
        return new

    def apply(self, f: GatewayFile) -> None:
        cid = f.campaign_id
        if f.kind is FileKind.INSTRUCTION:
            assert f.stage is not None
            if f.firmware_version:
                self._versions[cid] = f.firmware_version
            for h in f.hubs:
                self.tasks[(cid, h.guid)] = Task(
                    cid, h.guid, f.stage, h.model, h.region, h.planned_at,
                    f.firmware_version or "FFFFFFFF",
                )  # fmt: skip
        elif f.kind is FileKind.INSTRUCTION_MANIFEST:
            self._check_manifest(f)
        elif f.kind is FileKind.DECISION:
            if f.decision in (RolloutDecision.PAUSE, RolloutDecision.SUSPEND):
                self._held_campaigns.add(cid)
            elif f.decision is RolloutDecision.RESUME:
                self._held_campaigns.discard(cid)
            elif f.decision is RolloutDecision.STOP:
                for k in [k for k in self.tasks if k[0] == cid]:
                    del self.tasks[k]
        elif f.kind in (FileKind.SLICE_PAUSE, FileKind.SLICE_RESUME):
            assert f.stage is not None and f.dimension is not None
            key = (cid, f.stage, f.dimension, f.slice_value or "*")
            pause = f.kind is FileKind.SLICE_PAUSE
            for guid, planned in f.slice_hubs:
                if pause:
                    self._held_hubs.add((cid, guid))
                else:
                    self._held_hubs.discard((cid, guid))
                    task = self.tasks.get((cid, guid))
                    if task is not None and planned is not None:
                        task.activate_at = planned
                    elif task is None and planned is not None:
                        # Instructed while the slice was paused, so held back before it
                        # reached us: the resume file is our first word of it.
                        self.tasks[(cid, guid)] = Task(
                            cid, guid, f.stage, f.slice_value if f.dimension is Dimension.MODEL
                            else None, f.slice_value if f.dimension is Dimension.REGION else None,
                            planned, self._versions.get(cid, "FFFFFFFF"),
                        )  # fmt: skip
            if pause:
                self._paused.add(key)
            else:
                self._paused.discard(key)

    def _check_manifest(self, f: GatewayFile) -> None:
        wrong = [
            p.number
            for p in f.parts
            if self._parts.get((f.instruction_id or "", p.number)) != p.sha256
        ]
        if wrong:
            self.manifest_problems.append(
                f"{f.instruction_id}: parts {wrong} missing or not as the manifest says"
            )
        else:
            self.manifests_verified += 1

    # --- doing the work -------------------------------------------------------------------

    def _held(self, t: Task) -> bool:
        if t.campaign_id in self._held_campaigns or (t.campaign_id, t.guid) in self._held_hubs:
            return True
        for cid, stage, dim, value in self._paused:
            if cid != t.campaign_id or stage is not t.stage:
                continue
            if dim is Dimension.OVERALL or (
                (dim is Dimension.MODEL and t.model == value)
                or (dim is Dimension.REGION and t.region == value)
            ):
                return True
        return False

    def _fails(self, t: Task) -> str | None:
        digest = hashlib.blake2b(
            f"{self.config.seed}:{t.campaign_id}:{t.guid}".encode(), digest_size=16
        ).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.config.rate_for(t.model, t.region):
            return None
        reasons = self.config.reasons or DEFAULT_REASONS
        return reasons[int.from_bytes(digest[8:], "big") % len(reasons)]

    def due(self, now: datetime) -> tuple[dict[str, list[dict[str, Any]]], StepReport]:
        report = StepReport()
        out: dict[str, list[dict[str, Any]]] = {}
        for t in self.tasks.values():
            if t.done:
                continue
            if self._held(t):
                report.held += 1
                continue
            batch = out.setdefault(t.campaign_id, [])
            if t.distributed_at is None and now >= t.activate_at - self.config.distribution_lead:
                batch.append({"guid": t.guid, "outcome": "distributed", "at": _iso(now)})
                t.distributed_at = now
                report.distributed += 1
            if t.distributed_at is not None and now >= t.activate_at:
                reason = self._fails(t)
                at = max(t.activate_at, t.distributed_at)
                result: dict[str, Any] = {"guid": t.guid, "at": _iso(at)}
                if reason is None:
                    result |= {"outcome": "activated", "firmware_version": t.firmware_version}
                    report.activated += 1
                else:
                    result |= {
                        "outcome": "failed",
                        "reason_code": reason,
                        "reason": f"simulated {reason} on {t.region or 'network'}",
                    }
                    report.failed += 1
                batch.append(result)
                t.done = True
        return {c: b for c, b in out.items() if b}, report

    def step(self) -> StepReport:
        """Read new files, then post every result that has fallen due by now."""
        files = self.poll()
        batches, report = self.due(self._clock.now())
        report.files = files
        for cid, results in batches.items():
            for i in range(0, len(results), self.config.batch_size):
                chunk = results[i : i + self.config.batch_size]
                r = self._client.post(
                    f"/api/v1/csp/campaigns/{cid}/activation-results",
                    json={"results": chunk},
                    headers=self._headers,
                )
                if r.status_code != 200:
                    raise RuntimeError(f"results refused ({r.status_code}): {r.text[:500]}")
                self.posted.append(r.json())
                report.posted += len(chunk)
        return report

    def next_event(self) -> datetime | None:
        """When the next unheld task has something to do."""
        times = [
            t.activate_at
            if t.distributed_at is not None
            else t.activate_at - self.config.distribution_lead
            for t in self.tasks.values()
            if not t.done and not self._held(t)
        ]
        return min(times) if times else None

    def run(
        self,
        *,
        until: datetime | None = None,
        max_steps: int = 10_000,
        advance: Callable[[datetime], None] | None = None,
        poll_seconds: float = 1.0,
        on_step: Callable[[StepReport], None] | None = None,
    ) -> StepReport:
        """Step until nothing is left to do (or `until`). `advance` moves a simulated clock to
        the next event; without it the simulator sleeps on the real clock, polling."""
        total = StepReport()
        for _ in range(max_steps):
            report = self.step()
            for name in ("files", "posted", "activated", "failed", "distributed"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.held = report.held
            if on_step is not None:
                on_step(report)
            nxt = self.next_event()
            now = self._clock.now()
            if until is not None and now >= until:
                break
            if advance is None:
                time.sleep(poll_seconds)
                continue
            if nxt is None:
                break
            target = max(nxt, now) if until is None else min(max(nxt, now), until)
            if target <= now and report.posted == 0 and report.files == 0:
                break
            advance(target)
        return total


def _iso(value: datetime) -> str:
    return value.isoformat()
