"""Composing the pilot group (A02, A04, AD05, AD09, AD10, RA03, C3, BR2.2, BR4).

The CSP proposes a default list; each supplier may replace its say with a preferred list
(explicit GUIDs or selection rules). A hub is in the pilot when every one of its current
suppliers says yes: its preferred list if it sent one, otherwise the CSP's default list. So a
split-supplier hub needs both suppliers (BR4). Production-proving hubs are always in (AD10),
excluded hubs never (RA03), and the group is capped (C3), keeping production-proving hubs, then
friendly customers (AD05), then a repeatable seeded order.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_MAX_PILOT = 300  # C3: "assumed 200 to 300 hubs"


@dataclass(frozen=True, slots=True)
class PilotCandidate:
    guid: str
    import_supplier_id: int | None
    gas_supplier_id: int | None
    csp_region: str
    model: str
    production_proving: bool = False
    friendly_customer: bool = False
    pilot_excluded: bool = False

    @property
    def suppliers(self) -> frozenset[int]:
        return frozenset(s for s in (self.import_supplier_id, self.gas_supplier_id) if s)


@dataclass(frozen=True)
class SelectionRules:
    """BR2.2: a share of a supplier's eligible hubs, by count or percentage, optionally limited
    to regions and models, never the excluded GUIDs; `seed` makes the sample repeatable."""

    hub_count: int | None = None
    percentage: float | None = None
    regions: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    seed: int = 0


def _rank(seed: int, guid: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{guid}".encode(), digest_size=8).digest()


def in_pool(c: PilotCandidate, rules: SelectionRules) -> bool:
    """May the rules pick this candidate at all (BR2.2 filters, RA03 exclusions)?"""
    return (
        not c.pilot_excluded
        and c.guid not in rules.exclude
        and (not rules.regions or c.csp_region in rules.regions)
        and (not rules.models or c.model in rules.models)
    )


def wanted(rules: SelectionRules, pool_size: int) -> int:
    """How many hubs the rules ask for out of a pool of `pool_size`."""
    if rules.hub_count is not None:
        return max(0, rules.hub_count)
    if rules.percentage is not None:
        return max(0, math.ceil(pool_size * rules.percentage / 100))
    return 0


def choose_by_rules(
    candidates: Iterable[PilotCandidate], rules: SelectionRules, *, pool_size: int | None = None
) -> list[PilotCandidate]:
    """The chosen candidates: friendly customers first (AD05), then seeded order.

    Memory follows the sample, not the supplier: the candidates stream through a heap of the
    `wanted` best (a 5,000,000-hub supplier's 300-hub sample holds 300). A percentage needs
    the pool's size first: pass `pool_size` (counted with `in_pool` over a first stream), or
    the pool is held to count it.
    """
    pool: Iterable[PilotCandidate] = (c for c in candidates if in_pool(c, rules))
    if rules.hub_count is None and pool_size is None:
        pool = list(pool)
        pool_size = len(pool)
    want = wanted(rules, pool_size or 0)
    return heapq.nsmallest(
        want, pool, key=lambda c: (not c.friendly_customer, _rank(rules.seed, c.guid))
    )


def select_by_rules(candidates: Iterable[PilotCandidate], rules: SelectionRules) -> list[str]:
    """Sample a supplier's own candidates (BR2.2): the chosen GUIDs, sorted."""
    return sorted(c.guid for c in choose_by_rules(candidates, rules))


@dataclass(frozen=True)
class PilotComposition:
    members: tuple[str, ...]
    dropped_for_size: tuple[str, ...]
    excluded: tuple[str, ...]
    awaiting_other_supplier: tuple[str, ...]


def compose(
    candidates: Iterable[PilotCandidate],
    *,
    default_list: frozenset[str] | None,
    preferred: Mapping[int, frozenset[str]],
    max_size: int = DEFAULT_MAX_PILOT,
    seed: int = 0,
) -> PilotComposition:
    chosen: list[PilotCandidate] = []
    excluded: list[str] = []
    waiting: list[str] = []
    for c in candidates:
        if c.pilot_excluded:
            if _wanted_by_anyone(c, default_list, preferred):
                excluded.append(c.guid)
            continue
        if c.production_proving:
            chosen.append(c)
            continue
        votes = [_vote(c.guid, s, default_list, preferred) for s in c.suppliers] or [
            default_list is not None and c.guid in default_list
        ]
        if all(votes):
            chosen.append(c)
        elif any(votes):
            waiting.append(c.guid)
    chosen.sort(key=lambda c: (not c.production_proving, not c.friendly_customer,
                               _rank(seed, c.guid)))  # fmt: skip
    keep = chosen[:max_size]
    return PilotComposition(
        members=tuple(sorted(c.guid for c in keep)),
        dropped_for_size=tuple(sorted(c.guid for c in chosen[max_size:])),
        excluded=tuple(sorted(excluded)),
        awaiting_other_supplier=tuple(sorted(waiting)),
    )


def _vote(
    guid: str,
    supplier: int,
    default_list: frozenset[str] | None,
    preferred: Mapping[int, frozenset[str]],
) -> bool:
    if supplier in preferred:
        return guid in preferred[supplier]
    return default_list is not None and guid in default_list


def _wanted_by_anyone(
    c: PilotCandidate,
    default_list: frozenset[str] | None,
    preferred: Mapping[int, frozenset[str]],
) -> bool:
    return (default_list is not None and c.guid in default_list) or any(
        c.guid in preferred.get(s, frozenset()) for s in c.suppliers
    )


def shortfall(
    composition_members: Sequence[str],
    candidates: Iterable[PilotCandidate],
    *,
    minimum: int,
) -> dict[int, int]:
    """AD09: how many more pilot hubs each supplier with eligible hubs needs to reach the
    minimum (suppliers already at the minimum, or with too few hubs to reach it, are capped)."""
    members = set(composition_members)
    have: dict[int, int] = {}
    available: dict[int, int] = {}
    for c in candidates:
        for s in c.suppliers:
            available[s] = available.get(s, 0) + (0 if c.pilot_excluded else 1)
            if c.guid in members:
                have[s] = have.get(s, 0) + 1
    return {
        s: need
        for s, total in available.items()
        if (need := min(minimum, total) - have.get(s, 0)) > 0
    }
