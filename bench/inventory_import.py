"""Inventory import: `chfw inventory import` against a raw-driver floor, same rows, same run.

For each backend, in fresh migrated databases:
  floor   csv.reader + supplier ID lookup + the driver's bulk write into `hubs`
          (sqlite3 `executemany` INSERT; PostgreSQL `COPY ... FROM STDIN`), one transaction.
          The minimum: every row must be read, its suppliers resolved and the row written
          once, committed; nothing less imports the file. On SQLite the connection has chfw's
          own pragmas (WAL, synchronous NORMAL, foreign keys on, the 64 MiB page cache of
          persistence/database.py), so the ratio is not flattered by SQLite's defaults.
  chfw    the real import use case: streamed parse, full row validation, duplicate check,
          UPSERT (SQLite) / COPY to staging + INSERT ... ON CONFLICT (PostgreSQL), one transaction
  reimport  the same file again (every row an update), for information
Each job runs in its own process so its peak RSS is its own. Prints rows/s, peak RSS and the
ratio chfw/floor (bar: <= 2.0, peak RSS < 300 MB).

    .venv/bin/python bench/inventory_import.py --hubs 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.domain.pilot import pilot_band

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
COLS = (
    "guid, manufacturer, model, firmware_version, status, csp_region, import_supplier_id, "
    "gas_supplier_id, production_proving, friendly_customer, pilot_excluded, pilot_band"
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows(csv_path: Path, supplier_ids: dict[str, int]):  # type: ignore[no-untyped-def]
    with csv_path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for r in reader:
            yield (
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                supplier_ids.get(r[6]),
                supplier_ids.get(r[7]),
                r[8] == "1",
                r[9] == "1",
                r[10] == "1",
                pilot_band(r[0]),  # chfw computes it per row too (migration 0017)
            )


def child_floor(url: str, csv_path: Path) -> dict[str, float]:
    from chfw_api.persistence.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        ids = {code: pid for code, pid in conn.execute(text("SELECT code, id FROM parties"))}
    engine.dispose()
    start = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        from chfw_api.persistence.database import SQLITE_CACHE_KIB

        # chfw's own connection settings (persistence/database.py): the same journal, sync
        # level, foreign-key checks and page cache, so the floor is not flattered by defaults.
        db = sqlite3.connect(make_url(url).database, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        db.execute("BEGIN")
        marks = ", ".join("?" * 12)
        batch: list[tuple[object, ...]] = []
        for row in _rows(csv_path, ids):
            batch.append(row)
            if len(batch) == 10_000:
                db.executemany(f"INSERT INTO hubs ({COLS}) VALUES ({marks})", batch)
                batch = []
        db.executemany(f"INSERT INTO hubs ({COLS}) VALUES ({marks})", batch)
        db.execute("COMMIT")
        db.close()
    else:
        import psycopg

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo) as pg:
            with pg.cursor() as cur, cur.copy(f"COPY hubs ({COLS}) FROM STDIN") as copy:
                for row in _rows(csv_path, ids):
                    copy.write_row(row)
            pg.commit()
    return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}


def child_chfw(url: str, csv_path: Path) -> dict[str, float]:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.domain.parties import Caller, PartyKind
    from chfw_api.services.inventory import import_hubs_csv

    container = build(Settings(database_url=url))
    operator = Caller(party_id=0, kind=PartyKind.DCC, code="bench")
    start = time.perf_counter()
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        report = import_hubs_csv(container.uow(), container.clock, caller=operator, stream=stream)
    seconds = time.perf_counter() - start
    container.dispose()
    return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "rows": report.rows}


def _fresh_database(backend: str, workdir: Path, parties: Path) -> tuple[str, object]:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.persistence.migrations import upgrade
    from chfw_api.services.parties import load_parties

    if backend == "sqlite":
        url = f"sqlite:///{workdir / (uuid.uuid4().hex + '.db')}"
        cleanup = None
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"chfw_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(False)

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    container = build(Settings(database_url=url))
    upgrade(container.engine)
    load_parties(container.uow(), container.clock, document=json.loads(parties.read_text()))
    container.dispose()
    return url, cleanup


def _run_child(kind: str, url: str, csv_path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url, "--csv", str(csv_path)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} job failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--child")
    ap.add_argument("--url")
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args()
    if args.child:
        fn = child_floor if args.child == "floor" else child_chfw
        print(json.dumps(fn(args.url, args.csv)))
        return 0

    from chfw_api.estate import write_sample_estate

    with tempfile.TemporaryDirectory(prefix="chfw-bench-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=8, seed=7)
        print(f"estate: {args.hubs:,} hubs, {estate.hubs_csv.stat().st_size / 1e6:.0f} MB CSV")
        worst = 0.0
        for backend in args.backends.split(","):
            url_floor, clean_floor = _fresh_database(backend, work, estate.parties_json)
            url_chfw, clean_chfw = _fresh_database(backend, work, estate.parties_json)
            try:
                floor = _run_child("floor", url_floor, estate.hubs_csv)
                ours = _run_child("chfw", url_chfw, estate.hubs_csv)
                again = _run_child("chfw", url_chfw, estate.hubs_csv)
            finally:
                for clean in (clean_floor, clean_chfw):
                    if callable(clean):
                        clean()
            ratio = ours["seconds"] / floor["seconds"]
            worst = max(worst, ratio)
            n = args.hubs
            print(
                f"{backend:10s} floor {floor['seconds']:6.2f}s {n / floor['seconds']:>9,.0f} rows/s"
                f" {floor['rss_mb']:5.0f} MB | chfw {ours['seconds']:6.2f}s"
                f" {n / ours['seconds']:>9,.0f} rows/s {ours['rss_mb']:5.0f} MB peak RSS"
                f" | reimport {again['seconds']:6.2f}s | ratio {ratio:.2f} (bar <= 2.0)"
            )
        print(f"worst ratio {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
