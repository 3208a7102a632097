"""The unit of work dispatches recorded events through the handler table inside its
transaction: on commit, in order, including events the handlers record; never on rollback."""

from __future__ import annotations

from typing import Any

import pytest

from chfw_api.bootstrap import Container
from chfw_api.domain import alerts as a
from chfw_api.domain import events
from chfw_api.services import consequences
from chfw_api.services.alert_outbox import store_alerts
from tests.integration.conftest import SUPPLIER_A, Estate


def _n83(party_id: int, report_id: str) -> a.PendingAlert:
    message = a.ReportReady(report_id, f"/api/v1/reports/{report_id}", 1)
    return a.PendingAlert(party_id, SUPPLIER_A, message)


def _supplier_id(c: Container) -> int:
    with c.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(SUPPLIER_A)
        assert party is not None
        return party.id


def test_recorded_events_are_handled_when_the_use_case_commits(
    container: Container, estate: Estate
) -> None:
    pid = _supplier_id(container)
    with container.uow() as uow:
        event = events.EstateReportReady(
            report_id="R1", at=container.clock.now(), alerts=[_n83(pid, "R1")]
        )
        uow.record(event)
        assert uow.outbox.count(code="N83") == 0  # nothing happens before the commit
        uow.commit()
    assert len(event.stored) == 1
    with container.uow(read_only=True) as uow:
        assert uow.outbox.count(code="N83") == 1


def test_events_of_a_transaction_left_without_commit_have_no_consequences(
    container: Container, estate: Estate
) -> None:
    pid = _supplier_id(container)
    with container.uow() as uow:
        uow.record(events.EstateReportReady(report_id="R1", at=container.clock.now(),
                                            alerts=[_n83(pid, "R1")]))  # fmt: skip
    with container.uow() as uow:  # a later commit does not deliver the abandoned event
        uow.commit()
    with container.uow(read_only=True) as uow:
        assert uow.outbox.count(code="N83") == 0


def test_events_recorded_by_handlers_are_handled_before_the_commit(
    container: Container, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _supplier_id(container)
    later = events.PilotProgressReported(
        campaign_id="CMP-000001", at=container.clock.now(), alerts=[_n83(pid, "R2")]
    )

    def cascade(event: Any, uow: Any) -> None:
        uow.record(later)

    table = dict(consequences.HANDLERS)
    table[events.EstateReportReady] = [store_alerts, cascade]
    monkeypatch.setattr(consequences, "HANDLERS", table)
    first = events.EstateReportReady(
        report_id="R1", at=container.clock.now(), alerts=[_n83(pid, "R1")]
    )
    with container.uow() as uow:
        uow.record(first)
        uow.commit()
    with container.uow(read_only=True) as uow:
        bodies = [body for _, body in uow.outbox.bodies()]
    assert len(bodies) == 2
    assert "R1" in bodies[0] and "R2" in bodies[1]  # in the order they happened
    assert int(first.stored[0].rsplit(":", 1)[1]) < int(later.stored[0].rsplit(":", 1)[1])
