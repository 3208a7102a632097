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

    print_emails(result, console)

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
        days = [(t - result.t0).total_seconds() / 86_400 for t in (s.sim_start, s.sim_end)]
        when = "" if s.sim_end < result.t0 else f"T0+{max(days[0], 0):.0f}d"
        if days[1] - max(days[0], 0) >= 1:
            when += f"..{days[1]:.0f}d"
        stages.add_row(s.name, f"{s.ended - s.started:.1f}", when)
    console.print(stages)

    checks = Table(title="Invariants")
    checks.add_column("check")
    checks.add_column("result")
    for label, value in describe(result.checks):
        checks.add_row(label, value)
    console.print(checks)


def print_emails(result: DemoResult, console: Console) -> None:
    """Email notices per kind and supplier, as the loopback SMTP server received them."""
    names = [n for n in result.estate.suppliers.values()]
    emails = Table(title="Email notices received per kind and supplier (Maildir: <out>/mail)")
    emails.add_column("notice")
    for name in names:
        emails.add_column(name.split()[0], justify="right")
    emails.add_column("received", justify="right")
    for kind, by_supplier in sorted(result.emails.items()):
        row = [by_supplier.get(n, 0) for n in names]
        emails.add_row(kind, *(f"{n:,}" for n in row), f"{sum(row):,}")
    console.print(emails)


LABELS = {
    "eligible": "eligible hubs (campaign = estate rule)",
    "split_waiting_held_back": "split hubs awaiting a 2nd supplier sent early to a CSP",
    "split_waiting_released": "... and sent once it instructed",
    "safe_launch_batches": "safe-launch batches of 50,000 (A08)",
    "small_batch_refused": "explicit batch under 50,000 refused",
    "audit_chain": "audit chain",
    "received_equals_delivered": "received = delivered, per supplier",
    "received_equals_outbox_per_code": "received = outbox, per code",
    "bad_signatures": "bad webhook signatures",
    "dead_letters": "dead letters",
    "hub_alerts_to_current_suppliers": "N63/N82 to exactly each hub's suppliers",
    "every_hub_finished": "every eligible hub activated or failed",
    "emails_received_equals_outbox": "email notices received (SMTP) of queued",
}


def describe(checks: dict[str, object]) -> list[tuple[str, str]]:
    """(label, value) per check, for people: `(n, k)` pairs read "k of n"."""
    out = []
    for name, value in checks.items():
        if isinstance(value, tuple) and len(value) == 2:
            text = f"{value[1]:,} of {value[0]:,}"
        elif isinstance(value, int) and not isinstance(value, bool):
            text = f"{value:,}"
        else:
            text = str(value)
        out.append((LABELS.get(name, name.replace("_", " ")), text))
    return out
