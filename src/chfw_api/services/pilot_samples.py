"""Samples of a supplier's hubs for its pilot list: by its selection rules (BR2.2, SR 11.5)
or by DCC for a silent supplier (AD09).

A sample reads the supplier's hubs a band at a time (`domain.pilot.choose_by_bands`), about
its own size in hubs whatever the supplier's size; a share's pool is counted from the
campaign's tallies, not by reading the supplier's hubs (issue #12.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chfw_api.domain.pilot import (
    BandRanges,
    PilotCandidate,
    SelectionRules,
    choose_by_bands,
    in_pool,
    wanted,
)
from chfw_api.domain.service_request_results import Refusal, ServiceRequestRefused
from chfw_api.services.unit_of_work import UnitOfWork


def sample(
    uow: UnitOfWork,
    *,
    row_id: int,
    supplier_id: int,
    rules: SelectionRules,
    want: int,
    keep: Callable[[PilotCandidate], bool],
) -> list[PilotCandidate]:
    """`want` of the supplier's campaign hubs that `keep` accepts, in the rules' order."""

    def read(friendly: bool, bands: BandRanges) -> list[PilotCandidate]:
        found = uow.pilot.supplier_candidates_in_bands(
            row_id, supplier_id, friendly=friendly, bands=bands
        )
        return [c for c in found if keep(c)]

    return choose_by_bands(read, rules, want)


def sample_by_rules(
    uow: UnitOfWork, *, row_id: int, supplier_id: int, rules: SelectionRules, cap: int
) -> list[PilotCandidate]:
    """The supplier's sample by its rules (production-proving hubs are in every group
    anyway, AD10). Rules that would choose more than the group holds (C3) are refused from
    the pool's size, before any hub is read: 10% of a 5,000,000-hub supplier would otherwise
    sample 500,000 hubs only to be refused."""
    # A share needs the pool's size first, and so does a count over the cap.
    pool = None
    if rules.hub_count is None or rules.hub_count > cap:
        pool = pool_size(uow, row_id=row_id, supplier_id=supplier_id, rules=rules)
    want = wanted(rules, pool or 0)
    if pool is not None and min(want, pool) > cap:
        raise ServiceRequestRefused(
            Refusal.PILOT_TOO_LARGE,
            f"{min(want, pool)} hubs chosen; a pilot holds at most {cap} (C3)",
        )
    return sample(uow, row_id=row_id, supplier_id=supplier_id, rules=rules, want=want,
                  keep=lambda c: not c.production_proving)  # fmt: skip


def pool_size(uow: UnitOfWork, *, row_id: int, supplier_id: int, rules: SelectionRules) -> int:
    """The rules' pool: counted from the tallies, less the excluded GUIDs that would be in it."""
    counted = uow.pilot.pool_size(row_id, supplier_id, regions=rules.regions, models=rules.models)
    unfiltered = replace(rules, exclude=frozenset())
    named = uow.pilot.named_candidates(row_id, supplier_id, rules.exclude)
    return counted - sum(1 for c in named if not c.production_proving and in_pool(c, unfiltered))
