"""Building blocks shared by the dashboard's pages: tables, links, badges, common rows.

Semantic tables (caption, scoped column and row headers) carry every number; charts only repeat
them. Every value goes through `markup.render`, which escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from chfw_api.api.html.markup import Markup, humanise, join, render, time_left, when
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign.events import RolloutDecisionMade
from chfw_api.domain.incidents import Incident
from chfw_api.services.dcc_dashboard import ActionDue, AlertLine


def table(
    caption: str, headers: Sequence[str | tuple[str, str]], rows: Iterable[Markup], empty: str
) -> Markup:
    """A table with a caption and column headers; `(text, "num")` right-aligns a column."""
    body = list(rows)
    if not body:
        return render('<p class="muted">{empty}</p>', empty=empty)
    heads = join(
        render('<th scope="col" class="{cls}">{h}</th>', h=h[0], cls=h[1])
        if isinstance(h, tuple)
        else render('<th scope="col">{h}</th>', h=h)
        for h in headers
    )
    return render(
        '<div class="scroll"><table><caption>{caption}</caption><thead><tr>{heads}</tr>'
        "</thead><tbody>{body}</tbody></table></div>",
        caption=caption,
        heads=heads,
        body=join(body, "\n"),
    )


def cells(*cells: object) -> Markup:
    return render("<tr>{cells}</tr>", cells=join(render("<td>{c}</td>", c=c) for c in cells))


def link(c: Campaign) -> Markup:
    return render(
        '<a href="/dashboard/campaigns/{path}">{cid}</a>',
        path=quote(c.campaign_id, safe=""),
        cid=c.campaign_id,
    )


def stage_badge(c: Campaign) -> Markup:
    text = c.stage.value
    if c.resume_stage is not None:
        text += f" (resumes to {c.resume_stage.value})"
    cls = "stage ended" if c.is_terminal else "stage"
    return render('<span class="{cls}">{text}</span>', cls=cls, text=text)


def release_of(c: Campaign) -> str:
    r = c.release
    return f"{r.manufacturer} {r.model} {r.version}"


def due_row(who: str, a: ActionDue) -> Markup:
    return render(
        '<tr><th scope="row">{who}</th><td>{action}</td><td>{at}</td><td>{left}</td></tr>',
        who=who,
        action=humanise(a.action),
        at=when(a.due_at),
        left=time_left(a.left),
    )


ACTION_HEADERS = ("Actor", "Action", "Due", "Time left")


def decision_rows(decisions: Iterable[RolloutDecisionMade], *, campaign: bool) -> list[Markup]:
    out = []
    for d in decisions:
        before = d.before.value if d.before else "-"
        values: list[object] = [when(d.at)]
        if campaign:
            values.append(d.campaign_id)
        values += [
            d.decision.value,
            f"{before} \u2192 {d.after.value}",
            d.pending_effect.value,
            d.incident_id or "\u2014",
            d.actor,
            d.reason,
        ]
        out.append(cells(*values))
    return out


def incident_rows(incidents: Iterable[Incident]) -> list[Markup]:
    return [
        cells(
            i.incident_id,
            i.campaign_id,
            i.raised_by,
            when(i.raised_at),
            i.severity.value,
            i.status.value + (f" ({i.decision.value})" if i.decision else ""),
            "yes" if i.emergency_stop_requested else "no",
            render('<div class="desc">{d}</div>', d=i.description),
        )
        for i in incidents
    ]


INCIDENT_HEADERS = (
    "Incident",
    "Campaign",
    "Raised by",
    "Raised at",
    "Severity",
    "Status",
    "Emergency stop requested",
    "Description",
)


def alert_rows(alerts: Iterable[AlertLine]) -> list[Markup]:
    return [cells(when(a.at), a.code, a.recipient, a.campaign_id or "\u2014") for a in alerts]
