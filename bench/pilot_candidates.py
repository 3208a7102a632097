"""Pilot samples at national scale (issue #12.4: pilot candidates <= 100 ms at 10,000,000 hubs).

SR 11.5 with selection rules (300 hubs, a seed; 300 of one CSP region; 0.01% of one region)
sent by the largest supplier over HTTP to a real `chfw serve`, once per seed, on a PostgreSQL
estate with a pilot campaign. chfw's time is the whole request: XML in, the sample, the
supplier's list stored (and sent on to the CSPs), the pilot group composed again, the audit
and the response.

The floor is the minimum work the same result needs, set-based, through the same driver with
chfw's connection settings, in one transaction, rolled back:
- a share's pool counted as chfw counts it (the tallies, less the flagged hubs): nothing less
  gives an exact count without reading the supplier's hubs;
- the sample as one statement over the same indexes, reading only the bands the answer spans
  (it is told how far chfw's sample reached; any reader must read at least that far), in the
  same seeded MD5 order, its GUIDs inserted as the supplier's list in the same statement;
- composing the group: the first 300 production-proving hubs in the group's order by their
  index, looked up in the campaign (when they fill the group, as at 1M and 10M here, nothing
  else can be in it; otherwise the preferred lists and the CSP's default list too), the
  pilot's current members read, and only the hubs joining written.
It checks that its sample is chfw's. Peak RSS of the API and worker is printed.

Last, AD09 in-process, as the worker runs it on the day the preferred lists fall due: DCC's
sample for each supplier that sent no list (all but the largest), then the group composed
again; timed, without a floor (a worker job, not a request; each supplier's reads are those
of an SR 11.5 sample above).

    .venv/bin/python bench/pilot_candidates.py --hubs 1000000
    .venv/bin/python bench/pilot_candidates.py --existing-database NAME   # a kept estate
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from chfw_api.demo.api import Api, preferred_rules
from chfw_api.demo.script import RELEASE
from chfw_api.domain.pilot import PILOT_BANDS, first_band, pilot_band
from chfw_api.estate import write_sample_estate
from chfw_api.persistence.database import make_engine
from national import PG_ADMIN, Server, _database, _issue_keys, _prepare, _rows, _timed_process  # type: ignore[import-not-found]

_ROLE = (
    "SELECT h.guid, h.friendly_customer AS f, (h.pilot_band - :start + {n}) % {n} AS off "
    "FROM hubs h JOIN campaign_hubs ch ON ch.campaign_id = :cid AND ch.guid = h.guid "
    "WHERE h.{role}_supplier_id = :s AND NOT h.production_proving AND NOT h.pilot_excluded "
    "{region} AND ((h.friendly_customer AND ({friendly})) OR "
    "(NOT h.friendly_customer AND ({others})))"
)


_POOL = (
    "SELECT (SELECT sum(hubs) FROM campaign_hub_tallies WHERE campaign_id = :cid AND "
    "(import_supplier_id = :s OR gas_supplier_id = :s) AND csp_region = :r) - (SELECT count(*) "
    "FROM hubs h JOIN campaign_hubs ch ON ch.campaign_id = :cid AND ch.guid = h.guid WHERE "
    "(h.production_proving OR h.pilot_excluded) AND (h.import_supplier_id = :s OR "
    "h.gas_supplier_id = :s) AND ch.csp_region = :r)"
)


def _share_rules(campaign: str, percentage: str, *, region: str, seed: int) -> str:
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:SelectionRules><sr:Percentage>{percentage}</sr:Percentage>"
        f"<sr:CSPRegion>{region}</sr:CSPRegion><sr:Seed>{seed}</sr:Seed>"
        "</sr:SelectionRules></sr:SubmitPreferredPilotList>"
    )


def _arc(start: int, reach: int | None) -> str:
    """The bands from `start` to `reach` bands on (inclusive), as a condition; none: false."""
    if reach is None:
        return "false"
    last = start + reach
    if last < PILOT_BANDS:
        return f"h.pilot_band BETWEEN {start} AND {last}"
    return f"(h.pilot_band >= {start} OR h.pilot_band <= {last - PILOT_BANDS})"


def _floor(
    url: str,
    ctx: dict[str, Any],
    seed: int,
    region: str | None,
    chosen: list[tuple[str, bool]],
    members: list[str],
    *,
    count_pool: bool,
) -> float:
    start = first_band(seed)

    def reach(friendly: bool) -> int | None:
        offs = [(pilot_band(g) - start) % PILOT_BANDS for g, f in chosen if f == friendly]
        return max(offs) if offs else None

    where = f"AND ch.csp_region = '{region}'" if region else ""
    conds = {"friendly": _arc(start, reach(True)), "others": _arc(start, reach(False))}
    roles = " UNION ".join(
        _ROLE.format(n=PILOT_BANDS, role=r, region=where, **conds) for r in ("import", "gas")
    )
    sql = (
        f"WITH u AS ({roles}), chosen AS (SELECT guid FROM u ORDER BY NOT f, off, "
        "md5(:seed || ':' || guid) COLLATE \"C\" LIMIT :want) "
        "INSERT INTO preferred_pilot_hubs (campaign_id, supplier_id, guid) "
        "SELECT :campaign, :s, guid FROM chosen RETURNING guid"
    )
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            t0 = time.perf_counter()
            if count_pool:  # a share's pool, from the tallies less the rare flagged hubs
                conn.execute(text(_POOL), {"cid": ctx["row"], "s": ctx["supplier"], "r": region})
            conn.execute(
                text(
                    "DELETE FROM preferred_pilot_hubs WHERE campaign_id = :c AND supplier_id = :s"
                ),
                {"c": ctx["campaign"], "s": ctx["supplier"]},
            )
            got = (
                conn.execute(
                    text(sql),
                    {
                        "start": start,
                        "cid": ctx["row"],
                        "s": ctx["supplier"],
                        "seed": str(seed),
                        "want": len(chosen),
                        "campaign": ctx["campaign"],
                    },
                )
                .scalars()
                .all()
            )
            proving = (
                conn.execute(
                    text(
                        "SELECT guid FROM hubs WHERE production_proving AND NOT pilot_excluded "
                        "ORDER BY NOT friendly_customer, md5(:seed || ':' || guid) COLLATE \"C\" "
                        "LIMIT 300"
                    ),
                    {"seed": ctx["campaign"].rsplit("-", 1)[-1].lstrip("0")},
                )
                .scalars()
                .all()
            )
            in_campaign = (
                conn.execute(
                    text(
                        "SELECT guid FROM campaign_hubs WHERE campaign_id = :cid AND guid = ANY(:g)"
                    ),
                    {"cid": ctx["row"], "g": proving},
                )
                .scalars()
                .all()
            )
            if len(in_campaign) < 300:  # the group is not theirs alone: the lists count
                conn.execute(
                    text("SELECT supplier_id, guid FROM preferred_pilot_hubs WHERE "
                         "campaign_id = :c"), {"c": ctx["campaign"]},
                ).all()  # fmt: skip
                conn.execute(
                    text("SELECT guid FROM campaign_hubs WHERE campaign_id = :cid AND "
                         "in_default_list"), {"cid": ctx["row"]},
                ).all()  # fmt: skip
            elif sorted(in_campaign) != sorted(members):
                raise SystemExit("the floor's pilot group is not chfw's")
            current = (
                conn.execute(
                    text("SELECT guid FROM campaign_hubs WHERE campaign_id = :cid AND in_pilot"),
                    {"cid": ctx["row"]},
                )
                .scalars()
                .all()
            )
            conn.execute(
                text(
                    "UPDATE campaign_hubs SET in_pilot = true WHERE campaign_id = :cid "
                    "AND guid = ANY(:m)"
                ),
                {"cid": ctx["row"], "m": sorted(set(members) - set(current))},
            )
            seconds = time.perf_counter() - t0
            conn.rollback()
    finally:
        engine.dispose()
    if sorted(got) != sorted(g for g, _ in chosen):
        raise SystemExit(f"the floor's sample is not chfw's (seed {seed}, region {region})")
    return seconds


def _result(url: str, ctx: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[str]]:
    """The supplier's stored list (each GUID with its friendly flag) and the pilot members."""
    listed = _rows(url, (
        "SELECT p.guid, h.friendly_customer FROM preferred_pilot_hubs p JOIN hubs h ON "
        f"h.guid = p.guid WHERE p.campaign_id = '{ctx['campaign']}' AND "
        f"p.supplier_id = {ctx['supplier']}"))  # fmt: skip
    members = _rows(url, "SELECT guid FROM campaign_hubs WHERE campaign_id = "
                         f"{ctx['row']} AND in_pilot")  # fmt: skip
    return [(g, bool(f)) for g, f in listed], [r[0] for r in members]


def _ad09(url: str, campaign: str) -> tuple[float, int, int]:
    """AD09 as the worker runs it, on the day the preferred lists fell due: a sample for each
    supplier that sent no list, then the group composed again. Seconds, suppliers, hubs."""
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.domain.clock import FakeClock
    from chfw_api.domain.deadlines import preferred_list_due
    from chfw_api.services.pilot_lists import PilotSettings
    from chfw_api.services.pilot_selection import select_for_silent_suppliers

    c = build(Settings(database_url=url, log_level="WARNING"))
    try:
        with c.uow(read_only=True) as uow:
            found = uow.campaigns.get(campaign)
            assert found is not None
            due = preferred_list_due(found)
        settings = PilotSettings(c.settings.pilot_max_size, c.settings.pilot_minimum_per_supplier)
        t0 = time.perf_counter()
        silent = select_for_silent_suppliers(
            c.uow, FakeClock(due + timedelta(minutes=1)), settings=settings
        )
        seconds = time.perf_counter() - t0
    finally:
        c.dispose()
    hubs = _rows(url, f"SELECT count(*) FROM preferred_pilot_hubs p JOIN preferred_pilot_lists "
                      f"l ON l.campaign_id = p.campaign_id AND l.supplier_id = p.supplier_id "
                      f"WHERE p.campaign_id = '{campaign}' AND l.chosen_by_dcc")[0][0]  # fmt: skip
    return seconds, silent, int(hubs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--seeds", type=int, default=7)
    ap.add_argument("--existing-database", help="PostgreSQL database of a kept estate")
    ap.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="chfw-pilot-") as tmp:
        work = Path(tmp)
        drop = lambda: None  # noqa: E731
        server: Server | None = None
        try:
            if args.existing_database:
                url = make_url(PG_ADMIN).set(database=args.existing_database)
                url = url.render_as_string(False)
                keys = _issue_keys(url)
            else:
                estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=6, seed=3)
                url, drop = _database("postgresql", work)
                if args.keep:
                    print(f"database kept: {make_url(url).database}", flush=True)
                    drop = lambda: None  # noqa: E731
                keys = _prepare(url, estate.parties_json)
                env = {**os.environ, "CHFW_DATABASE_URL": url, "CHFW_LOG_LEVEL": "WARNING"}
                seconds, rss = _timed_process(
                    [
                        sys.executable,
                        "-m",
                        "chfw_api.cli",
                        "inventory",
                        "import",
                        str(estate.hubs_csv),
                    ],
                    env,
                )
                print(f"import of {args.hubs:,} hubs: {seconds:.1f} s, {rss:.0f} MB", flush=True)
            server = Server(
                {
                    "database_url": url,
                    "gateway_root": str(work / "gateway"),
                    "reports_dir": str(work / "reports"),
                    "log_level": "WARNING",
                },
                work / "logs",
            )
            dcc = _rows(url, "SELECT code FROM parties WHERE kind = 'dcc'")[0][0]
            api = Api(server.url, keys=keys, dcc=dcc)
            pilot = _rows(
                url, "SELECT campaign_id, id FROM campaigns WHERE pilot_planned ORDER BY id LIMIT 1"
            )
            if pilot:
                campaign, row = pilot[0]
            else:
                models = sorted(r[0] for r in _rows(url, "SELECT DISTINCT model FROM hubs"))
                release = api.dcc("POST", "/api/v1/releases", json={**RELEASE, "model": models[0]})
                start = datetime.now(UTC) + timedelta(days=60)
                t0 = time.perf_counter()
                created = api.dcc(
                    "POST",
                    "/api/v1/campaigns",
                    json={
                        "release_id": release["id"],
                        "reason": "pilot bench",
                        "device_models": models,
                        "with_pilot": True,
                        "pilot_start": start.isoformat(),
                        "pilot_end": (start + timedelta(days=45)).isoformat(),
                    },
                )
                print(
                    f"campaign: {created['eligible_hubs']:,} hubs in "
                    f"{time.perf_counter() - t0:.0f} s",
                    flush=True,
                )
                campaign = created["campaign_id"]
                row = _rows(url, f"SELECT id FROM campaigns WHERE campaign_id = '{campaign}'")[0][0]
            supplier_id, supplier, held = _rows(
                url,
                (
                    "SELECT p.id, p.code, count(*) FROM parties p JOIN hubs h ON "
                    "h.import_supplier_id = p.id GROUP BY p.id, p.code ORDER BY count(*) DESC "
                    "LIMIT 1"
                ),
            )[0]
            region = _rows(
                url, "SELECT csp_region FROM hubs GROUP BY csp_region ORDER BY count(*) LIMIT 1"
            )[0][0]
            estate_size = _rows(url, "SELECT count(*) FROM hubs")[0][0]
            ctx = {"campaign": campaign, "row": row, "supplier": supplier_id}
            print(
                f"estate {estate_size:,} hubs; largest supplier {supplier} imports to "
                f"{held:,}; smallest region {region}",
                flush=True,
            )
            for where, share in ((None, None), (region, None), (region, "0.01")):
                ours, floors = [], []
                for seed in range(1, args.seeds + 1):
                    body = (
                        _share_rules(campaign, share, region=region, seed=seed)
                        if share
                        else preferred_rules(campaign, count=300, seed=seed, region=where)
                    )
                    t0 = time.perf_counter()
                    answer = api.sr(supplier, "11.5", body)
                    ours.append(time.perf_counter() - t0)
                    if answer.code != "I0":
                        raise SystemExit(f"SR 11.5: {answer.code} {answer.body[:500]}")
                    chosen, members = _result(url, ctx)
                    floors.append(
                        min(
                            _floor(url, ctx, seed, where, chosen, members, count_pool=bool(share))
                            for _ in range(2)
                        )
                    )
                what = f"300 hubs of region {where}" if where else "300 hubs"
                if share:
                    what = f"{share}% of region {where} ({len(chosen)} hubs)"
                p50, f50 = statistics.median(ours), statistics.median(floors)
                print(
                    f"SR 11.5 rules, {what}: chfw p50 {p50 * 1000:.1f} ms (min "
                    f"{min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f}) | floor p50 "
                    f"{f50 * 1000:.1f} ms | ratio {p50 / f50:.2f} | bar 100 ms",
                    flush=True,
                )
            seconds, silent, chosen_hubs = _ad09(url, campaign)
            print(
                f"AD09 in-process (DCC samples for {silent} silent suppliers, "
                f"{chosen_hubs:,} hubs, then composes the group; committed): "
                f"{seconds * 1000:.0f} ms, {seconds * 1000 / max(silent, 1):.0f} ms a supplier; "
                "no floor (a worker job; each supplier's reads are SR 11.5's above)",
                flush=True,
            )
            print(f"peak RSS: {json.dumps({k: round(v) for k, v in server.rss().items()})} MB")
        finally:
            if server is not None:
                server.stop()
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
