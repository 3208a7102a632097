"""A named SR 11.7 of more than one chunk is screened at once (each rejected GUID answered with
its reason, BR5.2), answered I99 and completed by the worker in chunks, as a large AllEligible
is (issue #12: a 300,000-GUID list held the campaign lock for 38.6 s in one transaction)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis.schema import validate
from chfw_api.gateway.writer import write_pending_files
from chfw_api.gateway.xml import FileKind, parse_file
from chfw_api.services import instruction_jobs, instructions
from chfw_api.services.instruction_jobs import advance_instruction_jobs
from tests.conftest import START
from tests.integration import snapshot
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import Hubs, create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.csp_fixtures import alerts
from tests.integration.test_instruction_jobs import _votes

A = SUPPLIER_A
NS = sr.NS
WHEN = START + timedelta(days=120)


def _rejected(doc: object) -> dict[str, str]:
    return {
        e.findtext("sr:DeviceID", namespaces=NS): e.findtext("sr:ReasonCode", namespaces=NS)
        for e in doc.iterfind(".//sr:RejectedDevice", NS)  # type: ignore[attr-defined]
    }


@pytest.fixture
def large(
    client: TestClient, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> tuple[Hubs, str, list[str]]:
    """A campaign of the test estate, with "large" meaning more than 3 GUIDs; A's 9 hubs (4
    split with B)."""
    monkeypatch.setattr(instructions, "LARGE_INSTRUCTION_HUBS", 3)
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    return hubs, cid, hubs.a_only + hubs.split_ab


def test_a_guid_named_twice_is_instructed_once_and_its_repeat_rejected(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.2, BR3.5
    # The repeat is rejected; the first naming stands, with its vote and plan like any other.
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    mine = hubs.a_only + hubs.split_ab
    named = [*mine, mine[0]]
    r, doc = sr.post(
        client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, WHEN, named))
    )
    assert r.status_code == 200, r.text
    assert doc.findtext(".//sr:AcceptedCount", namespaces=NS) == str(len(mine))
    assert list(_rejected(doc)) == [mine[0]]
    assert _votes(container, A) == Counter(mine)
    with container.engine.connect() as conn:
        planned = conn.execute(
            text("SELECT status FROM campaign_hubs WHERE guid = :g"), {"g": mine[0]}
        ).scalar_one()
    assert planned == "instructed"


def _job_guids(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM instruction_job_guids")).scalar_one())


def _job(container: Container) -> tuple[str, int, int, int]:
    with container.engine.connect() as conn:
        row = conn.execute(
            text("SELECT state, chunks, accepted, rejected FROM instruction_jobs")
        ).one()
    return str(row[0]), int(row[1]), int(row[2]), int(row[3])


def test_a_large_named_list_answers_its_rejections_at_once_and_the_worker_completes_it(
    client: TestClient,
    estate: Estate,
    container: Container,
    tmp_path: Path,
    large: tuple[Hubs, str, list[str]],
) -> None:
    # covers: BR5.2, BR3.5, BR5.1, BR3.3
    container.settings.gateway_root = tmp_path
    hubs, cid, mine = large
    unknown = guid_from_int(0xFEED)
    named = [*mine, hubs.b_only[0], unknown, mine[2]]
    body = sr.envelope(A, "11.7", sr.instruction(cid, WHEN, named))
    r, doc = sr.post(client, estate.supplier_a, body)

    # Screened now: each rejected GUID with its reason, the accepted count, an InstructionID,
    # in a response valid against our DUIS schema.
    assert r.status_code == 202 and sr.code(doc) == "I99", r.text
    validate(doc)
    assert doc.findtext(".//sr:AcceptedCount", namespaces=NS) == "9"
    rejected = _rejected(doc)
    assert rejected == {hubs.b_only[0]: "E4", unknown: "E19", mine[2]: "E110711"}
    instruction_id = doc.findtext(".//sr:InstructionID", namespaces=NS)
    assert instruction_id
    # Nothing instructed yet: the accepted GUIDs wait for the worker.
    assert _votes(container, A) == Counter()
    assert _job(container) == ("running", 0, 0, 3) and _job_guids(container) == 9

    ran = advance_instruction_jobs(container.uow, container.clock.now, chunk=2)
    assert ran == 5  # 2 + 2 + 2 + 2 + 1
    assert _job(container) == ("done", 5, 9, 3)
    assert _votes(container, A) == Counter(mine)  # each once, the repeated one included
    assert _job_guids(container) == 0  # each chunk forgot the GUIDs it did

    # One N80 to A when done, with the totals; B learns of each split hub.
    closing = [x.doc for x in alerts(container, "N80") if x.recipient == A]
    assert len(closing) == 1
    assert closing[0].findtext(".//sr:InstructionID", namespaces=NS) == instruction_id
    assert closing[0].findtext(".//sr:AcceptedCount", namespaces=NS) == "9"
    assert closing[0].findtext(".//sr:RejectedCount", namespaces=NS) == "3"
    to_b = [x for x in alerts(container, "N80") if x.recipient == SUPPLIER_B]
    assert sum(int(x.doc.findtext(".//sr:AcceptedCount", namespaces=NS)) for x in to_b) == 4

    # The CSPs get exactly the settled hubs (the split ones wait for B), in parts.
    write_pending_files(container)
    sent: list[str] = []
    for folder in tmp_path.glob("*/outbound"):
        for f in (parse_file(p.read_bytes()) for p in sorted(folder.glob("*.xml"))):
            if f.kind is FileKind.INSTRUCTION:
                assert f.instruction_id == instruction_id
                sent += [h.guid for h in f.hubs]
    assert Counter(sent) == Counter(hubs.a_only)


def _instructed_one_chunk(
    client: TestClient, estate: Estate, container: Container, cid: str, guids: list[str]
) -> None:
    """A's list answered I99, and the worker's first chunk (4 hubs) done."""
    r, doc = sr.post(
        client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, WHEN, guids))
    )
    assert sr.code(doc) == "I99", r.text
    assert advance_instruction_jobs(container.uow, container.clock.now, chunk=4, max_chunks=1) == 1


def test_a_named_chunk_that_fails_is_redone_and_nothing_is_instructed_twice(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    large: tuple[Hubs, str, list[str]],
) -> None:
    # covers: X4
    # A chunk forgets its GUIDs in its own transaction: one that dies leaves them for the redo.
    _hubs, cid, mine = large
    _instructed_one_chunk(client, estate, container, cid, mine)

    real = instruction_jobs.steps.record
    calls = 0

    def dies_once(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            real(*args, **kwargs)  # type: ignore[arg-type]
            raise RuntimeError("the worker dies before its chunk commits")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(instruction_jobs.steps, "record", dies_once)
    with pytest.raises(RuntimeError):
        advance_instruction_jobs(container.uow, container.clock.now, chunk=4)
    assert _job(container)[:3] == ("running", 1, 4) and _job_guids(container) == 5
    assert advance_instruction_jobs(container.uow, container.clock.now, chunk=4) == 2
    assert _job(container)[:3] == ("done", 3, 9) and _job_guids(container) == 0
    assert _votes(container, A) == Counter(mine)


def test_a_large_named_dry_run_and_a_list_with_nothing_accepted_record_nothing(
    client: TestClient,
    estate: Estate,
    container: Container,
    large: tuple[Hubs, str, list[str]],
) -> None:
    # covers: X5, BR5.2
    hubs, cid, mine = large
    before = snapshot.take(container.engine)
    dry = sr.envelope(A, "11.7", sr.instruction(cid, WHEN, mine, dry_run=True))
    r, doc = sr.post(client, estate.supplier_a, dry)
    assert r.status_code == 200 and sr.code(doc) == "I0", r.text  # answered in full, at once
    assert doc.findtext(".//sr:AcceptedCount", namespaces=NS) == "9"
    others = sr.envelope(A, "11.7", sr.instruction(cid, WHEN, hubs.b_only))
    r, doc = sr.post(client, estate.supplier_a, others)
    assert sr.code(doc) == "E110707", r.text
    assert set(_rejected(doc)) == set(hubs.b_only)
    # Not a row or file changed but A's RequestID counter (X3), now the second request's.
    counter = int(re.findall(rb"<sr:RequestID>[^<]*:(\d+)</sr:RequestID>", others)[0])
    snapshot.assert_unchanged(
        before, snapshot.take(container.engine), [snapshot.counter_consumed(A, counter)]
    )


def test_a_large_list_is_screened_without_the_campaign_and_checks_its_stage_under_it(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    large: tuple[Hubs, str, list[str]],
) -> None:
    # covers: BR6.4, X5
    # Screening reads only, so other writers of the campaign are not kept waiting by it; the
    # stage is checked again under the campaign row, so a pause meanwhile refuses the list.
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's single writer lock serialises the whole request")
    _hubs, cid, mine = large
    real = instructions.steps.screen
    paused: list[snapshot.Snapshot] = []

    def paused_while_screening(*args: object, **kwargs: object) -> object:
        with container.engine.begin() as other:  # would wait here if the row were held
            other.execute(
                text("UPDATE campaigns SET stage = 'Paused', resume_stage = stage "
                     "WHERE campaign_id = :c"), {"c": cid},
            )  # fmt: skip
        # Everything as it stands once paused (the RequestID counter already consumed, X3).
        paused.append(snapshot.take(container.engine))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(instructions.steps, "screen", paused_while_screening)
    r, doc = sr.post(
        client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, WHEN, mine))
    )
    assert sr.code(doc) == "E110706", r.text
    snapshot.assert_unchanged(paused[0], snapshot.take(container.engine))


def _set_stage(container: Container, cid: str, stage: str) -> None:
    with container.engine.begin() as conn:
        conn.execute(
            text("UPDATE campaigns SET resume_stage = CASE WHEN :s = 'Paused' THEN stage END, "
                 "stage = :s WHERE campaign_id = :c"), {"s": stage, "c": cid},
        )  # fmt: skip


def test_a_named_job_waits_while_paused_and_forgets_its_guids_when_stopped(
    client: TestClient,
    estate: Estate,
    container: Container,
    large: tuple[Hubs, str, list[str]],
) -> None:
    # covers: BR6.4, BR6.5
    _hubs, cid, mine = large
    _instructed_one_chunk(client, estate, container, cid, mine)
    _set_stage(container, cid, "Paused")
    assert advance_instruction_jobs(container.uow, container.clock.now, chunk=4) == 0
    assert _job(container)[:3] == ("running", 2, 4) and _job_guids(container) == 5  # waits

    _set_stage(container, cid, "Stopped")
    assert advance_instruction_jobs(container.uow, container.clock.now, chunk=4) == 1
    assert _job(container)[:3] == ("stopped", 3, 4) and _job_guids(container) == 0
    assert len(_votes(container, A)) == 4  # the first chunk's, nothing after the stop
    closing = [x.doc for x in alerts(container, "N80") if x.recipient == A]
    assert [d.findtext(".//sr:AcceptedCount", namespaces=NS) for d in closing] == ["4"]
