"""Keep the campaign hub tallies small: fold each connection's partial counts into one.

The counts themselves are kept exact by the database in the same statement as every hub change
(persistence/tables/tallies.py); this job only bounds how many partial rows a read sums.
"""

from __future__ import annotations

from collections.abc import Callable

from chfw_api.services.unit_of_work import UnitOfWork


def fold_hub_tallies(uow_factory: Callable[[], UnitOfWork]) -> int:
    """One short transaction; returns how many partial rows were folded."""
    with uow_factory() as uow:
        folded = uow.campaigns.fold_hub_tallies()
        uow.commit()
    return folded
