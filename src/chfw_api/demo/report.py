"""The demo's HTML report: one self-contained file (inline CSS and SVG, no scripts, no external
assets) with the rollout's timeline and charts, readable offline."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path

from chfw_api.demo.checks import failed as failed_checks
from chfw_api.demo.run import DemoResult
from chfw_api.demo.summary import LABELS, describe
from chfw_api.demo.svg import Series, gantt, line_chart, stacked_bars

GREEN, RED, BLUE, GREY = "#16a34a", "#dc2626", "#2563eb", "#9ca3af"
CODE_NAMES = {
    "N63": "activation (per hub)",
    "N70": "update available (A01)",
    "N71": "notification revoked",
    "N72": "default pilot list",
    "N73": "default pilot schedule",
    "N74": "pilot status",
    "N75": "pilot outcome",
    "N76": "safe-launch schedule",
    "N77": "safe-launch outcome",
    "N78": "campaign closed",
    "N79": "superseded",
    "N80": "instruction status",
    "N81": "rollout decision",
    "N82": "activation failure",
    "N83": "report ready",
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f9fafb;
color:#111827}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
.sub{color:#6b7280;margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
.card b{display:block;font-size:22px}.card span{color:#6b7280;font-size:12px}
.panel{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px;margin-top:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #f3f4f6}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#16a34a;font-weight:600}.bad{color:#dc2626;font-weight:600}
.actor{white-space:nowrap;color:#374151;font-weight:600}.when{white-space:nowrap;color:#6b7280}
"""


def _days(result: DemoResult, when: datetime) -> float:
    return (when - result.t0).total_seconds() / 86_400


def _cumulative(
    result: DemoResult, stage: str | None, start: float, end: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    counts = {"activated": 0, "failed": 0}
    points: dict[str, list[tuple[float, float]]] = {
        "activated": [(start, 0.0)],
        "failed": [(start, 0.0)],
    }
    for at, outcome, hub_stage in result.rollout:
        if stage is None or hub_stage == stage:
            x = _days(result, at)
            points[outcome].append((x, float(counts[outcome])))
            counts[outcome] += 1
            points[outcome].append((x, float(counts[outcome])))
    for outcome, n in counts.items():
        points[outcome].append((end, float(n)))
    return points["activated"], points["failed"]


def _rollout_chart(result: DemoResult) -> str:
    end = max([_days(result, e.at) for e in result.events] + [1.0])
    activated, failed = _cumulative(result, None, 0.0, end)
    step = 7 if end > 30 else 1
    ticks = [(d, f"T0+{d:g}d") for d in range(0, int(end) + 1, step)]
    markers = [(_days(result, e.at), e.label) for e in result.milestones]
    return line_chart(
        [Series("activated", GREEN, _thin(activated)), Series("failed", RED, _thin(failed))],
        x_ticks=ticks,
        markers=markers,
        title="All hubs activated and failed over simulated time (cumulative)",
        y_label="hubs",
    )


def _pilot_chart(result: DemoResult) -> str:
    marks = {e.label: _days(result, e.at) for e in result.milestones}
    start, end = marks.get("pilot", 14.0) - 1, marks.get("A06", 26.0) + 1
    activated, failed = _cumulative(result, "Pilot", start, end)
    ticks = [(float(d), f"T0+{d}d") for d in range(int(start) + 1, int(end) + 1, 2)]
    markers = [(x, label) for label, x in marks.items() if start <= x <= end]
    return line_chart(
        [Series("activated", GREEN, activated), Series("failed", RED, failed)],
        x_ticks=ticks,
        markers=markers,
        title="The pilot, zoomed in: pilot hubs activated and failed (cumulative)",
        y_label="pilot hubs",
        height=260,
    )


def _thin(points: list[tuple[float, float]], keep: int = 2000) -> list[tuple[float, float]]:
    if len(points) <= keep:
        return points
    step = len(points) / keep
    return [points[int(i * step)] for i in range(keep)] + [points[-1]]


def _per_day_chart(result: DemoResult) -> str:
    days: Counter[tuple[int, str]] = Counter()
    for at, outcome, _ in result.rollout:
        days[(int(_days(result, at)), outcome)] += 1
    rows = [
        (f"T0+{d}d", (days[(d, "activated")], days[(d, "failed")]))
        for d in sorted({d for d, _ in days})
    ]
    return stacked_bars(
        rows,
        segments=(("activated", GREEN), ("failed", RED)),
        title="Activations per simulated day (pilot waves, then the safe-launch batches)",
    )


def _alerts_chart(result: DemoResult) -> str:
    codes = sorted({c for o in result.offices for c in o.by_code})
    palette = [
        "#1d4ed8",
        "#dc2626",
        "#0891b2",
        "#7c3aed",
        "#ea580c",
        "#65a30d",
        "#db2777",
        "#0d9488",
        "#a16207",
        "#4f46e5",
        "#be123c",
        "#15803d",
        "#6b7280",
        "#9333ea",
    ]
    rows = [(o.name, [float(o.by_code.get(c, 0)) for c in codes]) for o in result.offices]
    return stacked_bars(
        rows,
        segments=[(c, palette[i % len(palette)]) for i, c in enumerate(codes)],
        title="Alerts each supplier's back office received, by code (all signatures verified)",
    )


def _delivery_chart(result: DemoResult) -> str:
    points = [(t, float(n)) for t, n in result.arrivals]
    end = max([s.ended for s in result.stages] + [1.0])
    ticks = [(t, f"{t:.0f} s") for t in range(0, int(end) + 1, max(int(end) // 10, 1))]
    markers = [(s.started, s.name.split(" ")[0]) for s in result.stages if s.ended - s.started > 2]
    return line_chart(
        [Series("alerts received per second", BLUE, points)],
        x_ticks=ticks,
        markers=markers,
        title="Webhook deliveries over the demo's real run time",
        y_label="alerts / s",
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(
        f'<th class="{"n" if i in numeric else ""}">{escape(h)}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i in numeric else ""}">{c}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(result: DemoResult) -> str:
    c = result.campaign
    by_status = c["hubs_by_status"]
    received = sum(o.alerts for o in result.offices)
    cards = [
        (f"{result.estate.total_hubs:,}", "hubs in the estate"),
        (f"{c['eligible_hubs']:,}", "eligible for the release"),
        (f"{by_status.get('activated', 0):,}", "activated"),
        (f"{by_status.get('failed', 0):,}", "failed (reported by CSPs)"),
        (f"{received:,}", "alerts delivered, signatures verified"),
        (f"{result.elapsed:.0f} s", f"real time ({result.options.mode} mode)"),
    ]
    failed = {LABELS.get(k, k) for k in failed_checks(result.checks)}
    checks = [
        [escape(label), f'<span class="{"bad" if label in failed else "ok"}">{escape(v)}</span>']
        for label, v in describe(result.checks)
    ]
    events = [
        [
            f'<span class="when">{e.at:%a %d %b %Y %H:%M}</span>',
            f'<span class="when">T0+{_days(result, e.at):.1f}d</span>',
            f'<span class="actor">{escape(e.actor)}</span>',
            escape(e.text),
        ]
        for e in result.events
    ]
    codes = sorted({k for o in result.offices for k in o.by_code})
    alert_rows = [
        [
            code,
            escape(CODE_NAMES.get(code, "")),
            *(f"{o.by_code.get(code, 0):,}" for o in result.offices),
            f"{sum(o.by_code.get(code, 0) for o in result.offices):,}",
            f"{result.outbox_by_code.get(code, 0):,}",
        ]
        for code in codes
    ]
    stage_rows = [(s.name, s.started, s.ended) for s in result.stages]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>chfw demo: {escape(result.campaign_id)}</title><style>{CSS}</style></head><body><main>
<h1>CH firmware campaign {escape(result.campaign_id)}: {escape(c["stage"])}</h1>
<p class="sub">Release {escape(c["version"])} for models {escape(", ".join(c["device_models"]))}.
T0 = {result.t0:%d %b %Y %H:%M} UTC (simulated). Played end to end through the HTTP
interfaces on an accelerated clock; generated {datetime.now():%Y-%m-%d %H:%M}.</p>
<div class="cards">{
        "".join(f"<div class='card'><b>{v}</b><span>{escape(t)}</span></div>" for v, t in cards)
    }</div>
<h2>Rollout</h2><div class="panel">{_rollout_chart(result)}</div>
<div class="panel">{_pilot_chart(result)}</div>
<div class="panel">{_per_day_chart(result)}</div>
<h2>DCC Alerts</h2><div class="panel">{_alerts_chart(result)}</div>
<div class="panel">{
        _table(
            ["code", "alert", *[o.name for o in result.offices], "received", "outbox"],
            alert_rows,
            set(range(2, len(result.offices) + 4)),
        )
    }</div>
<div class="panel">{_delivery_chart(result)}</div>
<h2>Timeline</h2><div class="panel">{
        _table(["simulated time", "", "who", "what"], events, set())
    }</div>
<h2>Invariants</h2><div class="panel">{_table(["check", "result"], checks, set())}</div>
<h2>Time per stage</h2><div class="panel">{
        gantt(stage_rows, title="Real seconds each stage of the demo took")
    }</div>
</main></body></html>
"""


def write_report(result: DemoResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(result))
    return path
