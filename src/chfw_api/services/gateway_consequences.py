"""The handlers that send CSPs their gateway files: the only callers of the `forward_*`
functions, each run by the handler table (`services/consequences.py`) in the transaction of
the event that caused it (docs/csp-gateway.md)."""

from __future__ import annotations

from chfw_api.domain.events import (
    CampaignMoved,
    HubsInstructed,
    PilotScheduleAccepted,
    PreferredPilotListAccepted,
    SliceDecisionMade,
)
from chfw_api.domain.gateway_files import FileKind, GatewayFile
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.services.gateway_outbound import (
    FORWARDED_DECISIONS,
    forward_decision,
    forward_instruction,
    forward_pilot_schedule,
    forward_preferred_pilot_list,
)
from chfw_api.services.unit_of_work import UnitOfWork


def send_preferred_pilot_list(event: PreferredPilotListAccepted, uow: UnitOfWork) -> None:
    """A04: the list to each CSP with the hubs on its network."""
    forward_preferred_pilot_list(
        uow,
        campaign_id=event.campaign_id,
        supplier_code=event.supplier_code,
        guids_by_csp=event.guids_by_csp,
        now=event.at,
        request_id=event.request_id,
    )


def send_pilot_schedule(event: PilotScheduleAccepted, uow: UnitOfWork) -> None:
    """A05: the schedule request to each CSP with the periods' hubs on its network."""
    forward_pilot_schedule(
        uow,
        campaign_id=event.campaign_id,
        supplier_code=event.supplier_code,
        periods_by_csp=event.periods_by_csp,
        now=event.at,
        constraints=event.constraints,
        request_id=event.request_id,
    )


def send_instruction(event: HubsInstructed, uow: UnitOfWork) -> None:
    """BR3.5: the instruction's parts (and manifest when complete) to each CSP."""
    event.forwarded.append(
        forward_instruction(
            uow,
            campaign_id=event.campaign_id,
            instruction_id=event.instruction_id,
            stage=event.stage,
            window_start=event.window_start,
            window_end=event.window_end,
            hubs_by_csp=event.hubs_by_csp,
            now=event.at,
            complete=event.complete,
        )
    )


def send_decisions(event: CampaignMoved, uow: UnitOfWork) -> None:
    """BR6.3-6.5: each pause, stop, suspend or resume to every CSP of the campaign."""
    for decision, reason in event.decisions:
        if decision in FORWARDED_DECISIONS:
            forward_decision(
                uow, campaign_id=event.campaign_id, decision=decision, reason=reason, now=event.at
            )


def send_slice_files(event: SliceDecisionMade, uow: UnitOfWork) -> None:
    """Each CSP holding unfinished hubs of the slice gets the file, with its own hubs (X2);
    instructions for the slice that come later are held back before they reach a CSP."""
    paused = event.decision is RolloutDecision.PAUSE
    kind = FileKind.SLICE_PAUSE if paused else FileKind.SLICE_RESUME
    for csp, hubs in sorted(event.hubs_by_csp.items()):
        uow.gateway.enqueue_file(
            GatewayFile(
                kind,
                csp,
                event.campaign_id,
                event.at,
                stage=event.slice.stage,
                dimension=event.slice.dimension,
                slice_value=event.label,
                reason=event.reason,
                slice_hubs=tuple(hubs),
            ),
            event.at,
        )
