"""BR3.6: hubs nobody instructed reach their CSP at DCC's automatic time."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.gateway.xml import FileKind, GatewayFile, parse_file
from chfw_api.services.automatic_deployment import deploy_at_automatic_time
from chfw_api.services.campaign_tick import tick
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.csp_fixtures import campaign, hub_row


def _instruction_files(container: Container) -> list[GatewayFile]:
    with container.engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM gateway_files WHERE kind = :k ORDER BY id"),
            {"k": FileKind.INSTRUCTION.value},
        ).scalars()
        return [parse_file(bytes(b)) for b in bodies]


def _automatic_date(client: TestClient, estate: Estate, cid: str) -> datetime:
    body = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    return datetime.fromisoformat(body["automatic_deployment_date"])


def test_uninstructed_and_waiting_split_hubs_go_to_their_csp_at_the_automatic_time(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR3.6, BR4.1
    setup = campaign(client, estate, pilot=False)
    hubs, cid = setup.hubs, setup.campaign_id
    # A instructs its own hubs and its split hubs; B never answers, so the split hubs wait.
    _r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.7", sr.instruction(
        cid, START + timedelta(days=120), hubs.a_only + hubs.split_ab)))  # fmt: skip
    assert sr.code(doc) == "I0"
    by_supplier = _instruction_files(container)
    supplier_sent = {h.guid for f in by_supplier for h in f.hubs}
    assert supplier_sent == set(hubs.a_only)
    clock = container.clock
    assert isinstance(clock, FakeClock)
    auto = _automatic_date(client, estate, cid)

    # Before the automatic time nothing moves, even once safe launch could begin.
    clock.set(auto - timedelta(minutes=1))
    tick(container.uow, clock)
    assert deploy_at_automatic_time(container.uow, clock).forwarded == {}

    clock.set(auto)
    tick(container.uow, clock)
    report = deploy_at_automatic_time(container.uow, clock, batch=3)  # several batches
    expected = set(hubs.split_ab + hubs.b_only + hubs.elec)
    assert report.forwarded == {cid: len(expected)} and report.held == 0
    automatic = _instruction_files(container)[len(by_supplier) :]
    assert {h.guid for f in automatic for h in f.hubs} == expected
    assert sum(len(f.hubs) for f in automatic) == len(expected)  # none twice
    for f in automatic:
        assert f.instruction_id is not None and f.instruction_id.startswith(f"AUTO-{cid}-")
        assert all(h.planned_at == auto for h in f.hubs)
    assert all(hub_row(container, cid, g)["status"] == "instructed" for g in expected)

    # Idempotent: a later run finds nobody left to send.
    clock.advance(timedelta(hours=1))
    assert deploy_at_automatic_time(container.uow, clock).forwarded == {}
    assert len(_instruction_files(container)) == len(by_supplier) + len(automatic)


def test_a_held_campaign_forwards_nothing_until_it_resumes(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR3.6, BR6.3
    setup = campaign(client, estate, pilot=False)
    cid = setup.campaign_id
    clock = container.clock
    assert isinstance(clock, FakeClock)
    clock.set(_automatic_date(client, estate, cid))
    tick(container.uow, clock)
    r = client.post(
        f"/api/v1/campaigns/{cid}/decisions",
        headers=estate.dcc,
        json={"decision": "pause", "reason": "incident under triage"},
    )
    assert r.status_code in (200, 201), r.text
    assert deploy_at_automatic_time(container.uow, clock).forwarded == {}
    r = client.post(
        f"/api/v1/campaigns/{cid}/decisions",
        headers=estate.dcc,
        json={"decision": "resume", "reason": "fixed"},
    )
    assert r.status_code in (200, 201), r.text
    report = deploy_at_automatic_time(container.uow, clock)
    assert report.forwarded == {cid: len(setup.hubs.eligible)}
