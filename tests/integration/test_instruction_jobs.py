"""A large AllEligible SR 11.7 is answered I99 at once and completed by the worker in chunks,
each its own transaction; a worker killed mid-way (SIGKILL) and restarted finishes it without
instructing any hub twice (issue #12: whole-estate writes in bounded, resumable chunks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.gateway.writer import write_pending_files
from chfw_api.gateway.xml import FileKind, parse_file
from chfw_api.services import instructions
from chfw_api.services.instruction_jobs import advance_instruction_jobs
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line
from tests.integration.csp_fixtures import alerts

A = SUPPLIER_A
NS = sr.NS
HUBS = 120  # one per chunk in the kill test: enough chunks to be killed in the middle


def _votes(container: Container, supplier: str) -> Counter[str]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.guid FROM instruction_votes v JOIN parties p ON p.id = v.supplier_id "
                "WHERE p.code = :c"
            ),
            {"c": supplier},
        )
        return Counter(r[0] for r in rows)


def _job(container: Container) -> tuple[str, int, int]:
    with container.engine.connect() as conn:
        state, chunks, accepted = conn.execute(
            text("SELECT state, chunks, accepted FROM instruction_jobs")
        ).one()
    return str(state), int(chunks), int(accepted)


def _instruct_all(client: TestClient, estate: Estate, cid: str) -> tuple[str, str]:
    when = START + timedelta(days=120)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, when)))
    instruction_id = doc.findtext(".//sr:InstructionID", namespaces=NS)
    assert r.status_code == 202 and sr.code(doc) == "I99", r.text
    return str(instruction_id), r.text


def test_a_large_all_eligible_is_answered_at_once_and_completed_in_chunks(
    client: TestClient,
    estate: Estate,
    container: Container,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: BR3.8, BR3.5, BR5.1, BR3.3
    monkeypatch.setattr(instructions, "LARGE_INSTRUCTION_HUBS", 3)
    container.settings.gateway_root = tmp_path
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    mine = hubs.a_only + hubs.split_ab  # A serves 9 hubs; 4 are split with B
    instruction_id, _ = _instruct_all(client, estate, cid)
    assert _votes(container, A) == Counter()  # nothing done yet: the worker does it
    assert _job(container) == ("running", 0, 0)

    ran = advance_instruction_jobs(container.uow, container.clock.now, chunk=2)
    assert ran == 5  # 2 + 2 + 2 + 2 + 1
    assert _job(container) == ("done", 5, 9)
    assert _votes(container, A) == Counter(mine)  # every hub once
    assert advance_instruction_jobs(container.uow, container.clock.now, chunk=2) == 0

    # The instructing supplier gets one N80, when done, with the totals and planned dates.
    n80s = [x for x in alerts(container, "N80") if x.recipient == A]
    assert len(n80s) == 1
    body = n80s[0].doc
    assert body.findtext(".//sr:AcceptedCount", namespaces=NS) == "9"
    assert body.findtext(".//sr:HubsInReport", namespaces=NS) == "true"
    counts = [int(e.text) for e in body.iterfind(".//sr:PlannedActivation/sr:HubCount", NS)]
    assert sum(counts) == 9
    # B, the other supplier of the split hubs, learns of each of them (never A's date).
    to_b = [x for x in alerts(container, "N80") if x.recipient == SUPPLIER_B]
    assert sum(int(x.doc.findtext(".//sr:AcceptedCount", namespaces=NS)) for x in to_b) == 4
    assert all(x.doc.find(".//sr:RequestedActivationDateTime", NS) is None for x in to_b)

    # Each CSP gets its settled hubs in numbered parts, then one manifest naming them all.
    write_pending_files(container)
    for csp in ("CSP-C", "CSP-N"):
        folder = tmp_path / csp / "outbound"
        files = [parse_file(p.read_bytes()) for p in sorted(folder.glob("*.xml"))]
        parts = [f for f in files if f.kind is FileKind.INSTRUCTION]
        manifests = [f for f in files if f.kind is FileKind.INSTRUCTION_MANIFEST]
        if not parts:
            continue
        assert [p.part_number for p in parts] == list(range(1, len(parts) + 1))
        assert len(manifests) == 1 and len(manifests[0].parts) == len(parts)
        assert all(f.instruction_id == instruction_id for f in parts + manifests)


def test_a_worker_killed_mid_instruction_resumes_without_instructing_twice(
    client: TestClient,
    estate: Estate,
    container: Container,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: X4, X3
    monkeypatch.setattr(instructions, "LARGE_INSTRUCTION_HUBS", 50)
    guids = [guid_from_int(50_000 + i) for i in range(HUBS)]
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*[hub_line(g, importer=A) for g in guids]),
    )
    assert r.status_code == 200, r.text
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    instruction_id, _ = _instruct_all(client, estate, cid)

    # The worker's clock: the test's fake time (a shared clock file with a negative offset).
    clock_file = tmp_path / "clock"
    clock_file.write_text(f"{(START - datetime.now(UTC)).total_seconds():.6f}\n")
    env = {
        **os.environ,
        "CHFW_DATABASE_URL": database_url,
        "CHFW_CLOCK_FILE": str(clock_file),
        "CHFW_GATEWAY_ROOT": str(tmp_path / "gateway"),
        "CHFW_REPORTS_DIR": str(tmp_path / "reports"),
        "CHFW_INSTRUCTION_CHUNK_HUBS": "1",
        "CHFW_LOG_LEVEL": "WARNING",
    }

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "chfw_api.cli", "worker"], env=env,
            stdout=(tmp_path / "worker.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    first = worker()
    try:
        deadline = time.monotonic() + 60
        while _job(container)[1] < 10:
            assert time.monotonic() < deadline, "the worker never advanced the job"
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(10)
    state, chunks_at_kill, _ = _job(container)
    assert state == "running" and chunks_at_kill < HUBS, "killed too late to prove anything"
    second = worker()
    try:
        deadline = time.monotonic() + 120
        while _job(container)[0] != "done":
            assert time.monotonic() < deadline, "the restarted worker did not finish the job"
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    state, chunks, accepted = _job(container)
    assert (state, accepted) == ("done", HUBS)
    assert chunks == HUBS + 1  # a chunk per hub, and the empty one that found the end
    assert _votes(container, A) == Counter(guids)
    with container.engine.connect() as conn:
        parts = conn.execute(
            text(
                "SELECT part_number, hubs FROM instruction_parts WHERE instruction_id = :i "
                "ORDER BY part_number"
            ),
            {"i": instruction_id},
        ).all()
        planned = conn.execute(
            text(
                "SELECT count(*) FROM campaign_hubs WHERE status = 'instructed' AND guid IN "
                "(SELECT guid FROM instruction_votes)"
            )
        ).scalar_one()
    assert [p for p, _ in parts] == list(range(1, len(parts) + 1))  # no part twice, no gap
    assert sum(n for _, n in parts) == HUBS and planned == HUBS
    closing = [x for x in alerts(container, "N80") if x.recipient == A]
    assert len(closing) == 1


def test_a_chunk_waits_for_another_writer_of_its_campaign(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: BR3.8, BR3.3
    # A chunk and another writer of the same campaign's hubs (a supplier SR, a CSP upload: each
    # holds the campaign row) take turns, so they cannot lock shared hubs in opposite orders.
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's single writer lock already serialises every write")
    monkeypatch.setattr(instructions, "LARGE_INSTRUCTION_HUBS", 3)
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    _instruct_all(client, estate, cid)
    ran: list[int] = []

    def chunk() -> None:
        ran.append(
            advance_instruction_jobs(container.uow, container.clock.now, chunk=2, max_chunks=1)
        )

    with container.engine.connect() as writer:
        writer.execute(
            text("SELECT id FROM campaigns WHERE campaign_id = :c FOR UPDATE"), {"c": cid}
        )
        worker = threading.Thread(target=chunk)
        worker.start()
        worker.join(1.5)
        assert worker.is_alive()  # waiting for the campaign row
        assert _job(container) == ("running", 0, 0)
        writer.rollback()
    worker.join(30)
    assert ran == [1]
    assert _job(container)[:2] == ("running", 1)
