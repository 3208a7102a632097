"""One campaign's page: facts, hubs by status, suppliers' shares and outstanding actions, the
other actors' next dates, decisions, incidents and alerts."""

from __future__ import annotations

from collections.abc import Mapping

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
    release_of,
    stage_badge,
    table,
)
from chfw_api.domain.hub_status import HUB_STATUSES
from chfw_api.services.dcc_dashboard import CampaignBoard, CampaignDetail


def _facts(d: CampaignDetail) -> Markup:
    c = d.board.campaign
    r = d.release
    pairs: list[tuple[str, object]] = [
        ("Stage", stage_badge(c)),
        ("Release", release_of(c)),
        ("Operational or security (AD03)", "yes" if c.release.operational_or_security else "no"),
    ]
    if r is not None:
        pairs += [
            ("Release type", r.release_type.value),
            ("Severity", r.severity.value),
            ("Release note", r.release_note_ref),
        ]
    pairs += [
        ("Target models", ", ".join(c.targeting.device_models)),
        ("Notified", when(c.notified_at)),
        (
            "Pilot",
            render("{a} to {b}", a=when(c.pilot_start), b=when(c.pilot_end))
            if c.pilot_planned
            else "none planned",
        ),
        ("Automatic deployment", when(c.automatic_deployment_date)),
        ("Eligible hubs", f"{c.eligible_hubs or 0:,}"),
    ]
    if c.superseded_by:
        pairs.append(("Superseded by", c.superseded_by))
    if c.ended_at:
        pairs.append(("Ended", when(c.ended_at)))
    return render(
        '<dl class="facts">{items}</dl>',
        items=join(render("<dt>{k}</dt><dd>{v}</dd>", k=k, v=v) for k, v in pairs),
    )


def _count_rows(by_status: Mapping[str, int], pilot: Mapping[str, int]) -> list[Markup]:
    return [
        render(
            '<tr><th scope="row">{s}</th><td class="num">{n}</td><td class="num">{p}</td></tr>',
            s=s,
            n=f"{by_status.get(s, 0):,}",
            p=f"{pilot.get(s, 0):,}",
        )
        for s in HUB_STATUSES
    ]


def _supplier_rows(b: CampaignBoard) -> list[Markup]:
    out = []
    for s in b.suppliers:
        actions = join(
            render(
                "<li>{a}: due {at} ({left})</li>",
                a=humanise(x.action),
                at=when(x.due_at),
                left=time_left(x.left),
            )
            for x in s.outstanding
        )
        out.append(
            render(
                '<tr><th scope="row">{uid}</th><td class="num">{imp}</td><td class="num">{gas}</td>'
                "<td>{actions}</td></tr>",
                uid=s.user_id,
                imp=f"{s.eligible_as_import:,}",
                gas=f"{s.eligible_as_gas:,}",
                actions=render('<ul class="actions">{a}</ul>', a=actions)
                if s.outstanding
                else render('<span class="muted">nothing outstanding</span>'),
            )
        )
    return out


def detail_page(d: CampaignDetail) -> Markup:
    b = d.board
    c = b.campaign
    counts = b.counts
    body = render(
        """<p><a href="/dashboard">&larr; All campaigns</a></p>
<h1>Campaign {cid}</h1>
{facts}
<section aria-labelledby="hubs"><h2 id="hubs">Hubs by status</h2>{legend}{bar}{counts}</section>
<section aria-labelledby="suppliers"><h2 id="suppliers">Suppliers</h2>{suppliers}</section>
<section aria-labelledby="others"><h2 id="others">Next actions of DCC and the CSP</h2>{others}
</section>
<section aria-labelledby="decisions"><h2 id="decisions">Rollout decisions</h2>{decisions}
</section>
<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>{incidents}</section>
<section aria-labelledby="alerts"><h2 id="alerts">Alerts</h2>{alert_counts}{alerts}</section>""",
        cid=c.campaign_id,
        facts=_facts(d),
        legend=legend(),
        bar=status_bar(counts.by_status, width=480),
        counts=table(
            f"{counts.total:,} hubs, {counts.pilot_total:,} of them in the pilot",
            ("Status", ("All hubs", "num"), ("Pilot hubs", "num")),
            _count_rows(counts.by_status, counts.pilot_by_status),
            "No hubs.",
        ),
        suppliers=table(
            "Each supplier's eligible hubs (BR1.3) and outstanding actions (BR5.4)",
            (
                "Supplier",
                ("Eligible as import supplier", "num"),
                ("Eligible as gas supplier", "num"),
                "Outstanding actions",
            ),
            _supplier_rows(b),
            "No supplier has hubs in this campaign.",
        ),
        others=table(
            "DCC's and the CSP's next actions, soonest first (BR5.5)",
            ACTION_HEADERS,
            (due_row(a.actor, a) for a in b.others),
            "Neither DCC nor the CSP has an action due.",
        ),
        decisions=table(
            "Every rollout decision on this campaign, oldest first",
            ("Time", "Decision", "Stage", "Pending requests", "Incident", "By", "Reason"),
            decision_rows(d.decisions, campaign=False),
            "No rollout decisions.",
        ),
        incidents=table(
            "Incidents raised on this campaign",
            INCIDENT_HEADERS,
            incident_rows(d.incidents),
            "No incidents.",
        ),
        alert_counts=table(
            "Alerts owed by this campaign, by code",
            ("Code", ("Alerts", "num")),
            (
                render(
                    '<tr><th scope="row">{c}</th><td class="num">{n}</td></tr>', c=code, n=f"{n:,}"
                )
                for code, n in d.alert_counts.items()
            ),
            "No alerts.",
        ),
        alerts=table(
            f"The last {len(d.alerts)} alerts of this campaign, newest first",
            ("Time", "Code", "Recipient", "Campaign"),
            alert_rows(d.alerts),
            "",
        )
        if d.alerts
        else "",
    )
    return page(f"Campaign {c.campaign_id}", body, generated_at=d.generated_at)
