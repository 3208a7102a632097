"""A re-import that moves hubs between suppliers while a campaign runs (issue #12, several
processes): what it costs, and how long a writer of the campaign waits for it.

One estate (default 1,000,000 hubs) on PostgreSQL, imported by `chfw inventory import`, a
campaign over it, then a second file: the same rows with 1 in 100 hubs given other suppliers
and another 1 in 100 a new firmware version (`--move-every` sets how many move).

  floor     the minimum work for that result, with chfw's own connection settings: the file
            read and its suppliers resolved, COPY into a staging table, the moved hubs found by
            one join of it with `hubs`, one `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed`
            of everything else, and the moves by chfw's own set-based function (counts moved,
            suppliers written, vote flags recomputed: `write_hub_suppliers` and
            `move_hub_supplier_counts`, migration 0016;
            the row trigger it replaces spent 4.5 s on this file's moves), rolled back; best of
            two. No validation, no line numbers, no check for repeated GUIDs.
  chfw      `chfw inventory import` of the second file (validated, staged, every change but
            the suppliers upserted, then the moves under their campaigns' rows), committed
  wait      a probe thread takes the campaign row `FOR UPDATE` every 20 ms, as every SR, CSP
            upload and instruction chunk does first, and records its longest wait: how long
            the import kept writers of the campaign waiting (before the moves went last, it
            took no campaign row, and could deadlock with such a writer instead)

    .venv/bin/python bench/reimport.py --hubs 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from chfw_api.demo.api import Api
from chfw_api.demo.script import RELEASE
from chfw_api.domain.pilot import pilot_band
from chfw_api.estate import write_sample_estate
from large_request import HoldProbe  # type: ignore[import-not-found]
from national import Server, _database, _prepare, _rows, _timed_process  # type: ignore[import-not-found]

COLS = (
    "guid, manufacturer, model, firmware_version, status, csp_region, import_supplier_id, "
    "gas_supplier_id, production_proving, friendly_customer, pilot_excluded, pilot_band"
)


def _changed_file(source: Path, target: Path, codes: list[str], every: int) -> tuple[int, int]:
    """The same rows; every `every`th hub moved to another supplier of both fuels (its gas
    too, where it has gas), every 100th + 50th a new firmware version. Returns (moved,
    upgraded)."""
    moved = upgraded = 0
    with source.open(newline="") as f, target.open("w", newline="") as out:
        rows, writer = csv.reader(f), csv.writer(out, lineterminator="\n")
        writer.writerow(next(rows))
        for i, r in enumerate(rows):
            if i % every == 0 and r[6]:
                nxt = codes[(codes.index(r[6]) + 1) % len(codes)] if r[6] in codes else codes[0]
                r[7] = nxt if r[7] else ""
                r[6] = nxt
                moved += 1
            elif i % 100 == 50:
                r[3] = "FFFF0001"
                upgraded += 1
            writer.writerow(r)
    return moved, upgraded


def _floor(url: str, csv_path: Path) -> float:
    import psycopg

    from chfw_api.persistence.database import make_engine

    engine = make_engine(url)  # chfw's session settings
    kept = [c for c in COLS.split(", ")[1:-1] if not c.endswith("_supplier_id")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in kept)
    changed = " OR ".join(f"hubs.{c} IS DISTINCT FROM excluded.{c}" for c in kept)
    with engine.connect() as conn:
        ids = {code: pid for code, pid in conn.execute(text("SELECT code, id FROM parties"))}
        conn.rollback()
        raw = conn.connection.driver_connection
        assert isinstance(raw, psycopg.Connection)
        trans = conn.begin()
        start = time.perf_counter()
        conn.exec_driver_sql("CREATE TEMP TABLE staged (LIKE hubs) ON COMMIT DROP")
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY staged ({COLS}) FROM STDIN") as copy,
            csv_path.open(newline="") as f,
        ):
            rows = csv.reader(f)
            next(rows)
            for r in rows:
                copy.write_row((*r[:6], ids.get(r[6]), ids.get(r[7]), r[8] == "1",
                                r[9] == "1", r[10] == "1", pilot_band(r[0])))  # fmt: skip
        conn.exec_driver_sql(
            "CREATE TEMP TABLE hubs_moved ON COMMIT DROP AS SELECT s.guid, s.import_supplier_id, "
            "s.gas_supplier_id, h.import_supplier_id AS old_import_supplier_id, "
            "h.gas_supplier_id AS old_gas_supplier_id FROM staged s JOIN hubs h ON h.guid = s.guid "
            "WHERE h.import_supplier_id IS DISTINCT FROM s.import_supplier_id "
            "OR h.gas_supplier_id IS DISTINCT FROM s.gas_supplier_id"
        )
        conn.exec_driver_sql(
            f"INSERT INTO hubs ({COLS}) SELECT {COLS} FROM staged "
            f"ON CONFLICT (guid) DO UPDATE SET {updates} WHERE {changed}"
        )
        conn.exec_driver_sql("SELECT write_hub_suppliers()")
        conn.exec_driver_sql("SELECT move_hub_supplier_counts()")
        seconds = time.perf_counter() - start
        trans.rollback()
    engine.dispose()
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--move-every", type=int, default=100, help="1 hub in N moves supplier")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="chfw-reimport-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=6, seed=3)
        url, drop = _database("postgresql", work)
        server: Server | None = None
        try:
            keys = _prepare(url, estate.parties_json)
            env = {**os.environ, "CHFW_DATABASE_URL": url, "CHFW_LOG_LEVEL": "WARNING"}
            cli = [sys.executable, "-m", "chfw_api.cli", "inventory", "import"]
            first, first_rss = _timed_process([*cli, str(estate.hubs_csv)], env)
            server = Server({"database_url": url, "gateway_root": str(work / "gateway"),
                             "reports_dir": str(work / "reports"), "log_level": "WARNING"},
                            work / "logs")  # fmt: skip
            parties = json.loads(estate.parties_json.read_text())
            api = Api(server.url, keys=keys, dcc=parties["dcc"]["user_id"])
            models = sorted(r[0] for r in _rows(url, "SELECT DISTINCT model FROM hubs"))
            release = api.dcc("POST", "/api/v1/releases", json={**RELEASE, "model": models[0]})
            cid = api.dcc("POST", "/api/v1/campaigns", json={
                "release_id": release["id"], "reason": "re-import bench",
                "device_models": models})["campaign_id"]  # fmt: skip
            server.stop()
            server = None
            codes = [s["user_id"] for s in parties["suppliers"] if len(s["roles"]) == 2]
            changed = work / "changed.csv"
            moved, upgraded = _changed_file(estate.hubs_csv, changed, codes, args.move_every)
            floor = min(_floor(url, changed) for _ in range(2))
            with HoldProbe(url, cid) as probe:
                ours, rss = _timed_process([*cli, str(changed)], env)
            in_campaign = _rows(url, "SELECT count(*) FROM campaign_hubs")[0][0]
            print(f"estate {args.hubs:,} hubs ({in_campaign:,} in the campaign); first import "
                  f"{first:.1f} s, {first_rss:.0f} MB")  # fmt: skip
            print(f"re-import: {moved:,} hubs moved to other suppliers, {upgraded:,} upgraded")
            print(
                f"chfw {ours:.2f} s, {rss:.0f} MB peak RSS | floor {floor:.2f} s | ratio "
                f"{ours / floor:.2f} | longest wait for the campaign {probe.longest:.2f} s"
            )
        finally:
            if server is not None:
                server.stop()
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
