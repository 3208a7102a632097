"""AD09 (a worker job): two months after notification, DCC chooses the pilot hubs of each
supplier that sent no preferred list (`pilot_lists.py` holds the suppliers' own SR 11.5/11.6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign.views import SupplierShare
from chfw_api.domain.clock import Clock
from chfw_api.domain.deadlines import preferred_list_due
from chfw_api.domain.events import PilotListsChosenByDcc
from chfw_api.domain.pilot import SelectionRules
from chfw_api.domain.stages import Stage
from chfw_api.services.pilot_lists import PilotSettings, recompose
from chfw_api.services.pilot_samples import sample
from chfw_api.services.unit_of_work import UnitOfWork


def select_for_silent_suppliers(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, settings: PilotSettings
) -> int:
    """AD09 (worker job): two months after notification, DCC picks the minimum number of pilot
    hubs for each supplier that sent no preferred list, by a repeatable sample, and tells it
    (N72 listing the hubs chosen on its behalf). Returns the suppliers selected for."""
    now = clock.now()
    with uow_factory() as uow:
        due = [
            c.campaign_id
            for c in uow.campaigns.list_all(active_only=True)
            if c.pilot_planned
            and c.effective_stage in (Stage.NOTIFIED, Stage.PILOTING)
            and now >= preferred_list_due(c)
        ]
    selected = 0
    for campaign_id in due:
        with uow_factory() as uow:
            campaign = uow.campaigns.get(campaign_id, for_update=True)
            if campaign is None:
                continue
            row_id = uow.campaigns.internal_id(campaign_id)
            listed = uow.pilot.suppliers_with_lists(campaign_id)
            owed = [
                _choose_for(uow, share, campaign_id, row_id, settings, now)
                for share in uow.campaigns.supplier_shares(campaign_id)
                if share.party_id not in listed
            ]
            selected += len(owed)
            if owed:
                recompose(uow, campaign, row_id, settings)
                uow.record(PilotListsChosenByDcc(campaign_id=campaign_id, at=now, alerts=owed))
                uow.audit.append(
                    [
                        AuditRecord(
                            at=now,
                            actor="system",
                            action="pilot.selected_by_dcc",
                            subject=f"campaign:{campaign_id}",
                            reason="AD09: no preferred pilot list within two months",
                            after={"suppliers": [p.recipient for p in owed]},
                        )
                    ]
                )
                uow.commit()
    return selected


def _choose_for(
    uow: UnitOfWork,
    share: SupplierShare,
    campaign_id: str,
    row_id: int,
    settings: PilotSettings,
    now: datetime,
) -> a.PendingAlert:
    """AD09 for one silent supplier: a repeatable sample of its sole-supplier hubs stored as
    its list (chosen by DCC); returns the N72 it is owed."""
    rules = SelectionRules(hub_count=settings.minimum_per_supplier, seed=row_id)
    chosen = sample(uow, row_id=row_id, supplier_id=share.party_id, rules=rules,
                    want=settings.minimum_per_supplier,
                    keep=lambda c: not c.production_proving and len(c.suppliers) == 1)  # fmt: skip
    guids = sorted(c.guid for c in chosen)
    uow.pilot.replace_preferred_list(
        campaign_id=campaign_id,
        supplier_id=share.party_id,
        guids=guids,
        request_id="DCC-AD09",
        now=now,
        rules={"hub_count": settings.minimum_per_supplier, "seed": row_id},
        chosen_by_dcc=True,
    )
    return a.PendingAlert(
        recipient_party_id=share.party_id,
        recipient=share.user_id,
        campaign_id=campaign_id,
        message=a.DefaultPilotList(campaign_id=campaign_id, guids=tuple(guids)),
    )
