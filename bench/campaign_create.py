"""Campaign creation over a large estate against a raw INSERT ... SELECT of the same rows.

For each backend, in a fresh migrated database holding the estate:
  floor  the eligible snapshot alone, as raw `INSERT INTO campaign_hubs ... SELECT ... FROM
         hubs WHERE ...` through the driver in chfw's keyset chunks (bench/snapshot_floor.py
         says why that is the minimum), timed, then rolled back
  chfw   `create_campaign` end to end: release lookup, supersession check, eligible snapshot,
         per-supplier shares (BR1.3), A01 alerts rendered and validated, audit rows, commit
Prints seconds, eligible rows and the ratio chfw/floor (bar: <= 2.0).

    .venv/bin/python bench/campaign_create.py --hubs 1000000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.releases import Priority, ReleaseType, Severity
from chfw_api.estate import write_sample_estate
from chfw_api.persistence.migrations import upgrade
from chfw_api.services.campaigns import NewCampaign, create_campaign
from chfw_api.services.inventory import import_hubs_csv
from chfw_api.services.parties import load_parties
from chfw_api.services.releases import NewRelease, register_release
from snapshot_floor import snapshot_floor

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
DCC = Caller(party_id=0, kind=PartyKind.DCC, code="90-B3-D5-1F-30-00-00-02")


def _database(backend: str, work: Path) -> tuple[str, object]:
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


def _models(csv_path: Path) -> list[str]:
    import csv

    with csv_path.open() as f:
        reader = csv.DictReader(f)
        return sorted({row["DeviceModel"] for _, row in zip(range(20_000), reader, strict=False)})


def _floor(c: Container, models: list[str], version: str) -> float:
    with c.engine.connect() as conn:
        trans = conn.begin()
        seconds = snapshot_floor(conn, models, version)
        trans.rollback()
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="chfw-bench-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=8, seed=11)
        models = _models(estate.hubs_csv)
        print(f"estate: {args.hubs:,} hubs; campaign targets models {', '.join(models)}")
        for backend in args.backends.split(","):
            url, drop = _database(backend, work)
            c = build(Settings(database_url=url))
            try:
                upgrade(c.engine)
                load_parties(c.uow(), c.clock, document=json.loads(estate.parties_json.read_text()))
                with estate.hubs_csv.open(newline="") as f:
                    import_hubs_csv(c.uow(), c.clock, caller=DCC, stream=f)
                release = register_release(
                    c.uow(),
                    c.clock,
                    caller=DCC,
                    release=NewRelease(
                        manufacturer="Bench",
                        model=models[0],
                        version="0FFFFFFF",
                        image_hash="ab" * 32,
                        release_note_ref="bench",
                        severity=Severity.LOW,
                        priority=Priority.LOW,
                        release_type=ReleaseType.PLANNED_MAINTENANCE,
                        operational_or_security=False,
                    ),
                )
                if backend == "postgresql":
                    with c.engine.connect() as conn:
                        conn.exec_driver_sql("ANALYZE")
                        conn.commit()
                floors = [_floor(c, models, "0FFFFFFF") for _ in range(2)]
                floor = min(floors)
                start = time.perf_counter()
                view = create_campaign(
                    c.uow(),
                    c.clock,
                    caller=DCC,
                    spec=NewCampaign(release_id=release.id, device_models=tuple(models)),
                    reason="bench",
                )
                ours = time.perf_counter() - start
            finally:
                c.dispose()
                if callable(drop):
                    drop()
            ratio = ours / floor
            worst = max(worst, ratio)
            print(
                f"{backend:10s} eligible {view.campaign.eligible_hubs:>9,} | floor (raw INSERT ... "
                f"SELECT) {floor:6.2f}s | chfw create_campaign {ours:6.2f}s "
                f"({len(view.shares)} A01 alerts) | ratio {ratio:.2f} (bar <= 2.0)"
            )
    print(f"worst ratio {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
