"""The campaign the demo plays, part 3: the safe launch, its completion and the closure.

T0+27d  A08: each CSP uploads the safe-launch schedule: every non-pilot hub in batches of
        50,000, batch k in the period T0+35d+7k days .. +12 hours
T0+28d  11.7 safe-launch instructions: a supplier with 50,000+ hubs in reach instructs
        explicit batches that follow the CSP's periods (BR3.7); a smaller one is refused an
        explicit batch (E110703) and instructs all its hubs at once (AllEligible, BR3.8)
waves   the CSPs distribute and activate; every activation is alerted (N63) to the hub's
        current suppliers, every failure (N82)
end     DCC completes the safe launch (A09/A10, N77) and closes the campaign (A11, N78)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from chfw_api.demo import api as sr
from chfw_api.demo.estate import Hub
from chfw_api.demo.script import Demo, spread

BATCH = 50_000  # BR3.7
SAFE_FAILURE_RATE = 0.02
SAFE_RATES = {"model:MD-CH4": 0.04}


def period_start(demo: Demo, k: int) -> datetime:
    return demo.at(35 + 7 * k)


def schedule(demo: Demo) -> list[list[Hub]]:
    """A08 from every CSP; returns the batches (the demo's view of the CSPs' plan)."""
    demo.jump(27)
    hubs = sorted(
        (h for h in demo.estate.eligible if h.guid not in demo.pilot), key=lambda h: spread(h.guid)
    )
    batches = [hubs[i : i + BATCH] for i in range(0, len(hubs), BATCH)]
    first = next(iter(demo.estate.csps))
    with demo.track.stage("A08 safe-launch schedule", total=len(demo.estate.csps)) as bar:
        for csp in demo.estate.csps:
            periods = []
            for k, batch in enumerate(batches):
                mine = [h.guid for h in demo.estate.by_csp(batch)[csp]]
                if mine:
                    start = period_start(demo, k)
                    # Twelve hours from the start, whatever T0's hour (T0 is the next full hour:
                    # ending at 23:00 the same day made an empty period when it was 23:00).
                    end = start + timedelta(hours=12)
                    periods.append((start, end, f"batch {k + 1}", mine))
            if periods:
                body = sr.csp_schedule("CSPSafeLaunchSchedule", demo.campaign_id, periods)
                receipt = demo.api.csp_upload(csp, demo.campaign_id, "safe-launch-schedule", body)
                demo.track.event(
                    csp,
                    f"A08: safe-launch schedule, {receipt['hubs']:,} hubs in "
                    f"{receipt['periods']} batch periods",
                    "A08" if csp == first else "",
                )
            bar.advance()
    sizes = [len(b) for b in batches]
    demo.checks["safe_launch_batches"] = f"{len(sizes)} (sizes {sizes[0]:,}..{sizes[-1]:,})"
    return batches


def instruct(demo: Demo, batches: Sequence[Sequence[Hub]]) -> None:
    demo.jump(28)
    cid = demo.campaign_id
    suppliers = list(demo.estate.suppliers)
    by_supplier: dict[str, list[list[str]]] = {s: [[] for _ in batches] for s in suppliers}
    for k, batch in enumerate(batches):
        for h in batch:
            for s in h.suppliers:
                by_supplier[s][k].append(h.guid)
    refused_once = False
    with demo.track.stage("11.7 safe-launch instructions", total=len(suppliers)) as bar:
        for i, s in enumerate(suppliers):
            per_batch = by_supplier[s]
            total = sum(map(len, per_batch))
            if not total:
                bar.advance()
                continue
            sent = 0
            pending: list[str] = []
            for k, guids in enumerate(per_batch):
                pending += guids
                if len(pending) >= BATCH:
                    when = period_start(demo, k).replace(hour=2)
                    ans = _named(demo, s, sr.instruction(cid, "SafeLaunch", when, pending))
                    demo.track.event(
                        demo.name(s),
                        f"11.7 safe launch: explicit batch of "
                        f"{len(pending):,} GUIDs for {when:%d %b}: "
                        f"{ans.number('AcceptedCount'):,} accepted"
                        + (" (I99: completed by the worker in chunks)" * (ans.code == "I99")),
                    )
                    sent += len(pending)
                    pending = []
            if not pending:
                bar.advance()
                continue
            k = i % len(batches)
            when = period_start(demo, k).replace(hour=2)
            first = pending[: len(pending) // 2]  # under 50,000 and not all it has left
            if not refused_once and not sent and first:
                ans = demo.sr(
                    s, "11.7", sr.instruction(cid, "SafeLaunch", when, first), expect=("E110703",)
                )
                refused_once = True
                demo.checks["small_batch_refused"] = ans.code
                demo.track.event(
                    demo.name(s),
                    f"11.7 safe launch: an explicit batch of "
                    f"{len(first):,} GUIDs is refused ({ans.code}: under 50,000 "
                    "and not all its hubs, BR3.7)",
                )
            if sent:
                ans = _named(demo, s, sr.instruction(cid, "SafeLaunch", when, pending))
                how = f"its last {len(pending):,} GUIDs (all it has left)"
            else:
                ans = demo.sr(
                    s, "11.7", sr.instruction(cid, "SafeLaunch", when), expect=("I0", "I99")
                )
                how = "AllEligible"
                if ans.code == "I99":  # over 50,000 hubs: completed by the worker in chunks
                    demo.wait_for_instruction(s, ans.text("InstructionID") or "")
                    how = "AllEligible (I99: the worker completed it in 50,000-hub chunks)"
            figures = (
                f"{ans.number('AcceptedCount'):,} accepted, "
                f"{ans.number('AwaitingSecondSupplierCount'):,} split hubs "
                "waiting for their other supplier"
                if ans.code != "I99"
                else "its N80 gives the totals"
            )
            demo.track.event(demo.name(s), f"11.7 safe launch: {how} for {when:%d %b}: {figures}")
            bar.advance()
        demo.network.wait_for_files(demo.forwarded, what="safe-launch instruction files")


def _named(demo: Demo, supplier: str, body: str) -> sr.SrAnswer:
    """An explicit list: answered at once up to 50,000 GUIDs; a longer one I99 with every
    rejected GUID, and the worker completes it in chunks (its N80 says when)."""
    ans = demo.sr(supplier, "11.7", body, expect=("I0", "I99"))
    if ans.code == "I99":
        demo.wait_for_instruction(supplier, ans.text("InstructionID") or "")
    return ans


def roll_out(demo: Demo, batches: Sequence[Sequence[Hub]]) -> None:
    demo.network.set_rates(failure_rate=SAFE_FAILURE_RATE, rates=SAFE_RATES)
    total = sum(map(len, batches))
    with demo.track.stage("Safe-launch activations", total=total) as bar:
        done = 0

        def step(report: Any) -> None:
            nonlocal done
            done += report.activated + report.failed
            bar.update(done)

        wave = demo.network.drive(on_step=step)
        demo.track.event(
            "CSPs",
            f"safe launch: {wave.activated:,} activated, "
            f"{wave.failed:,} failed in {len(batches)} batch periods",
        )


def finish(demo: Demo) -> None:
    cid = demo.campaign_id
    with demo.track.stage("A09 completion + A11 closure", total=2) as bar:
        demo.clock.advance(demo.at(1) - demo.at(0))
        counts = demo.campaign()["hubs_by_status"]
        finished = counts.get("activated", 0) + counts.get("failed", 0)
        share = counts.get("failed", 0) / max(finished, 1)
        succeeded = share < 0.05
        demo.api.dcc(
            "POST",
            f"/api/v1/campaigns/{cid}/safe-launch/complete",
            json={
                "succeeded": succeeded,
                "reason": f"{finished:,} hubs finished, {share:.1%} failed",
            },
        )
        demo.track.event(
            "DCC",
            f"A0{9 if succeeded else 10}: safe launch complete, {share:.1%} of hubs failed (N77)",
            "A09",
        )
        bar.advance()
        demo.clock.advance(demo.at(1) - demo.at(0))
        demo.api.dcc(
            "POST",
            f"/api/v1/campaigns/{cid}/close",
            json={"reason": "safe launch complete; failed hubs go to field repair"},
        )
        demo.track.event("DCC", "A11: campaign closed (N78)", "A11")
        bar.advance()
