"""Guardrails: a slice over its threshold is paused at once; one below its minimum sample is not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from chfw_api.domain.audit import AuditEntry
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.guardrails import Dimension
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.writer import write_pending_files
from chfw_api.gateway.xml import FileKind, GatewayFile, parse_file
from chfw_api.services.gateway_outbound import forward_instruction
from tests.conftest import START
from tests.integration.campaign_fixtures import NEW_VERSION
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.csp_fixtures import alerts, campaign, post_results, result

RULES = {
    "rules": [
        {"stage": "SafeLaunch", "dimension": "overall", "max_failure_rate": 0.5, "min_sample": 100},
        {"stage": "SafeLaunch", "dimension": "region", "max_failure_rate": 0.2, "min_sample": 4},
        {
            "stage": "SafeLaunch",
            "dimension": "supplier",
            "max_failure_rate": 0.2,
            "min_sample": 100,
        },
        {"stage": "SafeLaunch", "dimension": "model", "max_failure_rate": 0.2, "min_sample": 100},
    ],
    "reason": "tight thresholds for the test",
}


def _files(container: Container, csp: str) -> list[tuple[str, GatewayFile]]:
    write_pending_files(container)
    folder = container.settings.gateway_root / csp / "outbound"
    return [(p.name, parse_file(p.read_bytes())) for p in sorted(folder.glob("*.xml"))]


def test_a_slice_over_its_threshold_pauses_and_one_below_its_minimum_sample_does_not(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: BR6.3, BR6.5, X1, DD01
    container.settings.gateway_root = tmp_path
    s = campaign(client, estate, pilot=False)
    h = s.hubs
    cid = s.campaign_id
    r = client.put(f"/api/v1/campaigns/{cid}/guardrails", headers=estate.dcc, json=RULES)
    assert r.status_code == 200, r.text
    assert len(r.json()["rules"]) == 8  # the campaign's own SafeLaunch rules, Pilot defaults

    clock = container.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=3))
    at = START + timedelta(hours=1)
    ok = {"firmware_version": NEW_VERSION}
    fail = {"reason_code": "Timeout", "reason": "no answer"}
    # Central: 3 of 5 finished hubs fail (60% over 20%, sample 5 >= 4): trips.
    # South: 2 of 3 fail (67%) but 3 is below the minimum sample of 4: does not.
    batch = [
        result(h.a_only[0], "failed", at, **fail),
        result(h.a_only[1], "failed", at, **fail),
        result(h.elec[0], "failed", at, **fail),
        result(h.a_only[2], "activated", at, **ok),
        result(h.a_only[3], "activated", at, **ok),
        result(h.b_only[0], "failed", at, **fail),
        result(h.b_only[1], "failed", at, **fail),
        result(h.b_only[2], "activated", at, **ok),
    ]
    report = post_results(client, estate.csp_central, cid, batch)
    assert report["paused_slices"] == ["SafeLaunch/region/Central"]

    [pause] = client.get(f"/api/v1/campaigns/{cid}/slice-pauses", headers=estate.dcc).json()
    assert (pause["dimension"], pause["slice"], pause["total"], pause["failed"]) == (
        "region",
        "Central",
        5,
        3,
    )
    assert "3 of 5 hubs failed (60.0%)" in pause["reason"]
    assert "20.0% threshold (minimum sample 4)" in pause["reason"]
    # N81 to the suppliers with Central hubs only (A and the electricity-only supplier).
    n81 = {a.recipient: a for a in alerts(container, "N81")}
    assert set(n81) == {SUPPLIER_A, SUPPLIER_ELEC}
    assert n81[SUPPLIER_A].texts("sr:Decision") == ["Pause"]
    assert n81[SUPPLIER_A].texts("sr:EffectOnPendingInstructions") == ["Held"]
    audit = [e.record.action for e in _audit(container) if e.record.action.startswith("guardrail.")]
    assert audit == ["guardrail.rules_set", "guardrail.slice_paused"]

    # The CSP gets a pause file naming its unfinished hubs in the slice.
    files = _files(container, "CSP-C")
    [paused] = [f for n, f in files if "slice-pause" in n]
    assert paused.kind is FileKind.SLICE_PAUSE
    assert (paused.dimension, paused.slice_value) == (Dimension.REGION, "Central")
    assert {g for g, _ in paused.slice_hubs} == {h.a_only[4], h.elec[1]}
    assert not any("slice" in n for n, _ in _files(container, "CSP-N"))  # no Central hubs

    # Forwarding skips the paused slice; the rest of the rollout goes on.
    with container.uow() as uow:
        sent = forward_instruction(
            uow,
            campaign_id=cid,
            instruction_id="INS-1",
            stage=DeploymentKind.SAFE_LAUNCH,
            window_start=START + timedelta(days=30),
            window_end=START + timedelta(days=31),
            hubs_by_csp={
                "CSP-C": [(h.a_only[4], START + timedelta(days=30))],
                "CSP-N": [(h.split_ab[0], START + timedelta(days=30))],
            },
            now=clock.now(),
        )
        uow.commit()
    assert sent.held == [h.a_only[4]] and sent.hubs == 1

    # DCC lifts the pause: N81 resume, and a resume file.
    r = client.post(
        f"/api/v1/slice-pauses/{pause['id']}/lift",
        headers=estate.dcc,
        json={"reason": "root cause found: a cell outage, not the firmware"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["lifted_by"] == "90-B3-D5-1F-30-00-00-02"
    resumes = [a for a in alerts(container, "N81") if a.texts("sr:Decision") == ["Resume"]]
    assert {a.recipient for a in resumes} == {SUPPLIER_A, SUPPLIER_ELEC}
    assert any("slice-resume" in n for n, _ in _files(container, "CSP-C"))
    again = client.post(
        f"/api/v1/slice-pauses/{pause['id']}/lift", headers=estate.dcc, json={"reason": "x"}
    )
    assert again.status_code == 409
    # Only results after the lift count again: one more failure does not re-trip at once.
    more = post_results(
        client, estate.csp_central, cid, [result(h.a_only[4], "failed", at, **fail)]
    )
    assert more["paused_slices"] == []
    assert SUPPLIER_B not in {a.recipient for a in alerts(container, "N81")}


def _audit(container: Container) -> list[AuditEntry]:
    with container.uow(read_only=True) as uow:
        return list(uow.audit.entries())
