"""SR 11.8 rows are read a page at a time along the supplier's (supplier, GUID) indexes (issue
#12: a 5,000,000-hub supplier's report costs its own size, page by page): whatever the page
size, every row comes once, in GUID order, filters and all."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.services import estate_status
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate


def _rows(
    container: Container, code: str, batch: int, **filters: object
) -> list[tuple[object, ...]]:
    with container.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(code)
        assert party is not None
        return [
            tuple(r)
            for r in uow.estate.rows(
                party.id,
                campaign=filters.get("campaign"),  # type: ignore[arg-type]
                status=filters.get("status"),  # type: ignore[arg-type]
                guids=None,
                batch=batch,
            )
        ]


def test_every_page_size_gives_the_same_rows_once_in_order(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.3
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    with container.engine.begin() as conn:  # a few failed hubs, spread out
        conn.execute(
            text("UPDATE campaign_hubs SET status = 'failed' WHERE guid IN (:a, :b)"),
            {"a": hubs.a_only[4], "b": hubs.split_ab[3]},
        )
    for code in (SUPPLIER_A, SUPPLIER_B):
        whole = _rows(container, code, 10_000)
        guids = [r[0] for r in whole]
        assert guids == sorted(guids) and len(guids) == len(set(guids))
        for batch in (1, 2, 3, 7):
            assert _rows(container, code, batch) == whole, (code, batch)
            failed = _rows(container, code, batch, campaign=cid, status="failed")
            assert failed == [r for r in whole if r[5] == "failed"], (code, batch)
    mine = {r[0] for r in _rows(container, SUPPLIER_A, 3)}
    assert set(hubs.a_only + hubs.split_ab) <= mine and not mine & set(hubs.b_only)


def test_a_report_one_worker_holds_is_left_to_it_by_another(
    client: TestClient,
    estate: Estate,
    container: Container,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers list the same pending report: the one that claimed it writes it, the other
    passes over it (bench/soak.py found two workers renaming one temporary file)."""
    load_hubs(client, estate)
    monkeypatch.setattr(estate_status, "SYNC_LIMIT", 1)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.8", sr.status()))
    assert sr.code(doc) == "I99", r.text
    report_id = str(doc.findtext(".//sr:ReportID", namespaces=sr.NS))
    directory = tmp_path / "reports"
    if container.engine.dialect.name == "postgresql":
        with container.uow() as holder:  # another worker, mid-way through this report
            assert holder.estate.claim_report(report_id)
            assert (
                estate_status.produce_reports(container.uow, container.clock, directory=directory)
                == 0
            )
            assert not (directory / f"{report_id}.csv").exists()
    assert estate_status.produce_reports(container.uow, container.clock, directory=directory) == 1
    assert estate_status.produce_reports(container.uow, container.clock, directory=directory) == 0
    with container.uow() as uow:
        assert not uow.estate.claim_report(report_id)  # ready: nobody takes it again


def test_two_processes_numbering_reports_at_once_get_distinct_numbers(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """Two API processes queueing an SR 11.8 report at the same moment each get their own
    number (bench/soak.py found both counting the same rows: a duplicate key and a 500). The
    first holds its transaction open while the second asks; the second waits, then counts the
    first's row."""
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: one cannot wait on another")
    load_hubs(client, estate)
    with container.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(SUPPLIER_A)
        assert party is not None
    numbers: list[int] = []

    def queue(report_number_hold: threading.Event | None) -> None:
        with container.uow() as uow:
            n = uow.estate.next_report_number()
            numbers.append(n)
            uow.estate.add_report(
                report_id=f"RPT-{n:06d}",
                supplier_id=party.id,
                request_id=f"req-{n}-{len(numbers)}",
                now=container.clock.now(),
                params={},
            )
            if report_number_hold is not None:
                report_number_hold.set()
                time.sleep(0.5)  # the other process asks while this one has not committed
            uow.commit()

    held = threading.Event()
    first = threading.Thread(target=queue, args=(held,))
    first.start()
    assert held.wait(10)
    queue(None)
    first.join(10)
    assert sorted(numbers) == [1, 2]


def test_the_report_size_is_counted_only_as_far_as_the_choice_needs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.3
    # Whether SR 11.8 answers at once or in a report needs only to know if the rows pass the
    # limit: the count stops one past it, and is exact below it, with or without a campaign.
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    with container.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(SUPPLIER_A)
        assert party is not None
        for campaign in (None, cid, "CMP-999999"):
            whole = len(list(uow.estate.rows(party.id, campaign=campaign, status=None,
                                             guids=None, batch=100)))  # fmt: skip
            for at_most in (1, 3, whole, whole + 5):
                got = uow.estate.count(party.id, campaign=campaign, status=None, guids=None,
                                       at_most=at_most)  # fmt: skip
                assert got == min(whole, at_most), (campaign, at_most)
            assert (whole > 3) == (campaign != "CMP-999999")
