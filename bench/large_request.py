"""Large Service Requests (issue #12.5): the extra memory a 300,000-GUID SR 11.7 costs the API
process, accepted and refused, unsigned and signed, against the bar (150 MB) and the body size.

One estate (default 800,000 hubs, the largest supplier holding over 300,000), one fresh
database, a real `chfw serve` and `chfw worker` as subprocesses. Before each request the API
process's peak-RSS mark is reset (`/proc/PID/clear_refs`, value 5), so the figure is that
request's own peak over the resident size it started from:

  accepted            300,000 of the largest supplier's GUIDs, unsigned: screened and answered
                      I99 (each rejected GUID named), then done by the worker in chunks; the
                      seconds are the request's (the campaign row is held that long), and the
                      line adds when the worker finished
  accepted, signed    the same hubs again (a new date), XMLDSig-signed: the signature is over
                      the whole document, so its tree must be built
  unknown GUIDs       300,000 GUIDs not in the inventory: refused, each GUID named
  over the limit      one GUID more than CHFW_MAX_REQUEST_GUIDS: refused E110021 before the
                      body is parsed

The floor column is the body's own size: reading the body at all costs that much.

    .venv/bin/python bench/large_request.py                      # SQLite
    .venv/bin/python bench/large_request.py --backend postgresql
    .venv/bin/python bench/large_request.py --signed-only   # the signed case on a fresh API
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from chfw_api.demo.api import Api, instruction
from chfw_api.demo.script import RELEASE
from chfw_api.estate import write_sample_estate
from national import Server, _database, _prepare, _rows, _timed_process  # type: ignore[import-not-found]

BAR_MB = 150.0


def _reset_peak(pid: int) -> float:
    """Reset the process's peak-RSS mark; its resident MB now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]) / 1024


def _peak(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) / 1024


def _fake_guids(n: int) -> list[str]:
    return ["-".join(f"{(0xEE << 56 | i) >> s & 0xFF:02X}" for s in range(56, -8, -8))
            for i in range(n)]  # fmt: skip


class HoldProbe:
    """How long a writer of the campaign's hubs waits: a thread takes, every 20 ms, what such a
    writer takes (PostgreSQL: the campaign row, `FOR UPDATE`; SQLite: the database's write
    lock, `BEGIN IMMEDIATE`), waiting for it as an SR or a CSP upload would, and lets go at
    once. `longest` is the longest of those waits (a chunk's hold, not the whole job's: the
    probe is queued for the row and gets it between two chunks)."""

    def __init__(self, url: str, campaign_id: str) -> None:
        self._pg = not url.startswith("sqlite")
        self._engine = create_engine(url, connect_args={} if self._pg else {"timeout": 600})
        self._cid = campaign_id
        self._stop = threading.Event()
        self.longest = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _take(self, conn: Any) -> None:
        if self._pg:
            with conn.begin():
                conn.execute(text("SELECT 1 FROM campaigns WHERE campaign_id = :c FOR UPDATE"),
                             {"c": self._cid})  # fmt: skip
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("ROLLBACK")

    def _run(self) -> None:
        with self._engine.connect() as conn:
            if not self._pg:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            while not self._stop.is_set():
                start = time.perf_counter()
                self._take(conn)
                self.longest = max(self.longest, time.perf_counter() - start)
                time.sleep(0.02)

    def __enter__(self) -> HoldProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()


def _completed(url: str, answer: object, start: float) -> float:
    """Seconds from the request to its job's end: a named list of more than one chunk is
    answered I99 once screened, and the worker does its votes, plans and CSP parts."""
    instruction_id = answer.text("InstructionID")  # type: ignore[attr-defined]
    sql = f"SELECT state FROM instruction_jobs WHERE instruction_id = '{instruction_id}'"
    while _rows(url, sql)[0][0] == "running":
        time.sleep(0.2)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=800_000)
    ap.add_argument("--guids", type=int, default=300_000)
    ap.add_argument("--backend", default="sqlite")
    ap.add_argument("--signed-only", action="store_true",
                    help="only the signed case, first on a fresh API process (its own peak, "
                         "not on a heap the earlier cases grew)")  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="chfw-large-sr-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=6, seed=3)
        url, drop = _database(args.backend, work)
        server: Server | None = None
        try:
            keys = _prepare(url, estate.parties_json)
            env = {**os.environ, "CHFW_DATABASE_URL": url, "CHFW_LOG_LEVEL": "WARNING"}
            _timed_process([sys.executable, "-m", "chfw_api.cli", "inventory", "import",
                            str(estate.hubs_csv)], env)  # fmt: skip
            server = Server({"database_url": url, "gateway_root": str(work / "gateway"),
                             "reports_dir": str(work / "reports"), "log_level": "WARNING",
                             "max_request_guids": args.guids}, work / "logs")  # fmt: skip
            parties = json.loads(estate.parties_json.read_text())
            api = Api(server.url, keys=keys, dcc=parties["dcc"]["user_id"])
            models = sorted(r[0] for r in _rows(url, "SELECT DISTINCT model FROM hubs"))
            release = api.dcc("POST", "/api/v1/releases", json={**RELEASE, "model": models[0]})
            cid = api.dcc("POST", "/api/v1/campaigns", json={
                "release_id": release["id"], "reason": "large request bench",
                "device_models": models})["campaign_id"]  # fmt: skip
            supplier_id, supplier = _rows(url, (
                "SELECT p.id, p.code FROM parties p JOIN hubs h ON h.import_supplier_id = p.id "
                "GROUP BY p.id, p.code ORDER BY count(*) DESC LIMIT 1"))[0]  # fmt: skip
            mine = [r[0] for r in _rows(url, (
                f"SELECT guid FROM hubs WHERE import_supplier_id = {supplier_id} "
                f"ORDER BY guid LIMIT {args.guids}"))]  # fmt: skip
            if len(mine) < args.guids:
                raise SystemExit(f"the largest supplier has {len(mine)} hubs; use more --hubs")
            when = datetime.now(UTC) + timedelta(days=60)
            cases = [
                ("accepted", mine, False),
                ("unknown GUIDs", _fake_guids(args.guids), False),
                ("over the limit", _fake_guids(args.guids + 1), False),
                ("accepted, signed", mine, True),
            ]
            if args.signed_only:
                cases = cases[-1:]
            print(f"{'case':18s} {'code':8s} {'seconds':>8s} {'extra MB':>9s} "
                  f"{'body MB':>8s}  bar {BAR_MB:.0f} MB")  # fmt: skip
            for i, (name, guids, signed) in enumerate(cases):
                if signed:
                    api.register_certificate(supplier, serial=7, now=datetime.now(UTC))
                body = instruction(cid, "SafeLaunch", when + timedelta(days=i), guids)
                base = _reset_peak(server.api.pid)
                with HoldProbe(url, cid) as probe:
                    start = time.perf_counter()
                    answer = api.sr(supplier, "11.7", body)
                    seconds = time.perf_counter() - start
                    extra = _peak(server.api.pid) - base
                    done = ""
                    if answer.code == "I99":
                        done = f"  done by the worker after {_completed(url, answer, start):.1f} s"
                done += f"  longest wait for the campaign {probe.longest:.1f} s"
                print(f"{name:18s} {answer.code:8s} {seconds:8.2f} {extra:9.0f} "
                      f"{len(body) / 2**20:8.1f}  {'ok' if extra <= BAR_MB else 'OVER'}{done}",
                      flush=True)  # fmt: skip
            print(f"peak RSS MB: worker {_peak(server.worker.pid):.0f}")
        finally:
            if server is not None:
                server.stop()
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
