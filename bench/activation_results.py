"""50,000 activation results in one CSP upload against a large estate, against a raw floor.

For each backend, in a fresh migrated database holding the estate and one campaign over it:
  floor  the same writes done raw through the driver and committed, timed: the inventory's
         firmware update and the campaign status update for each hub (executemany on SQLite;
         COPY into a temporary table and one UPDATE ... FROM on PostgreSQL), the results log
         and the alert rows (bodies rendered beforehand, so the floor is pure database work).
         The commit is timed because ours is: until then SQLite holds the dirty pages (some
         30 MB of alert bodies) in its cache and a rollback never writes them. Afterwards the
         rows are put back as they were (untimed), so chfw then writes exactly the same rows.
  chfw   `post_results` end to end: the facts query, the rules per hub, the results
         log, the bulk updates, one N63 per distinct current supplier rendered (and, with
         `validate_alerts`, validated against our XSD), the guardrail check, audit, commit
Each mode gets its own hubs. Both sides are best of two runs: the floor twice over the same
50,000 hubs (put back between runs), chfw once over those and once over 50,000 others. Prints
seconds, rows and the ratio chfw/floor (bar: <= 2.0 with validation off; with validation on
too, for information).

    .venv/bin/python bench/activation_results.py --hubs 1000000
    .venv/bin/python bench/activation_results.py --hubs 60000 --results 10000   # quick
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.activation import HubResult, ResultOutcome
from chfw_api.domain.alerts import AlertEnvelope, HubActivated
from chfw_api.domain.parties import Caller, CspRegion, PartyKind
from chfw_api.domain.releases import Priority, ReleaseType, Severity
from chfw_api.duis.alerts import render_alert
from chfw_api.estate import write_sample_estate
from chfw_api.persistence.migrations import upgrade
from chfw_api.services.activation_results import ResultsPolicy, post_results
from chfw_api.services.campaigns import NewCampaign, create_campaign
from chfw_api.services.inventory import import_hubs_csv
from chfw_api.services.parties import load_parties
from chfw_api.services.releases import NewRelease, register_release

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
DCC = Caller(party_id=0, kind=PartyKind.DCC, code="90-B3-D5-1F-30-00-00-02")
VERSION = "0FFFFFFF"


def _database(backend: str, work: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{work / (uuid.uuid4().hex + '.db')}", None
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"chfw_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(PG_ADMIN).set(database=name).render_as_string(False), drop


def _prepare(c: Container, estate: Any) -> tuple[str, Caller, list[tuple[str, int, int]]]:
    """Parties, hubs, a campaign over every model; returns the campaign, the Central CSP and
    the Central hubs' (guid, import id, gas id)."""
    load_parties(c.uow(), c.clock, document=json.loads(estate.parties_json.read_text()))
    with estate.hubs_csv.open(newline="") as f:
        import_hubs_csv(c.uow(), c.clock, caller=DCC, stream=f)
    with c.engine.connect() as conn:
        models = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT model FROM hubs")]
    release = register_release(
        c.uow(),
        c.clock,
        caller=DCC,
        release=NewRelease(
            manufacturer="Kelvin Cellular",
            model=sorted(models)[0],
            version=VERSION,
            image_hash="ab" * 32,
            release_note_ref="bench",
            severity=Severity.LOW,
            priority=Priority.LOW,
            release_type=ReleaseType.PLANNED_MAINTENANCE,
            operational_or_security=False,
        ),
    )
    view = create_campaign(
        c.uow(),
        c.clock,
        caller=DCC,
        spec=NewCampaign(release_id=release.id, device_models=tuple(models)),
        reason="bench",
    )
    with c.engine.connect() as conn:
        if c.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        csp = conn.exec_driver_sql("SELECT id FROM parties WHERE code = 'CSP-C'").scalar_one()
        hubs = list(
            conn.exec_driver_sql(
                "SELECT h.guid, h.import_supplier_id, h.gas_supplier_id FROM campaign_hubs ch "
                "JOIN hubs h ON h.guid = ch.guid WHERE ch.csp_region = 'Central' ORDER BY ch.guid"
            )
        )
        conn.commit()
    caller = Caller(party_id=int(csp), kind=PartyKind.CSP, code="CSP-C",
                    regions=frozenset({CspRegion.CENTRAL}))  # fmt: skip
    return view.campaign.campaign_id, caller, [(g, i, s) for g, i, s in hubs]


def _floor(c: Container, campaign_id: str, hubs: list[tuple[str, int, int]]) -> tuple[float, int]:
    """The same rows written raw; returns (seconds, alert rows)."""
    now = c.clock.now()
    at = now
    sample = render_alert(
        AlertEnvelope.of(
            f"{DCC.code}:90-B3-D5-1F-30-01-00-00:1",
            "90-B3-D5-1F-30-01-00-00",
            now,
            HubActivated(guid=hubs[0][0], firmware_version=VERSION),
        )
    ).decode()
    alerts = []
    n = 10**9
    for guid, imp, gas in hubs:
        for sid in {s for s in (imp, gas) if s is not None}:
            n += 1
            alerts.append(
                (n, f"floor:{n}", "N63", sid, campaign_id, now, sample.replace(hubs[0][0], guid))
            )
    pg = c.engine.dialect.name == "postgresql"
    with c.engine.connect() as conn:
        cid = conn.exec_driver_sql(
            "SELECT id FROM campaigns WHERE campaign_id = %s" if pg else
            "SELECT id FROM campaigns WHERE campaign_id = ?", (campaign_id,)
        ).scalar_one()  # fmt: skip
        wanted = {g for g, _, _ in hubs}
        before = [
            row
            for row in conn.exec_driver_sql(
                "SELECT h.guid, h.firmware_version, ch.status, ch.result_at FROM hubs h "
                "JOIN campaign_hubs ch ON ch.guid = h.guid WHERE ch.campaign_id = "
                + ("%s" if pg else "?"),
                (cid,),
            )
            if row[0] in wanted
        ]
        conn.rollback()
    c.engine.dispose()  # a fresh connection: the floor starts with as cold a cache as chfw
    with c.engine.connect() as conn:
        trans = conn.begin()
        start = time.perf_counter()
        if pg:
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                cur.execute(
                    "CREATE TEMP TABLE floor_changes (guid varchar(23), at timestamptz) "
                    "ON COMMIT DROP"
                )
                with cur.copy("COPY floor_changes (guid, at) FROM STDIN") as cp:
                    for g, _, _ in hubs:
                        cp.write_row((g, at))
                cur.execute("ANALYZE floor_changes")
                cur.execute(
                    "UPDATE hubs SET firmware_version = %s FROM floor_changes f "
                    "WHERE hubs.guid = f.guid", (VERSION,)
                )  # fmt: skip
                cur.execute(
                    "UPDATE campaign_hubs SET status = 'activated', result_at = f.at "
                    "FROM floor_changes f WHERE campaign_hubs.campaign_id = %s "
                    "AND campaign_hubs.guid = f.guid", (cid,)
                )  # fmt: skip
                with cur.copy(
                    "COPY activation_results (campaign_id, guid, outcome, at, firmware_version, "
                    "csp_party_id, received_at) FROM STDIN"
                ) as cp:
                    for g, _, _ in hubs:
                        cp.write_row((cid, g, "activated", at, VERSION, 1, now))
                with cur.copy(
                    "COPY alerts (id, alert_id, code, recipient_party_id, campaign_id, "
                    "created_at, body) FROM STDIN"
                ) as cp:
                    for row in alerts:
                        cp.write_row(row)
        else:
            when = at.strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.exec_driver_sql(
                "UPDATE hubs SET firmware_version = ? WHERE guid = ?",
                [(VERSION, g) for g, _, _ in hubs],
            )
            conn.exec_driver_sql(
                "UPDATE campaign_hubs SET status = 'activated', result_at = ? "
                "WHERE campaign_id = ? AND guid = ?", [(when, cid, g) for g, _, _ in hubs]
            )  # fmt: skip
            conn.exec_driver_sql(
                "INSERT INTO activation_results (campaign_id, guid, outcome, at, firmware_version, "
                "csp_party_id, received_at) VALUES (?, ?, 'activated', ?, ?, 1, ?)",
                [(cid, g, when, VERSION, when) for g, _, _ in hubs],
            )
            conn.exec_driver_sql(
                "INSERT INTO alerts (id, alert_id, code, recipient_party_id, campaign_id, "
                "created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(i, a, k, r, cm, when, b) for i, a, k, r, cm, _, b in alerts],
            )
        trans.commit()
        seconds = time.perf_counter() - start
        _restore(conn, pg, cid, before)
    return seconds, len(alerts)


def _restore(conn: Any, pg: bool, cid: int, before: list[Any]) -> None:
    """Put back what the floor changed, so the next writer finds the rows as they were."""
    mark = "%s" if pg else "?"
    with conn.begin():
        conn.exec_driver_sql(
            f"UPDATE hubs SET firmware_version = {mark} WHERE guid = {mark}",
            [(version, g) for g, version, _, _ in before],
        )
        conn.exec_driver_sql(
            f"UPDATE campaign_hubs SET status = {mark}, result_at = {mark} "
            f"WHERE campaign_id = {mark} AND guid = {mark}",
            [(status, at, cid, g) for g, _, status, at in before],
        )
        conn.exec_driver_sql(f"DELETE FROM activation_results WHERE campaign_id = {mark}", (cid,))
        conn.exec_driver_sql("DELETE FROM alerts WHERE id >= 1000000000")
    if pg:  # the floor's dead rows cleared, as they would be before the next upload
        with conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql("VACUUM ANALYZE hubs, campaign_hubs, activation_results, alerts")


def _ours(
    c: Container, campaign_id: str, caller: Caller, hubs: list[tuple[str, int, int]]
) -> tuple[float, Any]:
    at = c.clock.now()
    results = [HubResult(g, ResultOutcome.ACTIVATED, at, VERSION) for g, _, _ in hubs]
    policy = ResultsPolicy(activation_alert_code=c.settings.activation_alert_code)
    c.engine.dispose()  # as the floor: a fresh connection
    start = time.perf_counter()
    report = post_results(
        c.uow(), c.clock, caller=caller, campaign_id=campaign_id, results=results, policy=policy
    )
    seconds = time.perf_counter() - start
    assert report.accepted == len(results), report.rejected[:3]
    return seconds, report


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--results", type=int, default=50_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="chfw-bench-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=8, seed=11)
        print(f"estate: {args.hubs:,} hubs; {args.results:,} activation results per upload")
        for backend in args.backends.split(","):
            url, drop = _database(backend, work)
            c = build(Settings(database_url=url))
            try:
                upgrade(c.engine)
                campaign_id, caller, hubs = _prepare(c, estate)
                n = min(args.results, len(hubs) // 4)
                for k, validate in enumerate((False, True)):
                    c.settings.validate_alerts = validate
                    same, fresh = (
                        hubs[2 * k * n : (2 * k + 1) * n],
                        hubs[(2 * k + 1) * n : (2 * k + 2) * n],
                    )
                    floor, alert_rows = min(_floor(c, campaign_id, same) for _ in range(2))
                    # Both sides best of two: the floor twice over the same rows (put back
                    # between runs), chfw over those rows and over as many fresh ones.
                    ours, report = min(
                        (_ours(c, campaign_id, caller, rows) for rows in (same, fresh)),
                        key=lambda run: run[0],
                    )
                    ratio = ours / floor
                    if not validate:
                        worst = max(worst, ratio)
                    print(
                        f"{backend:10s} validate_alerts={validate!s:5s} | {report.accepted:,} "
                        f"results, {report.inventory_updated:,} SMI updates, {report.alerts:,} "
                        f"alerts ({alert_rows:,} in floor) | floor {floor:6.2f}s | chfw "
                        f"{ours:6.2f}s ({ours / max(report.alerts, 1) * 1e6:5.0f} us/alert) | "
                        f"ratio {ratio:.2f}" + (" (bar <= 2.0)" if not validate else "")
                    )
            finally:
                c.dispose()
                if callable(drop):
                    drop()
    print(f"worst ratio (validate_alerts off) {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
