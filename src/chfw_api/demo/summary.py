"""The demo's closing summary: hubs per status, alerts per code and supplier, failures, the
invariants checked, and the time each stage took."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from chfw_api.demo.run import DemoResult


def print_summary(result: DemoResult, console: Console) -> None:
    c = result.campaign
    hubs = Table(
        title=f"{result.campaign_id}: {c['stage']}, {result.estate.total_hubs:,} hubs "
        f"in the estate, {c['eligible_hubs']:,} eligible"
    )
    hubs.add_column("hub status")
    hubs.add_column("all", justify="right")
    hubs.add_column("pilot", justify="right")
    for status in sorted(set(c["hubs_by_status"]) | set(c["pilot_hubs_by_status"])):
        hubs.add_row(
            status,
            f"{c['hubs_by_status'].get(status, 0):,}",
            f"{c['pilot_hubs_by_status'].get(status, 0):,}",
        )
    console.print(hubs)

    codes = sorted({code for o in result.offices for code in o.by_code})
    alerts = Table(title="DCC Alerts received per code and supplier (every signature verified)")
    alerts.add_column("code")
    for o in result.offices:
        alerts.add_column(o.name.split()[0], justify="right")
    alerts.add_column("received", justify="right")
    alerts.add_column("outbox", justify="right")
    for code in codes:
        got = sum(o.by_code.get(code, 0) for o in result.offices)
        alerts.add_row(
            code,
            *(f"{o.by_code.get(code, 0):,}" for o in result.offices),
            f"{got:,}",
            f"{result.outbox_by_code.get(code, 0):,}",
        )
    alerts.add_row(
        "total",
        *(f"{o.alerts:,}" for o in result.offices),
        f"{sum(o.alerts for o in result.offices):,}",
        f"{sum(result.outbox_by_code.values()):,}",
        style="bold",
    )
    alerts.add_row("duplicates", *(f"{o.duplicates:,}" for o in result.offices), "", "")
    alerts.add_row("bad signatures", *(f"{o.bad_signatures:,}" for o in result.offices), "", "")
    console.print(alerts)

    failures = Table(title="Failures (CSP-reported) by stage")
    by_stage: Counter[str] = Counter(
        stage for _, outcome, stage in result.rollout if outcome == "failed"
    )
    finished: Counter[str] = Counter(stage for _, _, stage in result.rollout)
    failures.add_column("stage")
    failures.add_column("failed", justify="right")
    failures.add_column("of", justify="right")
    failures.add_column("rate", justify="right")
    for stage in sorted(finished):
        failures.add_row(
            stage,
            f"{by_stage[stage]:,}",
            f"{finished[stage]:,}",
            f"{by_stage[stage] / finished[stage]:.2%}",
        )
    console.print(failures)

    stages = Table(title=f"Time per stage (total {result.elapsed:.1f} s)")
    stages.add_column("stage")
    stages.add_column("real s", justify="right")
    stages.add_column("simulated", justify="right")
    for s in result.stages:
        sim = s.sim_end - s.sim_start
        stages.add_row(
            s.name,
            f"{s.ended - s.started:.1f}",
            f"{sim.days}d {sim.seconds // 3600}h" if sim.total_seconds() >= 60 else "",
        )
    console.print(stages)

    checks = Table(title="Invariants")
    checks.add_column("check")
    checks.add_column("result")
    for name, value in result.checks.items():
        checks.add_row(name.replace("_", " "), str(value))
    console.print(checks)
