"""The outbox renders alerts while other writes of the same transaction run beside it: both
commit together, a failure on either side stores nothing, and no alert is lost."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.alerts import HubActivated, PendingAlert
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.services.unit_of_work import UnitOfWork
from tests.integration.conftest import SUPPLIER_A, Estate


def _alerts(c: Container, n: int) -> list[PendingAlert]:
    with c.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(SUPPLIER_A)
    assert party is not None
    return [
        PendingAlert(party.id, party.code, HubActivated(guid_from_int(i), "0100A2F3"))
        for i in range(1, n + 1)
    ]


def _counts(c: Container) -> tuple[int, int]:
    with c.engine.connect() as conn:
        alerts = conn.execute(text("SELECT count(*) FROM alerts")).scalar_one()
        marks = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'test.alongside'")
        ).scalar_one()
    return int(alerts), int(marks)


def _mark(uow: UnitOfWork) -> None:
    """A write of the same transaction that has nothing to do with the alerts."""
    now = datetime.now(UTC)
    uow.audit.append([AuditRecord(at=now, actor="test", action="test.alongside", subject="x")])


def test_the_other_writes_run_in_another_thread_and_commit_with_the_alerts(
    container: Container, estate: Estate
) -> None:
    # covers: X4
    pending = _alerts(container, 500)
    threads: list[str] = []
    with container.uow() as uow:

        def other() -> None:
            threads.append(threading.current_thread().name)
            _mark(uow)

        ids = uow.outbox.add(pending, now=container.clock.now(), alongside=other)
        uow.commit()
    assert len(ids) == 500 and len(set(ids)) == 500
    assert threads and threads[0] != threading.current_thread().name
    assert _counts(container) == (500, 1)


def test_a_failure_beside_the_alerts_stores_neither(container: Container, estate: Estate) -> None:
    # covers: X4
    pending = _alerts(container, 200)
    with pytest.raises(RuntimeError, match="disk on fire"), container.uow() as uow:

        def other() -> None:
            _mark(uow)
            raise RuntimeError("disk on fire")

        uow.outbox.add(pending, now=container.clock.now(), alongside=other)
        uow.commit()
    assert _counts(container) == (0, 0)


def test_with_no_alerts_the_other_writes_still_happen(container: Container, estate: Estate) -> None:
    with container.uow() as uow:
        assert uow.outbox.add([], now=container.clock.now(), alongside=lambda: _mark(uow)) == []
        uow.commit()
    assert _counts(container) == (0, 1)
