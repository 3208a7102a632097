"""The handler table (services/consequences.py): every event has its consequences listed, they
run in the order listed, and the alert handler is the one way into the outbox."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from chfw_api.domain import alerts as a
from chfw_api.domain import events
from chfw_api.domain.gateway_files import FileKind
from chfw_api.domain.guardrails import Dimension, SliceKey
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services import consequences
from chfw_api.services.alert_outbox import store_alerts
from chfw_api.services.gateway_consequences import send_slice_files

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def _n83(report_id: str = "R1") -> a.PendingAlert:
    return a.PendingAlert(7, SUPPLIER, a.ReportReady(report_id, f"/api/v1/reports/{report_id}", 3))


class _Outbox:
    def __init__(self) -> None:
        self.calls: list[list[a.PendingAlert]] = []

    def add(self, alerts: Any, *, now: datetime) -> list[str]:
        self.calls.append(list(alerts))
        return [f"DCC:{p.recipient}:{i}" for i, p in enumerate(alerts, start=1)]


class _Gateway:
    def __init__(self) -> None:
        self.files: list[Any] = []

    def enqueue_file(self, f: Any, now: datetime) -> int:
        self.files.append(f)
        return len(self.files)


class _Uow:
    def __init__(self) -> None:
        self.outbox = _Outbox()
        self.gateway = _Gateway()


def _concrete_events() -> list[type[events.DomainEvent]]:
    bases = {events.DomainEvent, events.OwesAlerts}
    return [
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, events.DomainEvent) and cls not in bases
    ]


def test_every_domain_event_has_its_consequences_listed() -> None:
    missing = [cls.__name__ for cls in _concrete_events() if cls not in consequences.HANDLERS]
    assert missing == []
    # An event owing alerts that nobody stores would lose them.
    owing = [cls for cls in _concrete_events() if issubclass(cls, events.OwesAlerts)]
    assert [c.__name__ for c in owing if store_alerts not in consequences.HANDLERS[c]] == []


def test_an_event_nobody_listed_is_an_error_not_a_silent_no_op() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Unlisted(events.DomainEvent):
        pass

    with pytest.raises(LookupError, match="Unlisted"):
        consequences.handle(Unlisted(), _Uow())


def test_handlers_run_in_the_order_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    table = dict(consequences.HANDLERS)
    table[events.EstateReportReady] = [
        lambda e, uow: ran.append("first"),
        lambda e, uow: ran.append("second"),
    ]
    monkeypatch.setattr(consequences, "HANDLERS", table)
    consequences.handle(events.EstateReportReady(report_id="R1", at=NOW), _Uow())
    assert ran == ["first", "second"]


def test_the_alert_handler_stores_the_alerts_in_order_and_notes_their_ids() -> None:
    uow = _Uow()
    event = events.EstateReportReady(report_id="R1", at=NOW, alerts=[_n83("R1"), _n83("R2")])
    store_alerts(event, uow)
    assert [[p.message.report_id for p in call] for call in uow.outbox.calls] == [["R1", "R2"]]
    assert event.stored == [f"DCC:{SUPPLIER}:1", f"DCC:{SUPPLIER}:2"]


def test_an_event_owing_no_alerts_leaves_the_outbox_alone() -> None:
    uow = _Uow()
    store_alerts(events.PilotProgressReported(campaign_id="CMP-000001", at=NOW), uow)
    assert uow.outbox.calls == []


def test_a_slice_decision_sends_each_csp_its_own_hubs_only() -> None:
    uow = _Uow()
    key = SliceKey(DeploymentKind.PILOT, Dimension.MODEL, "HubMaster-3")
    event = events.SliceDecisionMade(
        campaign_id="CMP-000001",
        slice=key,
        decision=RolloutDecision.PAUSE,
        reason="too many failures",
        label="HubMaster-3",
        hubs_by_csp={"CSP-S": [("G2", None)], "CSP-N": [("G1", NOW)]},
        at=NOW,
    )
    send_slice_files(event, uow)
    assert [(f.csp_id, f.kind, f.slice_hubs) for f in uow.gateway.files] == [
        ("CSP-N", FileKind.SLICE_PAUSE, (("G1", NOW),)),
        ("CSP-S", FileKind.SLICE_PAUSE, (("G2", None),)),
    ]
