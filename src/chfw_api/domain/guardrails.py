"""Guardrails: failure thresholds that pause one slice of a rollout at once (beyond the paper).

A campaign stage (Pilot, SafeLaunch) is watched as a whole and sliced by supplier, device model
and CSP region. Each rule says, for one stage and one dimension, the highest failure rate
tolerated and the smallest sample that may be judged: a slice of 3 results with 2 failures says
little, so it is never paused on that evidence. A slice whose rate goes over its threshold is
paused pending DCC triage; the rest of the rollout goes on. When DCC lifts a pause, the figures
at the lift become the slice's baseline, so only results after the lift can trip it again.

Pure functions over counts; the service reads the counts with one grouped query.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.stages import DeploymentKind


class Dimension(enum.StrEnum):
    OVERALL = "overall"
    SUPPLIER = "supplier"
    MODEL = "model"
    REGION = "region"


OVERALL_VALUE = "*"


@dataclass(frozen=True, slots=True)
class GuardrailRule:
    stage: DeploymentKind
    dimension: Dimension
    max_failure_rate: float
    min_sample: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_failure_rate <= 1.0:
            raise ValueError(f"max_failure_rate must be 0..1, got {self.max_failure_rate}")
        if self.min_sample < 1:
            raise ValueError(f"min_sample must be at least 1, got {self.min_sample}")


@dataclass(frozen=True, slots=True, order=True)
class SliceKey:
    """One slice: a stage, a dimension and its value (a supplier's party id as text, a model,
    a region, or `*` for the whole stage)."""

    stage: DeploymentKind
    dimension: Dimension
    value: str


@dataclass(frozen=True, slots=True)
class Figures:
    """Finished hubs of a slice: `total` with a result (activated or failed), `failed` of them."""

    total: int = 0
    failed: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.total + other.total, self.failed + other.failed)

    def __sub__(self, other: Figures) -> Figures:
        return Figures(max(0, self.total - other.total), max(0, self.failed - other.failed))

    @property
    def rate(self) -> float:
        return self.failed / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class FinishedGroup:
    """One row of the grouped count: hubs sharing stage, model, region and suppliers."""

    in_pilot: bool
    model: str
    region: str
    import_supplier_id: int | None
    gas_supplier_id: int | None
    activated: int
    failed: int


@dataclass(frozen=True, slots=True)
class Trip:
    key: SliceKey
    figures: Figures
    rule: GuardrailRule

    def reason(self, *, label: str | None = None) -> str:
        """The figures as the decision's reason. `label` replaces the slice value (a supplier
        slice is named to others without its User ID, BR3.3)."""
        f, r = self.figures, self.rule
        where = (
            f"the whole {self.key.stage} stage"
            if self.key.dimension is Dimension.OVERALL
            else f"{self.key.dimension} slice {label or self.key.value} in stage {self.key.stage}"
        )
        return (
            f"guardrail: {f.failed} of {f.total} hubs failed ({f.rate:.1%}) in {where}, over the "
            f"{r.max_failure_rate:.1%} threshold (minimum sample {r.min_sample}); slice paused "
            "pending DCC triage"
        )


def stage_of(in_pilot: bool) -> DeploymentKind:
    return DeploymentKind.PILOT if in_pilot else DeploymentKind.SAFE_LAUNCH


def figures_by_slice(groups: Iterable[FinishedGroup]) -> dict[SliceKey, Figures]:
    """Add each group to every slice it belongs to. A split-supplier hub counts once for each of
    its two suppliers; a hub with the same IS and GS counts once."""
    out: dict[SliceKey, Figures] = {}

    def add(key: SliceKey, f: Figures) -> None:
        out[key] = out.get(key, Figures()) + f

    for g in groups:
        stage = stage_of(g.in_pilot)
        f = Figures(g.activated + g.failed, g.failed)
        add(SliceKey(stage, Dimension.OVERALL, OVERALL_VALUE), f)
        add(SliceKey(stage, Dimension.MODEL, g.model), f)
        add(SliceKey(stage, Dimension.REGION, g.region), f)
        for supplier in {s for s in (g.import_supplier_id, g.gas_supplier_id) if s is not None}:
            add(SliceKey(stage, Dimension.SUPPLIER, str(supplier)), f)
    return out


def effective_rules(
    defaults: Sequence[GuardrailRule], overrides: Sequence[GuardrailRule]
) -> list[GuardrailRule]:
    """The campaign's own rule for a (stage, dimension) wins over the configured default."""
    merged = {(r.stage, r.dimension): r for r in defaults}
    merged.update({(r.stage, r.dimension): r for r in overrides})
    return [merged[k] for k in sorted(merged)]


def evaluate(
    figures: Mapping[SliceKey, Figures],
    rules: Sequence[GuardrailRule],
    *,
    paused: Iterable[SliceKey] = (),
    baselines: Mapping[SliceKey, Figures] | None = None,
) -> list[Trip]:
    """Slices over their threshold with at least the minimum sample, not already paused.

    `baselines`: figures at the latest lift of a slice; only what came after counts.
    """
    by_pair = {(r.stage, r.dimension): r for r in rules}
    held = set(paused)
    base = baselines or {}
    trips: list[Trip] = []
    for key in sorted(figures):
        rule = by_pair.get((key.stage, key.dimension))
        if rule is None or key in held:
            continue
        f = figures[key] - base.get(key, Figures())
        if f.total >= rule.min_sample and f.rate > rule.max_failure_rate:
            trips.append(Trip(key, f, rule))
    return trips


def in_slice(
    key: SliceKey,
    *,
    in_pilot: bool,
    model: str,
    region: str,
    import_supplier_id: int | None,
    gas_supplier_id: int | None,
) -> bool:
    """Whether a hub with these attributes falls in `key` (to skip paused slices)."""
    if stage_of(in_pilot) is not key.stage:
        return False
    if key.dimension is Dimension.OVERALL:
        return True
    if key.dimension is Dimension.MODEL:
        return model == key.value
    if key.dimension is Dimension.REGION:
        return region == key.value
    return key.value in {str(s) for s in (import_supplier_id, gas_supplier_id) if s is not None}


@dataclass(frozen=True, slots=True)
class SlicePause:
    id: int
    campaign_id: str
    key: SliceKey
    paused_at: datetime
    reason: str
    figures: Figures
    max_failure_rate: float
    min_sample: int
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    label: str = ""  # how DCC reads the slice: a supplier's User ID rather than its party id


@dataclass(frozen=True, slots=True)
class HubAttributes:
    in_pilot: bool
    model: str
    region: str
    import_supplier_id: int | None
    gas_supplier_id: int | None
