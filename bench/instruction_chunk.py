"""One chunk of an AllEligible SR 11.7, in-process and rolled back, with the time of each SQL
statement: where a chunk's seconds go (issue #12). A profile, not a ratio: compare two
versions of the code on the same estate, each after a `VACUUM` (a rolled-back chunk leaves
dead rows that the next would walk), or read it beside `bench/national.py`'s floor.

The estate is one `bench/national.py --keep` left (a campaign created); the supplier is the
Nth largest by hubs held. Its first chunk (the hubs after `--after`, in GUID order) goes
through the worker's own `run_chunk`, as a job that is never stored, then is rolled back.

    .venv/bin/python bench/instruction_chunk.py --existing-database NAME --supplier-rank 4
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from chfw_api.bootstrap import build
from chfw_api.config import Settings
from chfw_api.domain.instruction_jobs import CHUNK_HUBS, InstructionJob
from chfw_api.services.instruction_jobs import run_chunk
from national import PG_ADMIN  # type: ignore[import-not-found]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--existing-database", required=True)
    ap.add_argument("--supplier-rank", type=int, default=1)
    ap.add_argument("--after", default=None, help="the chunk starts after this GUID")
    args = ap.parse_args()
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + args.existing_database
    c = build(Settings(database_url=url, log_level="WARNING"))
    spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    @event.listens_for(c.engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(c.engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        entry = spent[" ".join(statement.split())[:80]]
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info["t0"]

    with c.engine.connect() as conn:
        supplier = conn.execute(
            text(
                "SELECT p.id FROM parties p JOIN hubs h ON h.import_supplier_id = p.id "
                "OR h.gas_supplier_id = p.id GROUP BY p.id ORDER BY count(*) DESC "
                "LIMIT 1 OFFSET :o"
            ),
            {"o": args.supplier_rank - 1},
        ).scalar_one()
        campaign = conn.execute(
            text("SELECT campaign_id FROM campaigns ORDER BY id LIMIT 1")
        ).scalar_one()
    spent.clear()
    job = InstructionJob(
        "INS-BENCH", campaign, supplier, "SafeLaunch", datetime.now(UTC) + timedelta(days=60),
        "bench", "running", args.after, 0, 0, 0, 0,
    )  # fmt: skip
    with c.uow() as uow:
        start, cpu = time.perf_counter(), time.process_time()
        run_chunk(uow, job, now=datetime.now(UTC), chunk=CHUNK_HUBS)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        uow.rollback()
    sql = sum(t for _, t in spent.values())
    print(f"supplier {supplier}, one chunk of {CHUNK_HUBS:,}: {wall:.2f} s wall, {cpu:.2f} s "
          f"CPU in this process, {sql:.2f} s in SQLAlchemy-issued statements (the candidates' "
          "read and the COPYs go through the driver and are not listed)")  # fmt: skip
    for statement, (n, t) in sorted(spent.items(), key=lambda kv: -kv[1][1])[:10]:
        print(f"  {int(n):3d} x {t:6.3f} s  {statement}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    c.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
