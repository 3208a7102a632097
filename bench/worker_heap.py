"""The worker's resident size across the chunks of a large AllEligible instruction (issue #12:
467-563 MB at the end of a 10,000,000-hub run, bar 500, while one chunk alone peaks at 166 MB).

Each mode runs the same `--chunks` chunks of the `--supplier-rank`th largest supplier's
AllEligible (each chunk as the worker runs it: `run_chunk` and its consequences, CSP files and
alerts, then rolled back) in a fresh process, and prints the resident size and its high-water
mark after each chunk:

  pool         each chunk on whichever thread of a six-thread pool is free, as
               `asyncio.to_thread` placed the worker's jobs before
  own-thread   every chunk on one thread, as `delivery/runner.py` now runs each job
  worker       as the worker now runs it: one thread, `delivery/heap.hold_mmap_threshold` at
               the start and `release_free_heap` after each chunk (the worker trims after any
               job run longer than 0.2 s)

It needs an estate with a campaign, e.g. one kept by the national bench:

    .venv/bin/python bench/national.py --hubs 1000000 --keep      # prints the database
    .venv/bin/python bench/worker_heap.py --existing-database chfw_national_... --chunks 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

MODES = ("pool", "own-thread", "worker")
REQUEST_ID = "00-00-00-00-00-00-00-01:90-B3-D5-1F-30-02-00-00:64"


def _rss() -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def _one_mode(database: str, mode: str, chunks: int, rank: int) -> None:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.delivery.heap import hold_mmap_threshold, release_free_heap
    from chfw_api.domain.instruction_jobs import CHUNK_HUBS, RUNNING, InstructionJob
    from chfw_api.services.instruction_jobs import run_chunk

    c = build(Settings(database_url=f"postgresql+psycopg://root@127.0.0.1:5432/{database}"))
    with c.engine.connect() as conn:
        cid = conn.execute(text("SELECT campaign_id FROM campaigns ORDER BY id LIMIT 1")).one()[0]
        ranked = conn.execute(text(
            "SELECT p.id FROM parties p JOIN hubs h ON h.import_supplier_id = p.id "
            "OR h.gas_supplier_id = p.id GROUP BY p.id ORDER BY count(*) DESC")).all()  # fmt: skip
    supplier = ranked[rank - 1][0]
    now = datetime.now(UTC)
    state: dict[str, str | None] = {"after": None}

    def chunk() -> None:
        job = InstructionJob(
            "BENCH", cid, supplier, "SafeLaunch", now + timedelta(days=60), REQUEST_ID,
            RUNNING, state["after"], 0, 0, 0, 0,
        )  # fmt: skip
        uow = c.uow()
        with uow:
            record = uow.instruction_jobs.record_chunk

            def keep_cursor(j: InstructionJob, outcome: object, **kw: object) -> None:
                state["after"] = outcome.last_guid  # type: ignore[attr-defined]
                record(j, outcome, **kw)  # type: ignore[arg-type]

            uow.instruction_jobs.record_chunk = keep_cursor  # type: ignore[method-assign]
            run_chunk(uow, job, now=now, chunk=CHUNK_HUBS)
            uow.dispatch()
            uow.session.flush()
            uow.rollback()
        if mode == "worker":
            release_free_heap()

    if mode == "worker":
        hold_mmap_threshold()
    pool = ThreadPoolExecutor(6 if mode == "pool" else 1)
    trail = []
    for i in range(chunks):
        # Other jobs keep some of the pool's threads busy, so each chunk lands on another.
        busy = [pool.submit(time.sleep, 0.05) for _ in range(i % 6)] if mode == "pool" else []
        pool.submit(chunk).result()
        for b in busy:
            b.result()
        trail.append(_rss())
    print(f"{mode:11s} RSS/HWM MB per chunk: " + " ".join(f"{r}/{h}" for r, h in trail))
    print(f"{mode:11s} last RSS {trail[-1][0]} MB, peak {trail[-1][1]} MB", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--existing-database", required=True)
    ap.add_argument("--chunks", type=int, default=10)
    ap.add_argument("--supplier-rank", type=int, default=1)
    ap.add_argument("--mode", choices=MODES, help="(internal) run one mode in this process")
    args = ap.parse_args()
    if args.mode:
        _one_mode(args.existing_database, args.mode, args.chunks, args.supplier_rank)
        return 0
    for mode in MODES:
        subprocess.run(
            [sys.executable, __file__, "--existing-database", args.existing_database,
             "--chunks", str(args.chunks), "--supplier-rank", str(args.supplier_rank),
             "--mode", mode],
            check=True,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
