"""Instructions reach a CSP in parts of at most 50,000 hubs, then a manifest (#12: files of sane
size a CSP can act on as they arrive): parts numbered across transactions, every part named in
the manifest with its file's sequence and checksum, which the simulated CSP verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from chfw_api.domain.csp_uploads import PART_HUBS
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.files import FILE_NAME, read_verified, sha256_hex
from chfw_api.gateway.simulator import CspSimulator, SimConfig
from chfw_api.gateway.writer import write_pending_files
from chfw_api.gateway.xml import FileKind, parse_file
from chfw_api.services import gateway_outbound
from chfw_api.services import parties as party_service
from chfw_api.services.gateway_outbound import forward_instruction
from tests.conftest import START
from tests.integration.conftest import Estate
from tests.integration.csp_fixtures import campaign


def _files(root: Path, csp: str) -> list[Path]:
    folder = root / csp / "outbound"
    return sorted(p for p in folder.iterdir() if FILE_NAME.fullmatch(p.name))


def _forward(container: Container, cid: str, guids: list[str], *, complete: bool) -> None:
    with container.uow() as uow:
        forward_instruction(
            uow,
            campaign_id=cid,
            instruction_id="INS-000042",
            stage=DeploymentKind.SAFE_LAUNCH,
            window_start=START + timedelta(days=40),
            window_end=START + timedelta(days=40),
            hubs_by_csp={"CSP-C": [(g, START + timedelta(days=40)) for g in guids]},
            now=container.clock.now(),
            complete=complete,
        )
        uow.commit()


def test_parts_numbered_across_transactions_and_one_manifest_names_them(
    client: TestClient,
    estate: Estate,
    container: Container,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: BR3.5, DD01
    assert PART_HUBS == 50_000  # the documented part size; 3 here keeps the test small
    monkeypatch.setattr(gateway_outbound, "PART_HUBS", 3)
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate, pilot=False)
    hubs = s.hubs.a_only + s.hubs.elec  # 7 hubs on CSP-C's network
    _forward(container, s.campaign_id, hubs[:4], complete=False)  # parts 1 (3) and 2 (1)
    _forward(container, s.campaign_id, hubs[4:], complete=True)  # part 3 (3), then manifest
    write_pending_files(container)
    files = _files(tmp_path, "CSP-C")
    parsed = [parse_file(p.read_bytes()) for p in files]
    assert [(f.kind, f.part_number, len(f.hubs)) for f in parsed] == [
        (FileKind.INSTRUCTION, 1, 3),
        (FileKind.INSTRUCTION, 2, 1),
        (FileKind.INSTRUCTION, 3, 3),
        (FileKind.INSTRUCTION_MANIFEST, None, 0),
    ]
    assert [h.guid for f in parsed[:3] for h in f.hubs] == hubs
    manifest = parsed[3]
    assert [(p.number, p.hubs) for p in manifest.parts] == [(1, 3), (2, 1), (3, 3)]
    for p, path in zip(manifest.parts, files[:3], strict=True):
        assert p.file_sequence == int(FILE_NAME.fullmatch(path.name)["seq"])  # type: ignore[index]
        assert p.sha256 == sha256_hex(read_verified(path) or b"")

    # The simulated CSP acts on each part as it arrives and checks the manifest at the end.
    sim = CspSimulator(
        SimConfig("CSP-C", tmp_path, failure_rate=0.0),
        client=client,  # type: ignore[arg-type]
        api_key=party_service.issue_key(container.uow(), container.clock, party_code="CSP-C").key,
        clock=container.clock,
    )
    assert sim.poll() == 4
    assert (sim.manifests_verified, sim.manifest_problems) == (1, [])
    assert {g for (_, g) in sim.tasks} == set(hubs)


def test_a_manifest_that_does_not_match_its_parts_is_caught(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    """The check can fail: a part the CSP never received is reported, not assumed."""
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate, pilot=False)
    _forward(container, s.campaign_id, s.hubs.a_only, complete=True)
    write_pending_files(container)
    part, _manifest = _files(tmp_path, "CSP-C")
    part.unlink()  # lost on the way
    part.with_name(part.name + ".sha256").unlink(missing_ok=True)
    sim = CspSimulator(
        SimConfig("CSP-C", tmp_path, failure_rate=0.0),
        client=client,  # type: ignore[arg-type]
        api_key=party_service.issue_key(container.uow(), container.clock, party_code="CSP-C").key,
        clock=container.clock,
    )
    sim.poll()
    assert sim.manifests_verified == 0
    assert sim.manifest_problems and "INS-000042" in sim.manifest_problems[0]
