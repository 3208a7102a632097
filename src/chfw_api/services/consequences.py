"""What happens when: the one table from each domain event to its consequences.

A use case records events on its unit of work (`uow.record(event)`); when it commits, the unit
of work hands each event, in the order recorded, to `handle`, which runs the event's handlers
below in order, inside the same transaction and before the commit, and then the events those
handlers record. So the transactional outbox and at-least-once delivery are as before: a
consequence is kept exactly when its cause is.

To add a consequence (a new channel such as email), write a handler `(event, uow) -> None`
in its own module and add it to the lists of the events it follows: one line per event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chfw_api.domain import events as e
from chfw_api.services.alert_outbox import audit_campaign_alerts, store_alerts
from chfw_api.services.email_notices import email_campaign_notices
from chfw_api.services.gateway_consequences import (
    send_decisions,
    send_instruction,
    send_pilot_schedule,
    send_preferred_pilot_list,
    send_slice_files,
)
from chfw_api.services.unit_of_work import UnitOfWork

# The event's own type, as each handler declares it; the table keys it by that type.
Handler = Callable[[Any, UnitOfWork], None]

HANDLERS: Mapping[type[e.DomainEvent], Sequence[Handler]] = {
    # campaigns: stage changes (audited by the use case, one row each; N70-N79, N81)
    # (email after the alerts: each email is named by the alert it mirrors, issue #14)
    e.CampaignMoved: [send_decisions, store_alerts, audit_campaign_alerts, email_campaign_notices],
    # pilot
    e.PreferredPilotListAccepted: [send_preferred_pilot_list],  # A04 file
    e.PilotScheduleAccepted: [send_pilot_schedule],  # A05 file
    e.PilotListsChosenByDcc: [store_alerts],  # AD09: N72
    # instructions
    e.HubsInstructed: [send_instruction],  # BR3.5 parts + manifest
    e.InstructionRecorded: [store_alerts],  # N80
    e.InstructionChunkRecorded: [store_alerts],  # N80 to other suppliers
    e.InstructionJobFinished: [store_alerts],  # N80 with totals
    # CSP gateway: uploads, results, guardrails
    e.CspUploadAccepted: [store_alerts],  # N72 / N73 / N76, each supplier its own hubs
    e.ActivationResultsReceived: [store_alerts],  # N63 / N82
    e.PilotProgressReported: [store_alerts],  # N74 progress
    e.SliceDecisionMade: [store_alerts, send_slice_files, email_campaign_notices],  # N81 + files
    # incidents
    e.IncidentRaised: [],  # SR 11.10: audited by the use case; DCC triages (BR6.3-6.5)
    # reports
    e.EstateReportReady: [store_alerts],  # N83
}


def handle(event: e.DomainEvent, uow: UnitOfWork) -> None:
    """Run `event`'s consequences in table order; an event with no entry is a programming
    error, not a silent no-op."""
    try:
        handlers = HANDLERS[type(event)]
    except KeyError:
        raise LookupError(f"no consequences listed for {event.name}") from None
    for handler in handlers:
        handler(event, uow)
