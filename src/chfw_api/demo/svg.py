"""Small inline SVG charts for the demo's report: no scripts, no external assets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    points: Sequence[tuple[float, float]]  # (x, y), x ascending


def _nice(top: float) -> float:
    if top <= 0:
        return 1.0
    step = 10.0 ** len(str(int(top))) / 10
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if top <= m * step:
            return float(m * step)
    return float(10 * step)


def _num(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1_000:
        return f"{v / 1_000:g}k"
    return f"{v:g}"


def line_chart(
    series: Sequence[Series],
    *,
    x_ticks: Sequence[tuple[float, str]],
    markers: Sequence[tuple[float, str]] = (),
    width: int = 1100,
    height: int = 320,
    title: str = "",
    y_label: str = "",
) -> str:
    left, right, top, bottom = 60, 20, 30, 40
    xs = [x for s in series for x, _ in s.points] + [x for x, _ in x_ticks]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    x1 = x1 if x1 > x0 else x0 + 1
    ymax = _nice(max((y for s in series for _, y in s.points), default=1))
    w, h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * w

    def py(y: float) -> float:
        return top + h - y / ymax * h

    out = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
    ]
    out.append(f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>')
    for i in range(5):
        y = ymax * i / 4
        out.append(
            f'<line x1="{left}" x2="{left + w}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
            'stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end" '
            f'fill="#6b7280">{_num(y)}</text>'
        )
    for x, label in x_ticks:
        out.append(
            f'<text x="{px(x):.1f}" y="{top + h + 16}" text-anchor="middle" '
            f'fill="#6b7280">{escape(label)}</text>'
        )
    for i, (x, label) in enumerate(markers):
        dy = 12 + (i % 4) * 11
        out.append(
            f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{top}" y2="{top + h}" '
            'stroke="#9ca3af" stroke-dasharray="3 3"/>'
        )
        out.append(
            f'<text x="{px(x) + 3:.1f}" y="{top + dy}" fill="#374151" '
            f'font-size="10">{escape(label)}</text>'
        )
    for s in series:
        if not s.points:
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + h}" stroke="#9ca3af"/>')
    out.append(
        f'<line x1="{left}" x2="{left + w}" y1="{top + h}" y2="{top + h}" stroke="#9ca3af"/>'
    )
    out.append(_legend([(s.label, s.colour) for s in series], left + w - 10, top + 4))
    if y_label:
        out.append(
            f'<text x="14" y="{top + h / 2}" transform="rotate(-90 14 {top + h / 2})" '
            f'text-anchor="middle" fill="#6b7280">{escape(y_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _legend(items: Sequence[tuple[str, str]], right: float, top: float) -> str:
    out = []
    y = top
    for label, colour in items:
        out.append(f'<rect x="{right - 130}" y="{y}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{right - 115}" y="{y + 9}">{escape(label)}</text>')
        y += 15
    return "".join(out)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    segments: Sequence[tuple[str, str]],
    width: int = 1100,
    title: str = "",
    bar_height: int = 22,
) -> str:
    """Horizontal stacked bars: one row per category, one segment per (label, colour)."""
    left, right, top = 190, 80, 40
    height = top + len(rows) * (bar_height + 8) + 40
    total = max((sum(v) for _, v in rows), default=1) or 1
    w = width - left - right
    out = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
    ]
    out.append(f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>')
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_height + 8)
        out.append(
            f'<text x="{left - 8}" y="{y + bar_height / 2 + 4}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x = float(left)
        for (name, colour), v in zip(segments, values, strict=True):
            if v <= 0:
                continue
            bw = v / total * w
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(bw, 0.5):.1f}" '
                f'height="{bar_height}" fill="{colour}"><title>{escape(name)}: '
                f"{v:,.0f}</title></rect>"
            )
            if bw > 38:
                out.append(
                    f'<text x="{x + bw / 2:.1f}" y="{y + bar_height / 2 + 4}" '
                    f'text-anchor="middle" fill="#fff">{_num(v)}</text>'
                )
            x += bw
        out.append(
            f'<text x="{x + 4:.1f}" y="{y + bar_height / 2 + 4}" '
            f'fill="#374151">{sum(values):,.0f}</text>'
        )
    legend_y = top + len(rows) * (bar_height + 8) + 8
    x = float(left)
    for name, colour in segments:
        out.append(f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{legend_y + 9}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def gantt(rows: Sequence[tuple[str, float, float]], *, width: int = 1100, title: str = "") -> str:
    """One bar per (label, start, end) in seconds."""
    left, right, top, row = 220, 60, 30, 18
    height = top + len(rows) * row + 30
    end = max((e for _, _, e in rows), default=1) or 1
    w = width - left - right
    out = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
    ]
    out.append(f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>')
    for i, (label, s, e) in enumerate(rows):
        y = top + i * row
        x, bw = left + s / end * w, max((e - s) / end * w, 1.0)
        out.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{bw:.1f}" height="{row - 5}" fill="#2563eb"/>'
        )
        out.append(f'<text x="{x + bw + 4:.1f}" y="{y + 12}" fill="#374151">{e - s:.1f} s</text>')
    for i in range(6):
        t = end * i / 5
        out.append(
            f'<text x="{left + t / end * w:.1f}" y="{height - 8}" text-anchor="middle" '
            f'fill="#6b7280">{t:.0f} s</text>'
        )
    out.append("</svg>")
    return "".join(out)
