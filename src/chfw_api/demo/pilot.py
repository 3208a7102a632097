"""The campaign the demo plays, part 2: the pilot (see `script.py` for the dates).

T0+5d   11.7 pilot instructions; one supplier asks for a later date (BR4.2); one is late,
        so its split hubs wait (BR3.3, BR4.1) until it instructs at T0+7d
T0+14d  the pilot starts (the worker's tick)
T0+20d  pilot wave 1; T0+21d an incident (11.10), DCC pauses; T0+22d DCC resumes
T0+24d  pilot wave 2 (the later date agreed for split hubs)
T0+26d  DCC declares the pilot a success (A06); the tick starts the safe launch (AD12)
"""

from __future__ import annotations

from typing import Any

from chfw_api.demo import api as sr
from chfw_api.demo.api import DemoError
from chfw_api.demo.script import Demo

PILOT_FAILURE_RATE = 0.03
PILOT_RATES = {"region:North": 0.05}


def instruct(demo: Demo) -> None:
    demo.jump(5)
    suppliers = list(demo.estate.suppliers)
    late, later = suppliers[-1], suppliers[1 % len(suppliers)]
    pilot_hubs = [h for h in demo.estate.eligible if h.guid in demo.pilot]
    has = {s: any(s in h.suppliers for h in pilot_hubs) for s in suppliers}
    waiting = {h.guid for h in pilot_hubs if h.split and late in h.suppliers}
    with demo.track.stage("11.7 pilot instructions", total=len(suppliers) + 1) as bar:
        for s in suppliers:
            if s == late or not has[s]:
                bar.advance()
                continue
            when = demo.at(24, 2) if s == later else demo.at(20, 2)
            ans = demo.sr(
                s, "11.7", sr.instruction(demo.campaign_id, "Pilot", when), expect=("I0",)
            )
            demo.track.event(
                demo.name(s),
                f"11.7 pilot, all its pilot hubs, for "
                f"{when:%d %b %H:%M}: {ans.number('AcceptedCount')} accepted, "
                f"{ans.number('AwaitingSecondSupplierCount')} split hubs wait "
                "for their second supplier",
            )
            bar.advance()
        demo.network.wait_for_files(demo.forwarded, what="pilot instruction files")
        held = early(demo, waiting)
        demo.checks["split_waiting_held_back"] = (len(waiting), len(held))
        if held:
            raise DemoError(
                f"{len(held)} split hubs reached a CSP before both suppliers instructed (BR3.3)"
            )
        demo.track.event(
            "DCC",
            f"{len(waiting)} split pilot hubs of "
            f"{demo.name(late)} held back: one supplier has not instructed",
        )
        demo.jump(7)
        if has[late]:
            ans = demo.sr(
                late,
                "11.7",
                sr.instruction(demo.campaign_id, "Pilot", demo.at(20, 2)),
                expect=("I0",),
            )
            demo.track.event(
                demo.name(late),
                f"11.7 pilot (late): {ans.number('AcceptedCount')}"
                " accepted; its split hubs are settled, the later date wins",
            )
        bar.advance()
        demo.network.wait_for_files(demo.forwarded, what="pilot instruction files")
        reached = early(demo, waiting)
        demo.checks["split_waiting_released"] = (len(waiting), len(reached))


def early(demo: Demo, guids: set[str]) -> set[str]:
    """Those of `guids` a CSP holds for activation before DCC's automatic time (the pilot's
    end): what BR4.1 allows only once both suppliers of a split hub have instructed."""
    auto = demo.at(56)
    return {
        g
        for sim in demo.network.sims.values()
        for (_, g), task in sim.tasks.items()
        if g in guids and task.activate_at < auto
    }


def run(demo: Demo) -> None:
    demo.jump(14)
    with demo.track.stage("Pilot start (worker tick)"):
        demo.wait_stage("Piloting")
        demo.track.event("worker", "tick: the scheduled pilot period began (N74)", "pilot")
    demo.network.set_rates(failure_rate=PILOT_FAILURE_RATE, rates=PILOT_RATES)
    total = len(demo.pilot)
    with demo.track.stage("Pilot activations", total=total) as bar:
        done = 0

        def step(report: Any) -> None:
            nonlocal done
            done += report.activated + report.failed
            bar.update(done)

        wave = demo.network.drive(until=demo.at(21), on_step=step)
        demo.track.event("CSPs", f"pilot wave 1: {wave.activated} activated, {wave.failed} failed")
        incident(demo)
        wave = demo.network.drive(until=demo.at(25), on_step=step)
        demo.track.event("CSPs", f"pilot wave 2: {wave.activated} activated, {wave.failed} failed")
    demo.jump(26)
    with demo.track.stage("Pilot success (A06) + tick"):
        counts = demo.campaign()["pilot_hubs_by_status"]
        demo.api.dcc(
            "POST",
            f"/api/v1/campaigns/{demo.campaign_id}/pilot/succeed",
            json={
                "reason": f"pilot: {counts.get('activated', 0)} activated, "
                f"{counts.get('failed', 0)} failed; failures understood"
            },
        )
        demo.track.event(
            "DCC",
            f"A06: pilot declared a success ({counts.get('activated', 0)} activated, "
            f"{counts.get('failed', 0)} failed)",
            "A06",
        )
        demo.wait_stage("SafeLaunching")
        demo.track.event("worker", "tick: safe launch follows the successful pilot (AD12)")


def incident(demo: Demo) -> None:
    demo.jump(21)
    failed_by: dict[str, list[str]] = {s: [] for s in demo.estate.suppliers}
    for g, (_, outcome, _) in sorted(demo.network.outcomes().items()):
        if outcome == "failed":
            for s in demo.estate.hub(g).suppliers:
                failed_by[s].append(g)
    raiser = max(failed_by, key=lambda s: len(failed_by[s]))
    failed = failed_by[raiser][:3]
    ans = demo.sr(
        raiser,
        "11.10",
        sr.incident(
            demo.campaign_id,
            "Some pilot hubs lose the HAN after activation; investigating",
            failed,
        ),
        expect=("I0",),
    )
    demo.incident_id = ans.text("IncidentID") or ""
    if not demo.incident_id:
        found = demo.api.dcc("GET", f"/api/v1/incidents?campaign_id={demo.campaign_id}")
        demo.incident_id = found[-1]["incident_id"]
    demo.track.event(
        demo.name(raiser),
        f"11.10: incident {demo.incident_id} raised "
        f"(high priority) naming {len(failed)} failed hubs",
    )
    demo.api.dcc(
        "POST",
        f"/api/v1/incidents/{demo.incident_id}/triage",
        json={"decision": "pause", "reason": "pause while the HAN loss is investigated"},
    )
    demo.network.wait_held(True)
    demo.track.event("DCC", "triage: pause (N81 to suppliers, decision file to each CSP)", "pause")
    demo.jump(22)
    demo.api.dcc(
        "POST",
        f"/api/v1/campaigns/{demo.campaign_id}/decisions",
        json={
            "decision": "resume",
            "reason": "root cause: a meter firmware quirk, not the hub release; the pilot goes on",
        },
    )
    demo.network.wait_held(False)
    demo.track.event("DCC", "resume: the pilot goes on (N81, resume file to each CSP)", "resume")
