"""Outbound gateway files: queued with the change that causes them, written atomically from the
outbox, in order, with checksums; rollout decisions reach the CSPs; no path escapes the root."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis.schema import load_schema
from chfw_api.gateway.files import FILE_NAME, read_verified
from chfw_api.gateway.writer import write_pending_files
from chfw_api.gateway.xml import FileKind, parse_file
from chfw_api.services.gateway_outbound import (
    forward_instruction,
    forward_pilot_schedule,
    forward_preferred_pilot_list,
)
from tests.conftest import START
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.csp_fixtures import campaign


def _dropped(root: Path, csp: str) -> list[Path]:
    folder = root / csp / "outbound"
    return (
        sorted(p for p in folder.iterdir() if FILE_NAME.fullmatch(p.name))
        if folder.exists()
        else []
    )


def test_forwarded_lists_schedules_and_instructions_land_in_order_valid_and_checked(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: A04, A05, DD01, BR3.5, X4
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate)
    h, cid, now = s.hubs, s.campaign_id, container.clock.now()
    with container.uow() as uow:
        forward_preferred_pilot_list(
            uow,
            campaign_id=cid,
            supplier_code=SUPPLIER_A,
            guids_by_csp={"CSP-N": h.split_ab[:2], "CSP-C": h.a_only[:2]},
            now=now,
        )
        forward_pilot_schedule(
            uow,
            campaign_id=cid,
            supplier_code=SUPPLIER_A,
            periods_by_csp={
                "CSP-C": [
                    SchedulePeriod(
                        START + timedelta(days=8),
                        START + timedelta(days=9),
                        "w",
                        tuple(h.a_only[:2]),
                    )
                ]
            },
            constraints=["WEEKDAYS-ONLY"],
            now=now,
        )
        sent = forward_instruction(
            uow,
            campaign_id=cid,
            instruction_id="INS-000001",
            stage=DeploymentKind.PILOT,
            window_start=START + timedelta(days=8),
            window_end=START + timedelta(days=9),
            hubs_by_csp={"CSP-C": [(g, START + timedelta(days=8, hours=2)) for g in h.a_only[:2]]},
            now=now,
        )
        uow.commit()
    assert (sent.hubs, sent.held) == (2, [])
    assert _dropped(tmp_path, "CSP-C") == []  # nothing on disk until the writer runs
    assert write_pending_files(container) == 5
    assert write_pending_files(container) == 0  # each file is written once
    files = _dropped(tmp_path, "CSP-C")
    assert [FILE_NAME.fullmatch(p.name)["kind"] for p in files] == [  # type: ignore[index]
        "preferred-pilot-list",
        "preferred-pilot-schedule",
        "instruction",
        "instruction-manifest",
    ]
    schema = load_schema()
    for p in files + _dropped(tmp_path, "CSP-N"):
        body = read_verified(p)
        assert body is not None, f"{p.name} does not match its checksum"
        assert schema.validate(etree.fromstring(body)), schema.error_log
    instruction = parse_file(files[2].read_bytes())
    assert instruction.kind is FileKind.INSTRUCTION
    assert [(x.guid, x.model, x.region) for x in instruction.hubs] == [
        (g, "KC-200", "Central") for g in h.a_only[:2]
    ]
    assert instruction.firmware_version == "0100A300"
    assert instruction.part_number == 1
    manifest = parse_file(files[3].read_bytes())
    seq = int(FILE_NAME.fullmatch(files[2].name)["seq"])  # type: ignore[index]
    assert [(p.number, p.file_sequence, p.hubs) for p in manifest.parts] == [(1, seq, 2)]
    assert manifest.parts[0].sha256 == hashlib.sha256(files[2].read_bytes()).hexdigest()
    north = parse_file(_dropped(tmp_path, "CSP-N")[0].read_bytes())
    assert north.guids == tuple(sorted(h.split_ab[:2]))  # each CSP only its own network


def test_a_rollout_decision_reaches_every_csp_of_the_campaign(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: BR6.3, BR6.4, BR6.5
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate)
    for decision in ("pause", "resume", "proceed", "stop"):
        r = client.post(
            f"/api/v1/campaigns/{s.campaign_id}/decisions",
            headers=estate.dcc,
            json={"decision": decision, "reason": f"triage: {decision}"},
        )
        assert r.status_code == 200, r.text
    write_pending_files(container)
    for csp in ("CSP-N", "CSP-C"):
        got = [parse_file(p.read_bytes()) for p in _dropped(tmp_path, csp)]
        assert [(f.decision.value if f.decision else None, f.reason) for f in got] == [
            ("pause", "triage: pause"),
            ("resume", "triage: resume"),
            ("stop", "triage: stop"),  # proceed changes nothing on the network
        ]


def test_no_file_can_be_queued_for_a_name_that_would_escape_the_root(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: X2
    container.settings.gateway_root = tmp_path / "root"
    s = campaign(client, estate)
    with container.engine.begin() as conn:  # a row no registration would allow
        conn.execute(
            text(
                "INSERT INTO parties (kind, code, name, status, is_import_supplier, "
                "is_gas_supplier, created_at) VALUES ('csp', '../../evil', 'x', 'active', "
                "false, false, :t)"
            ),
            {"t": START},
        )
    with container.uow() as uow, pytest.raises(InvalidIdentifier):
        uow.gateway.enqueue("../../evil", "decision", s.campaign_id, b"<x/>", START)
    with container.uow() as uow, pytest.raises(InvalidIdentifier):
        uow.gateway.enqueue("CSP-N", "../../x", s.campaign_id, b"<x/>", START)
    with container.uow() as uow, pytest.raises(InvalidIdentifier):
        uow.gateway.enqueue("CSP-N", "decision", "../CMP", b"<x/>", START)
    assert not (tmp_path / "evil").exists()


WRITER = """
import sys
from pathlib import Path
from chfw_api.bootstrap import build
from chfw_api.config import Settings
from chfw_api.gateway.writer import write_pending_files
c = build(Settings(database_url=sys.argv[1], gateway_root=Path(sys.argv[2]), gateway_claim_size=1))
write_pending_files(c)
"""


def test_a_writer_killed_mid_run_loses_no_file_and_leaves_none_half_written(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: X4
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate)
    body = b"<x>" + b"y" * (2 * 1024 * 1024) + b"</x>"
    with container.uow() as uow:
        ids = [
            uow.gateway.enqueue("CSP-C", "instruction", s.campaign_id, body, START)
            for _ in range(24)
        ]
        uow.commit()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, container.settings.database_url, str(tmp_path)]
    )
    deadline = time.monotonic() + 60
    while len(_dropped(tmp_path, "CSP-C")) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    for p in _dropped(tmp_path, "CSP-C"):  # what the killed writer left is whole
        assert read_verified(p) == body
    write_pending_files(container)  # the next run finishes the job
    files = _dropped(tmp_path, "CSP-C")
    assert [int(p.name[:12]) for p in files] == ids
    assert all(read_verified(p) == body for p in files)
    with container.uow(read_only=True) as uow:
        assert uow.gateway.claim(100) == []


def test_a_writer_claim_holds_a_bounded_size_of_files(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    # Instruction parts are megabytes each: a claim takes files in order up to a byte budget
    # (at least one), so a backlog never sits in the worker's memory all at once.
    s = campaign(client, estate)
    with container.uow() as uow:
        for _ in range(5):
            uow.gateway.enqueue(
                "CSP-N", "decision", s.campaign_id, b"<x>" + b"a" * 1000 + b"</x>", START
            )
        uow.commit()
    with container.uow() as uow:
        before = [f.id for f in uow.gateway.claim(10_000)]
    mine = before[-5:]
    with container.uow() as uow:
        uow.gateway.mark_written(before[:-5], START)
        uow.commit()
    with container.uow() as uow:
        assert [f.id for f in uow.gateway.claim(10_000, max_bytes=2_500)] == mine[:2]
        assert [f.id for f in uow.gateway.claim(10_000, max_bytes=10)] == mine[:1]
        assert [f.id for f in uow.gateway.claim(3, max_bytes=10**9)] == mine[:3]
