"""The alert handler: the one place DCC Alerts enter the transactional outbox.

Every event that owes alerts (`domain.events.OwesAlerts`) comes here when its use case commits,
in the order the events were recorded, inside the same transaction: so an alert is stored, with
its webhook deliveries, exactly when its cause is (X4), and at-least-once delivery is unchanged.
"""

from __future__ import annotations

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.events import CampaignMoved, OwesAlerts
from chfw_api.services.unit_of_work import UnitOfWork


def store_alerts(event: OwesAlerts, uow: UnitOfWork) -> None:
    """Store the event's alerts (rendered through the port bootstrap wires), then fan them out
    to the webhook subscriptions; note their IDs on the event."""
    if not event.alerts:
        return
    ids = uow.outbox.add(event.alerts, now=event.at)
    event.stored.extend(ids)


def audit_campaign_alerts(event: CampaignMoved, uow: UnitOfWork) -> None:
    """X1: which alerts a campaign move stored, by code, with the first and last ID."""
    if not event.stored:
        return
    codes: dict[str, int] = {}
    for p in event.alerts:
        code = p.code or p.message.code
        codes[code] = codes.get(code, 0) + 1
    uow.audit.append(
        [
            AuditRecord(
                at=event.at,
                actor=event.actor,
                action="alerts.stored",
                subject=f"campaign:{event.campaign_id}",
                reason=f"owed by {event.action}",
                after={"codes": codes, "first": event.stored[0], "last": event.stored[-1]},
            )
        ]
    )
