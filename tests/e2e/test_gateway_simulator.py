"""End to end through the gateway: instructions dropped as files, two simulated CSPs distributing
and activating on a simulated clock, results posted back over HTTP, a guardrail pausing one
region while the rest goes on, DCC lifting it, and the held hubs finishing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.simulator import CspSimulator, SimConfig, Task
from chfw_api.gateway.writer import write_pending_files
from chfw_api.services import parties as party_service
from chfw_api.services.automatic_deployment import deploy_at_automatic_time
from chfw_api.services.campaign_tick import tick
from chfw_api.services.gateway_outbound import forward_instruction
from tests.conftest import START
from tests.integration import conftest as integration
from tests.integration.campaign_fixtures import NEW_VERSION
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.csp_fixtures import alerts, campaign, hub_row

# The integration fixtures (a real app over each backend, a small estate of parties).
client, container, estate = integration.client, integration.container, integration.estate

RULES = {
    "rules": [
        {"stage": "SafeLaunch", "dimension": d, "max_failure_rate": r, "min_sample": n}
        for d, r, n in (
            ("overall", 0.9, 100),
            ("region", 0.3, 3),
            ("supplier", 0.9, 100),
            ("model", 0.9, 100),
        )
    ],
    "reason": "e2e thresholds",
}


def _drive(sims: list[CspSimulator], container: Container, clock: FakeClock) -> None:
    """The worker's file writer and the CSPs taking turns, the clock jumping event to event."""
    for _ in range(100):
        write_pending_files(container)
        posted = sum(s.step().posted for s in sims)
        upcoming = [t for s in sims if (t := s.next_event()) is not None]
        if not upcoming and not posted:
            write_pending_files(container)
            return
        if upcoming:
            clock.set(max(min(upcoming), clock.now()))
    raise AssertionError("the simulation did not settle")


def test_simulated_csps_activate_a_rollout_and_a_guardrail_holds_one_region(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: BR3.5, BR5.6, AH, BR2.4, BR6.3, BR6.5, C1, DD01, X4
    container.settings.gateway_root = tmp_path
    clock = container.clock
    assert isinstance(clock, FakeClock)
    s = campaign(client, estate, pilot=False)
    h, cid = s.hubs, s.campaign_id
    assert client.put(
        f"/api/v1/campaigns/{cid}/guardrails", headers=estate.dcc, json=RULES
    ).is_success
    central = h.a_only + h.elec  # 7 Central hubs: 3 early, 3 later, 1 instructed in the pause
    early, later, late_comer = central[:3], central[3:6], central[6]
    t_early, t_late = START + timedelta(hours=2), START + timedelta(hours=6)
    with container.uow() as uow:
        forward_instruction(
            uow,
            campaign_id=cid,
            instruction_id="INS-000001",
            stage=DeploymentKind.SAFE_LAUNCH,
            window_start=START + timedelta(hours=1),
            window_end=START + timedelta(hours=8),
            hubs_by_csp={
                "CSP-C": [(g, t_early) for g in early] + [(g, t_late) for g in later + h.b_only],
                "CSP-N": [(g, t_late) for g in h.split_ab],
            },
            now=clock.now(),
        )
        uow.commit()

    keys = {}
    for csp in ("CSP-N", "CSP-C"):
        keys[csp] = party_service.issue_key(container.uow(), clock, party_code=csp).key
    rates = {"region:Central": 1.0}  # every Central hub fails until the fault is fixed
    sims = [
        CspSimulator(
            SimConfig(csp, tmp_path, seed=7, failure_rate=0.0, rates=rates),
            client=client,
            api_key=keys[csp],
            clock=clock,
        )
        for csp in ("CSP-C", "CSP-N")
    ]
    _drive(sims, container, clock)

    [pause] = client.get(f"/api/v1/campaigns/{cid}/slice-pauses", headers=estate.dcc).json()
    assert (pause["slice"], pause["total"], pause["failed"]) == ("Central", 3, 3)
    for g in early:
        assert hub_row(container, cid, g)["status"] == "failed"
    for g in later:  # held by the CSP after the pause file: no result at all
        assert hub_row(container, cid, g)["status"] == "eligible"
    for g in h.b_only + h.split_ab:  # the rest of the rollout went on
        row = hub_row(container, cid, g)
        assert (row["status"], row["firmware_version"]) == ("activated", NEW_VERSION)
    n63 = alerts(container, "N63")
    assert len(n63) == len(h.b_only) + 2 * len(h.split_ab)  # split hubs: both suppliers
    assert {a.recipient for a in alerts(container, "N82")} == {SUPPLIER_A}

    # Instructed while its slice is paused: held back before it reaches the CSP.
    with container.uow() as uow:
        sent = forward_instruction(
            uow,
            campaign_id=cid,
            instruction_id="INS-000002",
            stage=DeploymentKind.SAFE_LAUNCH,
            window_start=t_late,
            window_end=t_late,
            hubs_by_csp={"CSP-C": [(late_comer, t_late)]},
            now=clock.now(),
        )
        uow.instructions.set_plans(uow.gateway.campaign_key(cid), [(late_comer, t_late)])
        uow.commit()
    assert sent.held == [late_comer] and sent.files == []
    _drive(sims, container, clock)
    assert hub_row(container, cid, late_comer)["status"] == "instructed"

    # DCC triages: the fault was the cell network; lift the pause and the held hubs resume,
    # the one the CSP first hears of in the resume file included.
    rates["region:Central"] = 0.0
    r = client.post(
        f"/api/v1/slice-pauses/{pause['id']}/lift", headers=estate.dcc, json={"reason": "fixed"}
    )
    assert r.status_code == 200, r.text
    _drive(sims, container, clock)
    for g in [*later, late_comer]:
        assert hub_row(container, cid, g)["status"] == "activated"
    assert (
        client.get(f"/api/v1/campaigns/{cid}/slice-pauses?active=true", headers=estate.dcc).json()
        == []
    )
    # Every hub reported twice (distributed, then activated or failed), nothing twice over.
    assert sum(p["accepted"] for sim in sims for p in sim.posted) == 2 * len(h.eligible)
    assert sum(p["duplicates"] for sim in sims for p in sim.posted) == 0


def test_hubs_nobody_instructed_activate_at_the_automatic_time(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    # covers: BR3.6, BR4.1, AH
    container.settings.gateway_root = tmp_path
    clock = container.clock
    assert isinstance(clock, FakeClock)
    s = campaign(client, estate, pilot=False)
    h, cid = s.hubs, s.campaign_id
    body = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    auto = datetime.fromisoformat(body["automatic_deployment_date"])
    sims = [
        CspSimulator(
            SimConfig(csp, tmp_path, seed=1, failure_rate=0.0),
            client=client,
            api_key=party_service.issue_key(container.uow(), clock, party_code=csp).key,
            clock=clock,
        )
        for csp in ("CSP-N", "CSP-C")
    ]
    # No supplier instructs anything: before the automatic time nobody activates a hub.
    clock.set(auto - timedelta(days=1))
    tick(container.uow, clock)
    assert deploy_at_automatic_time(container.uow, clock).forwarded == {}
    _drive(sims, container, clock)
    assert all(hub_row(container, cid, g)["status"] == "eligible" for g in h.eligible)

    # At DCC's automatic time the worker's jobs start the safe launch and send every hub.
    clock.set(auto)
    tick(container.uow, clock)
    assert deploy_at_automatic_time(container.uow, clock).forwarded == {cid: len(h.eligible)}
    _drive(sims, container, clock)
    for g in h.eligible:
        row = hub_row(container, cid, g)
        assert (row["status"], row["firmware_version"]) == ("activated", NEW_VERSION)
    with container.uow(read_only=True) as uow:
        key = uow.gateway.campaign_key(cid)
        history = uow.activation.monitoring(key, supplier_id=None, after=None, limit=1000)
        seen = uow.activation.seen_results(key, h.eligible)
    activated = [at for _, outcome, at in seen if outcome == "activated"]
    assert history == []  # no pilot in this campaign
    assert len(activated) == len(h.eligible) and min(activated) >= auto  # not before DCC's time
    n63 = alerts(container, "N63")  # split hubs: both suppliers; the others their one
    assert len(n63) == len(h.a_only) + len(h.b_only) + len(h.elec) + 2 * len(h.split_ab)


def test_the_simulator_is_deterministic_with_a_seed(tmp_path: Path) -> None:
    def outcomes(seed: int) -> list[str | None]:
        sim = CspSimulator(
            SimConfig("CSP-N", tmp_path, seed=seed, failure_rate=0.5),
            client=None,  # type: ignore[arg-type]
            api_key="",
            clock=FakeClock(START),
        )
        tasks = [
            Task(
                "CMP-1",
                f"00-00-00-00-00-00-00-{i:02X}",
                DeploymentKind.PILOT,
                None,
                None,
                START,
                "1",
            )
            for i in range(64)
        ]
        return [sim._fails(t) for t in tasks]

    assert outcomes(3) == outcomes(3)
    assert outcomes(3) != outcomes(4)
    assert 10 < sum(o is not None for o in outcomes(3)) < 54
