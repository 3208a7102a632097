"""Incidents raised by suppliers and the rollout decisions DCC takes on campaigns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chfw_api.domain.campaign.events import RolloutDecisionMade
from chfw_api.domain.incidents import Incident, IncidentStatus, PendingEffect, RolloutDecision
from chfw_api.domain.releases import Severity
from chfw_api.domain.stages import Stage
from chfw_api.persistence.ids import next_ids
from chfw_api.persistence.tables import DecisionRow, IncidentRow

_FIELDS = (
    "incident_id",
    "campaign_id",
    "raised_by",
    "raised_at",
    "description",
    "emergency_stop_requested",
    "decided_by",
    "decided_at",
    "decision_reason",
)


class IncidentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._rows: dict[str, IncidentRow] = {}

    def next_number(self) -> int:
        return next_ids(self._s, IncidentRow.id, 1)[0]

    def add(self, incident: Incident, *, number: int) -> None:
        row = IncidentRow(id=number, **self._values(incident))
        self._s.add(row)
        self._s.flush()
        self._rows[incident.incident_id] = row

    @staticmethod
    def _values(i: Incident) -> dict[str, object]:
        values: dict[str, object] = {k: getattr(i, k) for k in _FIELDS}
        values.update(
            severity=i.severity.value,
            guids=list(i.guids),
            status=i.status.value,
            decision=i.decision.value if i.decision else None,
        )
        return values

    def _to_incident(self, row: IncidentRow) -> Incident:
        self._rows[row.incident_id] = row
        return Incident(
            severity=Severity(row.severity),
            guids=tuple(row.guids),
            status=IncidentStatus(row.status),
            decision=RolloutDecision(row.decision) if row.decision else None,
            **{k: getattr(row, k) for k in _FIELDS},
        )

    def get(self, incident_id: str) -> Incident | None:
        row = self._s.scalar(
            select(IncidentRow).where(IncidentRow.incident_id == incident_id).with_for_update()
        )
        return None if row is None else self._to_incident(row)

    def save(self, incident: Incident) -> None:
        row = self._rows[incident.incident_id]
        for k, v in self._values(incident).items():
            setattr(row, k, v)
        self._s.flush()

    def list_all(
        self, *, campaign_id: str | None = None, status: IncidentStatus | None = None
    ) -> list[Incident]:
        stmt = select(IncidentRow).order_by(IncidentRow.id)
        if campaign_id is not None:
            stmt = stmt.where(IncidentRow.campaign_id == campaign_id)
        if status is not None:
            stmt = stmt.where(IncidentRow.status == status.value)
        return [self._to_incident(r) for r in self._s.scalars(stmt)]


class DecisionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, event: RolloutDecisionMade) -> None:
        self._s.add(
            DecisionRow(
                campaign_id=event.campaign_id,
                decision=event.decision.value,
                actor=event.actor,
                at=event.at,
                reason=event.reason,
                incident_id=event.incident_id,
                pending_effect=event.pending_effect.value,
                before_stage=(event.before or event.after).value,
                after_stage=event.after.value,
                new_end=event.new_end,
            )
        )

    def list_for(self, campaign_id: str) -> list[RolloutDecisionMade]:

        rows = self._s.scalars(
            select(DecisionRow)
            .where(DecisionRow.campaign_id == campaign_id)
            .order_by(DecisionRow.id)
        )
        return [
            RolloutDecisionMade(
                campaign_id=r.campaign_id,
                at=r.at,
                actor=r.actor,
                reason=r.reason,
                before=Stage(r.before_stage),
                after=Stage(r.after_stage),
                decision=RolloutDecision(r.decision),
                incident_id=r.incident_id,
                new_end=r.new_end,
                pending_effect=PendingEffect(r.pending_effect),
            )
            for r in rows
        ]
