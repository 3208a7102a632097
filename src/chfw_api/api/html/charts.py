"""Inline SVG charts: no scripts, no external assets, readable offline and by screen readers.

The numbers are always in a table beside the chart; the SVG carries a summary as its accessible
name (`role="img"`, `aria-label`) and a `<title>` per segment for a pointer hovering over it.
"""

from __future__ import annotations

from collections.abc import Mapping

from chfw_api.api.html.markup import Markup, join, render
from chfw_api.domain.hub_status import HUB_STATUSES, HubStatus

# Colour-blind-safe (Okabe-Ito) hues, one per hub status; the legend names them in words too.
COLOURS: Mapping[str, str] = {
    HubStatus.ELIGIBLE: "#999999",
    HubStatus.INSTRUCTED: "#56b4e9",
    HubStatus.DISTRIBUTED: "#e69f00",
    HubStatus.ACTIVATED: "#009e73",
    HubStatus.FAILED: "#d55e00",
}
WIDTH = 150
HEIGHT = 16


def summary(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{s} {counts.get(s, 0):,}" for s in HUB_STATUSES)


def status_bar(counts: Mapping[str, int], *, width: int = WIDTH) -> Markup:
    """One stacked horizontal bar of hubs by status, in status order."""
    total = sum(counts.get(s, 0) for s in HUB_STATUSES)
    label = f"Hubs by status: {summary(counts)}" if total else "No hubs"
    parts: list[Markup] = []
    x = 0.0
    for status in HUB_STATUSES:
        n = counts.get(status, 0)
        if not n:
            continue
        w = width * n / total
        parts.append(
            render(
                '<rect x="{x}" y="0" width="{w}" height="{h}" fill="{fill}">'
                "<title>{status}: {n}</title></rect>",
                x=f"{x:.2f}",
                w=f"{w:.2f}",
                h=HEIGHT,
                fill=COLOURS[status],
                status=status,
                n=f"{n:,}",
            )
        )
        x += w
    if not parts:
        parts.append(render('<rect width="{w}" height="{h}" fill="#eeeeee"/>', w=width, h=HEIGHT))
    return render(
        '<svg class="bar" role="img" aria-label="{label}" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">{parts}</svg>',
        label=label,
        w=width,
        h=HEIGHT,
        parts=join(parts),
    )


def legend() -> Markup:
    items = (
        render(
            '<li><svg width="12" height="12" aria-hidden="true" focusable="false">'
            '<rect width="12" height="12" fill="{fill}"/></svg> {status}</li>',
            fill=COLOURS[s],
            status=s,
        )
        for s in HUB_STATUSES
    )
    return render('<ul class="legend" aria-label="Chart colours">{items}</ul>', items=join(items))
