"""Composing the pilot group (A02, A04, AD05, AD09, AD10, RA03, C3, BR2.2, BR4).

The CSP proposes a default list; each supplier may replace its say with a preferred list
(explicit GUIDs or selection rules). A hub is in the pilot when every one of its current
suppliers says yes: its preferred list if it sent one, otherwise the CSP's default list. So a
split-supplier hub needs both suppliers (BR4). Production-proving hubs are always in (AD10),
excluded hubs never (RA03), and the group is capped (C3), keeping production-proving hubs, then
friendly customers (AD05), then a repeatable seeded order.

A sample by selection rules (BR2.2) must not read a 5,000,000-hub supplier to pick 300 hubs
(issue #12.4). Every hub has a fixed band, 1 of 16,384, from a hash of its GUID alone (stored
with the hub and indexed by supplier); the seed names the band a sample starts from and the
order within a band. Bands are read from that one onwards only until the sample is full, so a
sample reads about its own size in hubs, whatever the supplier's size. Each band is a
uniformly random slice of the estate, so the sample is a uniformly random one, and the seed's
starting band spreads samples of different seeds over the whole estate instead of always the
same homes.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_MAX_PILOT = 300  # C3: "assumed 200 to 300 hubs"
PILOT_BANDS = 16_384  # 2**14: a 5,000,000-hub supplier has about 300 hubs a band


class PilotCandidate(NamedTuple):
    """A hub as the pilot rules see it (a tuple: composing a 10,000,000-hub estate's group
    builds one for each of its 5,000 production-proving hubs, three times faster than a
    frozen dataclass)."""

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
    """The seeded order (MD5, as PostgreSQL's `md5(seed || ':' || guid)` orders it too)."""
    return hashlib.md5(f"{seed}:{guid}".encode(), usedforsecurity=False).digest()[:8]


def pilot_band(guid: str) -> int:
    """The hub's band: the first 14 bits of the MD5 of its GUID, fixed for the hub's life (the
    same function fills `hubs.pilot_band`; MD5 so that PostgreSQL can compute it too)."""
    return int(hashlib.md5(guid.encode(), usedforsecurity=False).hexdigest()[:4], 16) >> 2


def first_band(seed: int) -> int:
    """The band a seed's sample starts from."""
    digest = hashlib.blake2b(f"band:{seed}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % PILOT_BANDS


def _sample_key(seed: int, start: int) -> Callable[[PilotCandidate], tuple[bool, int, bytes]]:
    def key(c: PilotCandidate) -> tuple[bool, int, bytes]:
        band = (pilot_band(c.guid) - start) % PILOT_BANDS
        return (not c.friendly_customer, band, _rank(seed, c.guid))

    return key


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
    """The chosen candidates, by definition: friendly customers first (AD05), then the bands
    from the seed's first band onwards, then the seeded order within a band.

    `choose_by_bands` gives the same sample reading about one band of the supplier's hubs;
    this one reads every candidate, through a heap of the `wanted` best. A percentage needs
    the pool's size first: pass `pool_size`, or the pool is held to count it.
    """
    pool: Iterable[PilotCandidate] = (c for c in candidates if in_pool(c, rules))
    if rules.hub_count is None and pool_size is None:
        pool = list(pool)
        pool_size = len(pool)
    want = wanted(rules, pool_size or 0)
    return heapq.nsmallest(want, pool, key=_sample_key(rules.seed, first_band(rules.seed)))


BandRanges = tuple[tuple[int, int], ...]
"""Bands to read, as inclusive (first, last) ranges: at most two, as an arc may wrap."""


def choose_by_bands(
    read: Callable[[bool, BandRanges], Iterable[PilotCandidate]],
    rules: SelectionRules,
    want: int,
) -> list[PilotCandidate]:
    """The sample `choose_by_rules` defines, read band by band: `read(friendly, ranges)`
    gives the candidates (friendly customers or not) in those bands. Friendly customers come
    first; within each kind, bands are read from the seed's first band onwards, one, then as
    many more as the pool's density so far says are missing (a quarter over; at most three
    times as many as read so far, as one band says little of the density), until the pool
    holds `want` hubs: a candidate in a band not yet read sorts after every one read, so the
    sample is then complete."""
    start = first_band(rules.seed)
    key = _sample_key(rules.seed, start)
    chosen: list[PilotCandidate] = []
    for friendly in (True, False):
        need = want - len(chosen)
        if need <= 0:
            break
        found: list[PilotCandidate] = []
        done, width = 0, 1
        while done < PILOT_BANDS:
            found.extend(c for c in read(friendly, _arc(start + done, width)) if in_pool(c, rules))
            done += width
            if len(found) >= need:
                break
            missing = (need - len(found)) * 5 // 4 + 1
            guess = -(-missing * done // len(found)) if found else 2 * done
            width = min(PILOT_BANDS - done, max(1, min(guess, 3 * done)))
        chosen.extend(heapq.nsmallest(need, found, key=key))
    return chosen


def _arc(first: int, width: int) -> BandRanges:
    """`width` consecutive bands from `first` around the circle, as one or two ranges."""
    first %= PILOT_BANDS
    last = first + width - 1
    if last < PILOT_BANDS:
        return ((first, last),)
    return ((first, PILOT_BANDS - 1), (0, last - PILOT_BANDS))


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
