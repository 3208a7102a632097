"""A tiny escaping templater: every value is HTML-escaped unless it is already `Markup`.

Jinja2 is not a dependency of chfw, and the dashboard's pages are small: `render` fills a
`str.format` template with escaped values, so hostile text (an incident description, a release
note reference) can only ever reach the page as text. Only `Markup` built here is trusted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta


class Markup(str):
    """HTML that is safe as it is: made by `render`, `escape` or `join`, never from input."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """Escape `value` (quotes too, so it is safe in attribute values); Markup passes as is."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def render(template: str, /, **values: object) -> Markup:
    """Fill `template`'s `{name}` fields with escaped values. Templates are code, not input."""
    return Markup(template.format_map({k: escape(v) for k, v in values.items()}))


def join(parts: Iterable[object], sep: str = "") -> Markup:
    return Markup(sep.join(escape(p) for p in parts))


def when(at: datetime | None) -> Markup:
    """A date-time as a `<time>` element, shown in UTC (the scheme's clock)."""
    if at is None:
        return Markup("&mdash;")
    utc = at.astimezone(UTC)
    return render(
        '<time datetime="{iso}">{text}</time>',
        iso=utc.isoformat(),
        text=utc.strftime("%Y-%m-%d %H:%M UTC"),
    )


def duration(left: timedelta) -> str:
    """How long is left (BR5.4), to the hour; 'overdue by ...' once the date has passed."""
    seconds = int(left.total_seconds())
    overdue, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    text = f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"
    return f"overdue by {text}" if overdue else text


def time_left(left: timedelta) -> Markup:
    """`duration` marked up so overdue is said in words and shown in colour."""
    cls = "overdue" if left.total_seconds() < 0 else "due"
    return render('<span class="{cls}">{text}</span>', cls=cls, text=duration(left))


_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def humanise(action: str) -> str:
    """'SubmitPreferredPilotList' -> 'Submit preferred pilot list'."""
    words = _WORD.sub(" ", action).split(" ")
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else action
