"""N80 as each supplier of an instruction's hubs may read it (BR3.3, BR5.1).

The instructing supplier learns what it asked, what is now planned (each time with its hub
count) and, per split hub, that a second supplier exists and whether it has instructed. The
other supplier of those split hubs learns only that a second supplier has instructed and the
resulting plan: never who, and never the time the first supplier asked for. Both copies stay
small however large the instruction (`planned_groups.alert_detail`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chfw_api.domain.alerts import HubInstructionState, InstructionStatus
from chfw_api.domain.instructions import HubPlan
from chfw_api.domain.planned_groups import PlannedGroup, alert_detail, group_plans
from chfw_api.domain.stages import DeploymentKind


def for_instructing_supplier(
    *,
    campaign_id: str,
    instruction_id: str,
    stage: DeploymentKind,
    requested_at: datetime,
    accepted: int,
    rejected: int,
    groups: tuple[PlannedGroup, ...],
    split: Sequence[HubPlan],
) -> InstructionStatus:
    """`groups` covers every accepted hub; `split` holds the plans of its split hubs."""
    carried, list_hubs, in_report = alert_detail(groups, len(split))
    hubs = (
        tuple(
            HubInstructionState(p.guid, True, p.second_supplier_instructed, p.planned_at)
            for p in split
        )
        if list_hubs
        else ()
    )
    return InstructionStatus(
        campaign_id=campaign_id,
        instruction_id=instruction_id,
        stage=stage,
        requested_activation_at=requested_at,
        planned_activation_at=groups[-1].planned_activation_at if groups else None,
        accepted=accepted,
        rejected=rejected,
        hubs=hubs,
        planned=carried,
        hubs_in_report=in_report,
    )


def for_other_supplier(
    *,
    campaign_id: str,
    instruction_id: str,
    stage: DeploymentKind,
    shared: Sequence[HubPlan],
) -> InstructionStatus:
    """The copy for the other supplier of the split hubs in `shared` (plans as the instructing
    supplier sees them: its "second supplier" is this recipient). Its counts are of these
    hubs alone, so it learns nothing of the rest of the instruction."""
    groups = group_plans((p.planned_at, p.waiting_for_second_supplier) for p in shared)
    carried, list_hubs, in_report = alert_detail(groups, len(shared))
    hubs = (
        tuple(HubInstructionState(p.guid, True, True, p.planned_at) for p in shared)
        if list_hubs
        else ()
    )
    return InstructionStatus(
        campaign_id=campaign_id,
        instruction_id=instruction_id,
        stage=stage,
        requested_activation_at=None,
        planned_activation_at=groups[-1].planned_activation_at if groups else None,
        accepted=len(shared),
        rejected=0,
        hubs=hubs,
        planned=carried,
        hubs_in_report=in_report,
    )
