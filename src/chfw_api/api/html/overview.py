"""The overview page: every campaign in flight with its counts and who owes what next.

BR5.5 asks for each actor's view of the upgrades in flight, its outstanding actions and the
other actors' next dates; DCC sees all of them at once, so the page is one table of campaigns
and then, per campaign, one table of actions due (BR5.4: due date and time left).
"""

from __future__ import annotations

from collections.abc import Sequence

from chfw_api.api.html.charts import legend, status_bar
from chfw_api.api.html.layout import page
from chfw_api.api.html.markup import Markup, humanise, join, render, time_left, when
from chfw_api.api.html.parts import (
    ACTION_HEADERS,
    INCIDENT_HEADERS,
    alert_rows,
    decision_rows,
    due_row,
    incident_rows,
    link,
    release_of,
    stage_badge,
    table,
)
from chfw_api.domain.hub_status import HUB_STATUSES
from chfw_api.services.dcc_dashboard import ActionDue, CampaignBoard, Overview


def _next(a: ActionDue | None) -> Markup:
    if a is None:
        return Markup("&mdash;")
    return render(
        "{action}<br>\n{at}<br>\n{left}",
        action=humanise(a.action),
        at=when(a.due_at),
        left=time_left(a.left),
    )


def _campaign_row(b: CampaignBoard) -> Markup:
    c = b.campaign
    counts = b.counts.by_status
    nums = join(render('<td class="num">{n}</td>', n=f"{counts.get(s, 0):,}") for s in HUB_STATUSES)
    return render(
        '<tr><th scope="row">{link}</th><td>{stage}</td><td>{release}</td><td>{auto}</td>'
        '{nums}<td>{bar}</td><td>{dcc}</td><td>{csp}</td><td class="num">{open}</td></tr>',
        link=link(c),
        stage=stage_badge(c),
        release=release_of(c),
        auto=when(c.automatic_deployment_date),
        nums=nums,
        bar=status_bar(counts),
        dcc=_next(b.next_for("DCC")),
        csp=_next(b.next_for("CSP")),
        open=b.outstanding_total,
    )


CAMPAIGN_HEADERS: Sequence[str | tuple[str, str]] = (
    "Campaign",
    "Stage",
    "Release (model / version)",
    "Automatic deployment",
    *((s.capitalize(), "num") for s in HUB_STATUSES),
    "Hubs",
    "DCC next",
    "CSP next",
    ("Supplier actions due", "num"),
)


def _action_rows(b: CampaignBoard) -> list[Markup]:
    """Each supplier's outstanding actions (BR5.4), then DCC's and the CSP's next (BR5.5)."""
    rows: list[Markup] = []
    for s in b.suppliers:
        if not s.outstanding:
            rows.append(
                render(
                    '<tr><th scope="row">Supplier {uid}</th><td colspan="3" class="muted">'
                    "nothing outstanding</td></tr>",
                    uid=s.user_id,
                )
            )
        for a in s.outstanding:
            rows.append(due_row(f"Supplier {s.user_id}", a))
    rows.extend(due_row(a.actor, a) for a in b.others)
    return rows


def _actions(b: CampaignBoard, *, heading: str) -> Markup:
    c = b.campaign
    title = render(heading, link=link(c), stage=stage_badge(c), release=release_of(c))
    actions = table(
        f"Outstanding actions and next action dates for {c.campaign_id}",
        ACTION_HEADERS,
        _action_rows(b),
        "Nobody owes an action on this campaign.",
    )
    return render("{title}{table}", title=title, table=actions)


def overview_page(o: Overview) -> Markup:
    live = [b for b in o.campaigns if not b.campaign.is_terminal]
    ended = len(o.campaigns) - len(live)
    body = render(
        """<h1>Firmware campaigns</h1>
<p class="meta">{live} in flight, {ended} recently ended, {incidents} awaiting a
decision.</p>
<section aria-labelledby="campaigns"><h2 id="campaigns">Campaigns</h2>{legend}{campaigns}
</section>
<section aria-labelledby="deadlines"><h2 id="deadlines">Outstanding actions and deadlines</h2>
<p class="meta">Each supplier's outstanding actions with their due dates and the time left
(BR5.4), and the next action of DCC and of the CSP (BR5.5), per campaign in flight.</p>
{actions}</section>
<section aria-labelledby="incidents"><h2 id="incidents">Open incidents</h2>{open}</section>
<section aria-labelledby="decisions"><h2 id="decisions">Recent rollout decisions</h2>
{decisions}</section>
<section aria-labelledby="alerts"><h2 id="alerts">Recent alerts</h2>{alerts}</section>""",
        live=len(live),
        ended=ended,
        incidents=f"{len(o.incidents)} incident" + ("" if len(o.incidents) == 1 else "s"),
        legend=legend() if o.campaigns else "",
        campaigns=table(
            "Campaigns in flight and ended in the last 30 days, with hubs by status",
            CAMPAIGN_HEADERS,
            (_campaign_row(b) for b in o.campaigns),
            "No campaigns in flight.",
        ),
        actions=join(
            _actions(b, heading='<h3>{link} {stage} <span class="muted">{release}</span></h3>')
            for b in live
        )
        or render('<p class="muted">No campaigns in flight.</p>'),
        open=table(
            "Incidents open or awaiting the Panel, oldest first",
            INCIDENT_HEADERS,
            incident_rows(o.incidents),
            "No open incidents.",
        ),
        decisions=table(
            "The latest rollout decisions on the campaigns above, newest first",
            (
                "Time",
                "Campaign",
                "Decision",
                "Stage",
                "Pending requests",
                "Incident",
                "By",
                "Reason",
            ),
            decision_rows(o.decisions, campaign=True),
            "No rollout decisions yet.",
        ),
        alerts=table(
            f"The last {len(o.alerts)} alerts sent, newest first",
            ("Time", "Code", "Recipient", "Campaign"),
            alert_rows(o.alerts),
            "No alerts sent yet.",
        ),
    )
    return page("Overview", body, generated_at=o.generated_at)
