"""National scale (issue #12): each operation on a large estate against its floor, same data,
same run, with the peak RSS of every process involved.

One estate (default 10,000,000 hubs, 6 suppliers, the largest holding about half), one fresh
database, a real `chfw serve` and `chfw worker` as subprocesses (configured by `CHFW_*`
variables, as an operator runs them). Rows, in order, each against the minimum work the same
result needs through the same driver and connection settings:

  inventory import   `chfw inventory import` (CLI process)  vs COPY of the same rows into
                     `hubs` in a second fresh database (its own process)
  campaign create    POST /campaigns (API)                   vs INSERT ... SELECT of the same
                     eligible snapshot into `campaign_hubs`, rolled back
  AllEligible        SR 11.7 AllEligible of the largest supplier, to completion (a large
                     request answers I99 and the worker completes it)   vs set-based: its
                     hubs' plans updated (a split hub only once its other supplier has voted,
                     at the later time, as chfw plans it) and its votes inserted, in one
                     transaction, in keyset chunks of 50,000 of its hubs, rolled back
  SR 11.8 report     the supplier's whole-estate report, to the file (async, I99)
                     vs COPY (SELECT the same rows) TO STDOUT into a file, best of two
  SR 11.9 / GET campaign   median of 5 over HTTP (bar: 100 ms)
  eligible-hubs      a supplier walking 1,000,000 rows in pages of 5,000 over HTTP vs the same
                     keyset pages read through the driver

Rolled-back floors on PostgreSQL skip only the commit record's flush; the data pages are
written by the server's background processes either way.

    .venv/bin/python bench/national.py --hubs 10000000              # PostgreSQL
    .venv/bin/python bench/national.py --hubs 200000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.demo.api import Api, dashboard, instruction
from chfw_api.demo.processes import free_port, settings_env
from chfw_api.demo.script import NEW_VERSION, RELEASE
from chfw_api.estate import write_sample_estate
from snapshot_floor import snapshot_floor

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
BENCH = Path(__file__).resolve().parent


def _database(backend: str, work: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{work / (uuid.uuid4().hex + '.db')}", lambda: None
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"chfw_national_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(PG_ADMIN).set(database=name).render_as_string(False), drop


def _prepare(url: str, parties: Path) -> dict[str, str]:
    """Migrate, load the parties, issue one API key each."""
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.persistence.migrations import upgrade
    from chfw_api.services import parties as svc

    c = build(Settings(database_url=url))
    try:
        upgrade(c.engine)
        created = svc.load_parties(c.uow(), c.clock, document=json.loads(parties.read_text()))
        return {p.code: svc.issue_key(c.uow(), c.clock, party_code=p.code).key for p in created}
    finally:
        c.dispose()


def _issue_keys(url: str) -> dict[str, str]:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.services import parties as svc

    c = build(Settings(database_url=url))
    try:
        codes = [r[0] for r in _rows(url, "SELECT code FROM parties")]
        return {code: svc.issue_key(c.uow(), c.clock, party_code=code).key for code in codes}
    finally:
        c.dispose()


def _timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one child process run to its end."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed: {proc.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
    return seconds, usage.ru_maxrss / 1024


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) / 1024


class Server:
    def __init__(self, settings: dict[str, Any], logs: Path) -> None:
        env = {**os.environ, **settings_env(settings), "CHFW_AUTO_MIGRATE": "false"}
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        cli = [sys.executable, "-m", "chfw_api.cli"]
        logs.mkdir(parents=True, exist_ok=True)
        self.api = subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=(logs / "api.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.worker = subprocess.Popen(
            [*cli, "worker"], env=env, stdout=(logs / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(600):
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        tail = (logs / "api.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"the API did not start; its log ends:\n{tail}")

    def rss(self) -> dict[str, float]:
        return {"api": _peak_mb(self.api.pid), "worker": _peak_mb(self.worker.pid)}

    def stop(self) -> None:
        for p in (self.api, self.worker):
            p.terminate()
            p.wait(30)


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float | None, str]] = []

    def add(self, name: str, ours: float, floor: float | None, note: str = "") -> None:
        self.rows.append((name, ours, floor, note))
        ratio = f"{ours / floor:6.2f}" if floor else "     -"
        floor_s = f"{floor:9.2f}" if floor is not None else "        -"
        print(f"{name:26s} chfw {ours:9.2f}s  floor {floor_s}s  ratio {ratio}  {note}", flush=True)


def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def _floor_copy_import(url: str, csv_path: Path) -> tuple[float, float]:
    return _timed_process(
        [sys.executable, str(BENCH / "inventory_import.py"), "--child", "floor", "--url", url,
         "--csv", str(csv_path)],
        dict(os.environ),
    )  # fmt: skip


def _floor_campaign(url: str, models: list[str]) -> float:
    """The eligible snapshot into `campaign_hubs` itself (its indexes and triggers, as chfw
    writes it) for a stand-in campaign row, rolled back."""
    from chfw_api.persistence.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        trans = conn.begin()
        seconds = snapshot_floor(conn, models, NEW_VERSION)
        trans.rollback()
    engine.dispose()
    return seconds


FLOOR_CHUNK = 50_000


def _floor_all_eligible(url: str, campaign_row: int, campaign_id: str, supplier_id: int) -> float:
    """The supplier's plans (with its vote marked in the same row write) and then its votes,
    set-based, in one transaction rolled back; taken in keyset chunks of 50,000 of its hubs as
    chfw takes them. A single statement over a 5,000,000-hub supplier would spill its
    triggers' transition tables to disk (as one campaign-create statement did at 10M, 14.5
    minutes against 2 in chunks): the chunked form is the cheaper way to the same rows."""
    from chfw_api.persistence.database import make_engine
    from chfw_api.persistence.statistics import refresh_after_bulk_write

    engine = make_engine(url)
    pg = url.startswith("postgresql")
    when = "'2030-01-01T00:00:00+00:00'" if pg else "'2030-01-01 00:00:00.000000'"
    s = supplier_id
    mine = f"(h.import_supplier_id = {s} OR h.gas_supplier_id = {s})"
    split = (
        "(h.import_supplier_id IS NOT NULL AND h.gas_supplier_id IS NOT NULL "
        "AND h.import_supplier_id <> h.gas_supplier_id)"
    )
    least, greatest = ("least", "greatest") if pg else ("min", "max")
    with engine.connect() as conn:
        auto = conn.exec_driver_sql(
            f"SELECT automatic_deployment_date FROM campaigns WHERE id = {campaign_row}"
        ).scalar()
    auto = f"'{auto.isoformat()}'::timestamptz" if pg else f"'{auto}'"
    with engine.connect() as conn:
        # The statistics as chfw finds them when the request arrives (autovacuum's, here fresh).
        conn.exec_driver_sql("ANALYZE instruction_votes")
        conn.commit()
        trans = conn.begin()
        start = time.perf_counter()
        after = ""
        while True:
            # (Each limited scan as a subquery of its own: SQLite takes no parenthesised
            # operands of a UNION.)
            upto = conn.exec_driver_sql(
                "SELECT guid FROM (SELECT guid FROM "
                f"(SELECT guid FROM hubs WHERE import_supplier_id = {s} AND guid > '{after}' "
                f"ORDER BY guid LIMIT {FLOOR_CHUNK}) i UNION SELECT guid FROM "
                f"(SELECT guid FROM hubs WHERE gas_supplier_id = {s} AND guid > '{after}' "
                f"ORDER BY guid LIMIT {FLOOR_CHUNK}) g) x ORDER BY guid "
                f"LIMIT 1 OFFSET {FLOOR_CHUNK - 1}"
            ).scalar()
            within = f"> '{after}'" + (f" AND {{col}} <= '{upto}'" if upto is not None else "")
            h_in = "h.guid " + within.format(col="h.guid")
            ch_in = "campaign_hubs.guid " + within.format(col="campaign_hubs.guid")
            # Plans first, marking the supplier's vote in the same row write (what chfw does,
            # the least the result needs: migration 0012's vote trigger then finds the rows
            # marked). A split hub is planned only once its other supplier has voted, at the
            # later of the two times, never after DCC's automatic time (BR3.2, BR4.1): its
            # other vote is read, as chfw reads it; one still waiting keeps its row.
            v_in = "v.guid " + within.format(col="v.guid")
            conn.exec_driver_sql(
                f"UPDATE campaign_hubs SET status = 'instructed', planned_activation_at = "
                f"CASE WHEN v.guid IS NULL THEN {when} "
                f"ELSE {least}({greatest}({when}, v.requested_at), {auto}) END, "
                f"import_voted = import_voted OR coalesce(h.import_supplier_id = {s}, false), "
                f"gas_voted = gas_voted OR coalesce(h.gas_supplier_id = {s}, false) FROM hubs h "
                f"LEFT JOIN instruction_votes v ON v.campaign_id = '{campaign_id}' "
                f"AND v.stage = 'SafeLaunch' AND v.guid = h.guid AND {v_in} "
                # NULL (no match, no probe) for a hub that is not split: probing its own
                # supplier's votes there made each chunk read every vote written before it.
                f"AND v.supplier_id = CASE WHEN NOT {split} THEN NULL "
                f"WHEN h.import_supplier_id = {s} THEN h.gas_supplier_id "
                "ELSE h.import_supplier_id END "
                f"WHERE h.guid = campaign_hubs.guid AND campaign_hubs.campaign_id = {campaign_row} "
                f"AND NOT campaign_hubs.in_pilot AND {mine} AND {h_in} AND {ch_in} "
                f"AND (NOT {split} OR v.guid IS NOT NULL)"
            )
            voted = conn.exec_driver_sql(
                "INSERT INTO instruction_votes (campaign_id, stage, guid, supplier_id, "
                f"requested_at, instruction_id, as_import, as_gas) SELECT '{campaign_id}', "
                f"'SafeLaunch', campaign_hubs.guid, {s}, {when}, 'FLOOR', "
                f"coalesce(h.import_supplier_id = {s}, false), "
                f"coalesce(h.gas_supplier_id = {s}, false) FROM campaign_hubs JOIN hubs h "
                f"ON h.guid = campaign_hubs.guid WHERE campaign_hubs.campaign_id = {campaign_row} "
                f"AND NOT campaign_hubs.in_pilot AND {mine} AND {h_in} AND {ch_in}"
            )
            # As chfw after each chunk's votes: without it the planner, believing the table
            # empty, read every vote of the campaign for each split hub of the last chunk.
            refresh_after_bulk_write(conn, "instruction_votes", voted.rowcount)
            if upto is None:
                break
            after = str(upto)
        seconds = time.perf_counter() - start
        trans.rollback()
    engine.dispose()
    return seconds


def _vacuum(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) hubs, campaign_hubs, instruction_votes")
        engine.dispose()


def _floor_report(url: str, supplier_id: int, out: Path) -> float:
    s = supplier_id
    sql = (
        f"SELECT h.guid, h.import_supplier_id = {s}, h.gas_supplier_id = {s}, "
        "h.firmware_version, c.campaign_id, ch.status, ch.result_at, ch.planned_activation_at, "
        # The other supplier's vote is looked up for split hubs only, as chfw does.
        "ch.in_pilot, CASE WHEN h.import_supplier_id IS NOT NULL AND h.gas_supplier_id IS NOT "
        "NULL AND h.import_supplier_id <> h.gas_supplier_id THEN EXISTS (SELECT 1 FROM "
        "instruction_votes v WHERE v.campaign_id = c.campaign_id AND v.stage = CASE WHEN "
        "ch.in_pilot THEN 'Pilot' ELSE 'SafeLaunch' END AND v.guid = h.guid AND v.supplier_id = "
        f"CASE WHEN h.import_supplier_id = {s} THEN h.gas_supplier_id ELSE h.import_supplier_id "
        "END) END "
        "FROM hubs h LEFT JOIN campaign_hubs ch ON ch.guid = h.guid LEFT JOIN campaigns c "
        f"ON c.id = ch.campaign_id WHERE h.import_supplier_id = {s} OR h.gas_supplier_id = {s} "
        # chfw's order: a hub in several campaigns gives its rows in campaign order. Ordered
        # by GUID alone, the planner merged all of `hubs` with all of `campaign_hubs` for a
        # supplier of a fifth of the estate (4.6 s at 1,000,000 hubs, chfw's plan 2.1 s).
        "ORDER BY h.guid, c.campaign_id"
    )
    start = time.perf_counter()
    if url.startswith("postgresql"):
        import psycopg

        from chfw_api.persistence.database import PG_RANDOM_PAGE_COST

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        with (
            # chfw's session settings (persistence/database.py), as every floor here has.
            psycopg.connect(conninfo, options=f"-c random_page_cost={PG_RANDOM_PAGE_COST}") as pg,
            out.open("wb") as f,
            pg.cursor() as cur,
            cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy,
        ):
            for block in copy:
                f.write(block)
    else:
        import csv
        import sqlite3

        db = sqlite3.connect(make_url(url).database or "")
        with out.open("w", newline="") as f:
            csv.writer(f).writerows(db.execute(sql))
        db.close()
    return time.perf_counter() - start


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not finish in {timeout:.0f}s")
        time.sleep(0.5)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=10_000_000)
    ap.add_argument("--backend", default="postgresql")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--existing-database", help="PostgreSQL database of an earlier run's estate")
    ap.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (its name is printed)"
    )
    ap.add_argument(
        "--supplier-rank", type=int, default=1, help="the Nth largest supplier instructs"
    )
    args = ap.parse_args()
    table = Table()
    rss: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="chfw-national-") as tmp:
        work = Path(tmp)
        server: Server | None = None
        drop: Callable[[], None] = lambda: None  # noqa: E731
        try:
            if args.existing_database:
                # The rows after the import, on an estate a killed run left behind (its
                # campaign, if it was created, is reused).
                url = make_url(PG_ADMIN).set(database=args.existing_database)
                url = url.render_as_string(False)
                keys = _issue_keys(url)
            else:
                t0 = time.perf_counter()
                estate = write_sample_estate(
                    work / "estate", hubs=args.hubs, suppliers=6, seed=args.seed
                )
                print(f"estate: {args.hubs:,} hubs written in {time.perf_counter() - t0:.0f}s",
                      flush=True)  # fmt: skip
                url, drop = _database(args.backend, work)
                if args.keep:
                    print(f"database kept: {make_url(url).database}", flush=True)
                    drop = lambda: None  # noqa: E731
                floor_url, floor_drop = _database(args.backend, work)
                keys = _prepare(url, estate.parties_json)
                _prepare(floor_url, estate.parties_json)
                floor_s, floor_rss = _floor_copy_import(floor_url, estate.hubs_csv)
                floor_drop()
                env = {**os.environ, "CHFW_DATABASE_URL": url, "CHFW_LOG_LEVEL": "WARNING"}
                ours_s, ours_rss = _timed_process(
                    [sys.executable, "-m", "chfw_api.cli", "inventory", "import",
                     str(estate.hubs_csv)], env,
                )  # fmt: skip
                rss["import (CLI)"] = ours_rss
                table.add("inventory import", ours_s, floor_s,
                          f"RSS chfw {ours_rss:.0f} MB, floor {floor_rss:.0f} MB")  # fmt: skip

            settings = {
                "database_url": url,
                "gateway_root": str(work / "gateway"),
                "reports_dir": str(work / "reports"),
                "max_body_bytes": 512 * 1024 * 1024,
                "log_level": "WARNING",
            }
            server = Server(settings, work / "logs")
            dcc = _rows(url, "SELECT code FROM parties WHERE kind = 'dcc'")[0][0]
            api = Api(server.url, keys=keys, dcc=dcc)
            models = sorted(r[0] for r in _rows(url, "SELECT DISTINCT model FROM hubs"))
            existing = _rows(url, "SELECT campaign_id, id FROM campaigns ORDER BY id LIMIT 1")
            if existing:
                cid, campaign_row = existing[0]
            else:
                release = api.dcc("POST", "/api/v1/releases", json={**RELEASE, "model": models[0]})
                floor_s = min(_floor_campaign(url, models) for _ in range(2))  # same table
                start = time.perf_counter()
                created = api.dcc("POST", "/api/v1/campaigns", json={
                    "release_id": release["id"], "reason": "national bench",
                    "device_models": models})  # fmt: skip
                ours_s = time.perf_counter() - start
                cid = created["campaign_id"]
                campaign_row = _scalar(
                    url, "SELECT id FROM campaigns WHERE campaign_id = :c", c=cid
                )
                table.add("campaign create", ours_s, floor_s,
                          f"{created['eligible_hubs']:,} eligible")  # fmt: skip

            by_size = _rows(url, (
                "SELECT p.id, p.code, count(*) FROM parties p JOIN hubs h ON "
                "h.import_supplier_id = p.id OR h.gas_supplier_id = p.id "
                "GROUP BY p.id, p.code ORDER BY count(*) DESC"))  # fmt: skip
            supplier_id, supplier, held = by_size[args.supplier_rank - 1]
            # Each run, the floor's two and chfw's, starts from vacuumed tables. A rolled-back
            # run leaves a dead version of each row it planned, and an entry for it in each of
            # `campaign_hubs`' indexes, that the next would walk in the same GUID ranges
            # (chfw's plan update 10-35% slower at 1,000,000 hubs); and the first to read
            # freshly imported `hubs` pages sets their hint bits for the others (at 10M the
            # floor's first run took 273 s, against 189 s on a vacuumed estate).
            floors = []
            for _ in range(2):
                _vacuum(url)
                floors.append(_floor_all_eligible(url, campaign_row, cid, supplier_id))
            floor_s = min(floors)
            _vacuum(url)
            when = datetime.now(UTC) + timedelta(days=60)
            start = time.perf_counter()
            answer = api.sr(supplier, "11.7", instruction(cid, "SafeLaunch", when))
            if answer.code == "I99":
                _wait(lambda: not _scalar(url, "SELECT count(*) FROM instruction_jobs WHERE "
                                          "state = 'running'"), 7200, "AllEligible")  # fmt: skip
            elif answer.code not in ("I0", "W110701"):
                raise SystemExit(f"AllEligible: {answer.code} {answer.body[:500]}")
            ours_s = time.perf_counter() - start
            votes = _scalar(url, "SELECT count(*) FROM instruction_votes WHERE supplier_id = :s",
                            s=supplier_id)  # fmt: skip
            table.add("SR 11.7 AllEligible", ours_s, floor_s,
                      f"{votes:,} hubs of {held:,} ({answer.code} first)")  # fmt: skip

            # The best of two, as the other floors: run once and first, the floor read pages
            # cold that chfw's request then found warm (0.98 for a small supplier at 10M).
            floor_s = min(_floor_report(url, supplier_id, work / "floor.csv") for _ in range(2))
            body = "<sr:ReadCHFirmwareStatus/>"  # the whole estate, as the floor reads it
            start = time.perf_counter()
            answer = api.sr(supplier, "11.8", body)
            report_id = answer.text("ReportID")
            if answer.code == "I99" and report_id:
                _wait(lambda: _scalar(url, "SELECT status FROM reports WHERE report_id = :r",
                                      r=report_id) == "ready", 7200, "the report")  # fmt: skip
            ours_s = time.perf_counter() - start
            rank = f"{answer.code}, supplier rank {args.supplier_rank}"
            table.add("SR 11.8 report", ours_s, floor_s, rank)

            times = []
            for _ in range(5):
                start = time.perf_counter()
                got = api.sr(supplier, "11.9", dashboard())
                times.append(time.perf_counter() - start)
                assert got.code == "I0", got.body[:300]
            table.add("SR 11.9 dashboard (p50)", statistics.median(times), None, "bar 0.100 s")
            times = []
            for _ in range(5):
                start = time.perf_counter()
                api.dcc("GET", f"/api/v1/campaigns/{cid}")
                times.append(time.perf_counter() - start)
            table.add("GET campaign (p50)", statistics.median(times), None, "bar 0.100 s")

            pages, after, start = 0, None, time.perf_counter()
            while pages < 200:
                params: dict[str, Any] = {"limit": 5000, **({"after": after} if after else {})}
                page = api.call(supplier, "GET", f"/api/v1/campaigns/{cid}/eligible-hubs",
                                params=params, ok=(200,)).json()  # fmt: skip
                pages += 1
                after = page.get("next_after")
                if not after:
                    break
            ours_s = time.perf_counter() - start
            floor_s = _floor_pages(url, campaign_row, supplier_id, pages)
            table.add("eligible-hubs pages", ours_s, floor_s, f"{pages} pages of 5,000")
            rss.update(server.rss())
        finally:
            if server is not None:
                server.stop()
            drop()
    print("peak RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    return 0


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(text(sql)))
    engine.dispose()
    return rows


def _floor_pages(url: str, campaign_row: int, supplier_id: int, pages: int) -> float:
    from chfw_api.persistence.database import make_engine

    engine = make_engine(url)
    start = time.perf_counter()
    with engine.connect() as conn:
        after = ""
        for _ in range(pages):
            # As chfw reads a supplier's page: each role's index range, merged (never an OR,
            # which no index can serve in GUID order).
            found: dict[str, tuple[Any, ...]] = {}
            for role in ("import_supplier_id", "gas_supplier_id"):
                for row in conn.exec_driver_sql(
                    "SELECT guid, model, csp_region, from_version, import_supplier_id, "
                    f"gas_supplier_id, in_pilot, status FROM campaign_hubs WHERE campaign_id = "
                    f"{campaign_row} AND {role} = {supplier_id} AND guid > '{after}' "
                    "ORDER BY guid LIMIT 5000"
                ):
                    found[row[0]] = tuple(row)
            if not found:
                break
            after = sorted(found)[:5000][-1]
    engine.dispose()
    return time.perf_counter() - start


if __name__ == "__main__":
    raise SystemExit(main())
