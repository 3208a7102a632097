"""Supplier Service Requests: who may send them, replay protection, and dispatch (X2, X3).

The HTTP adapter parses and validates the XML, then asks here: is the originator the caller
(E1) and a supplier (E2) that is active (E3)? Which certificate must have signed it? Has this
counter been used? Only then is the command run, each in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from chfw_api.domain.clock import Clock
from chfw_api.domain.parties import Caller, PartyKind, PartyStatus
from chfw_api.domain.service_request_results import (
    IncidentRaised,
    Refusal,
    ServiceRequestRefused,
    ServiceResult,
)
from chfw_api.domain.service_requests import (
    InstructDeployment,
    RaiseIncident,
    ReadDashboard,
    ReadFirmwareStatus,
    RequestHeader,
    ServiceRequest,
    SubmitPreferredPilotList,
    SubmitPreferredPilotSchedule,
)
from chfw_api.services import estate_status, incidents, instructions, pilot_lists
from chfw_api.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Sender:
    """The checked originator of a request and the certificate its signature must verify with."""

    caller: Caller
    certificate_pem: str | None


def authorise(uow: UnitOfWork, *, caller: Caller, header: RequestHeader) -> Sender:
    if caller.kind is not PartyKind.SUPPLIER:
        raise ServiceRequestRefused(
            Refusal.ROLE_NOT_ALLOWED, f"a {caller.kind} may not send Service Requests"
        )
    if header.originator != caller.code:
        raise ServiceRequestRefused(
            Refusal.UNKNOWN_USER,
            f"the RequestID names originator {header.originator}; this API key is {caller.code}",
        )
    if caller.status is not PartyStatus.ACTIVE:
        raise ServiceRequestRefused(Refusal.USER_NOT_ACTIVE, f"{caller.code} is {caller.status}")
    with uow:
        party = uow.parties.get_by_code(caller.code)
    if party is None:
        raise ServiceRequestRefused(Refusal.UNKNOWN_USER, f"{caller.code} is not registered")
    return Sender(caller, party.signing_certificate_pem)


def consume_counter(uow: UnitOfWork, clock: Clock, *, header: RequestHeader) -> None:
    """X3: the counter must rise strictly per originator. Consumed in its own transaction, so
    a replay acts on nothing even if the first request was refused for another reason."""
    with uow:
        fresh = uow.requests.consume_counter(header.originator, header.counter, clock.now())
        if not fresh:
            raise ServiceRequestRefused(
                Refusal.REPLAYED,
                f"counter {header.counter} is not above the last one used by {header.originator}",
            )
        uow.commit()


def execute(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    command: ServiceRequest,
    pilot: pilot_lists.PilotSettings,
) -> ServiceResult:
    if isinstance(command, SubmitPreferredPilotList):
        return pilot_lists.submit_preferred_pilot_list(
            uow, clock, caller=caller, command=command, settings=pilot
        )
    if isinstance(command, SubmitPreferredPilotSchedule):
        return pilot_lists.submit_pilot_schedule(uow, clock, caller=caller, command=command)
    if isinstance(command, InstructDeployment):
        return instructions.instruct(uow, clock, caller=caller, command=command).result
    if isinstance(command, ReadFirmwareStatus):
        return estate_status.read_status(uow, clock, caller=caller, command=command)
    if isinstance(command, ReadDashboard):
        return estate_status.read_dashboard(uow, clock, caller=caller, command=command)
    if isinstance(command, RaiseIncident):
        incident = incidents.raise_incident(
            uow,
            clock,
            caller=caller,
            campaign_id=command.campaign_id,
            severity=command.severity.value,
            description=command.description,
            guids=command.guids,
            emergency_stop_requested=command.emergency_stop,
        )
        return IncidentRaised(
            incident_id=incident.incident_id,
            emergency_stop_requested=incident.emergency_stop_requested,
        )
    raise TypeError(f"unknown service request {type(command).__name__}")
