"""Does PostgreSQL declarative partitioning pay for chfw's two growing tables? (issue #12.8)

Measured on copies of the real shapes in a fresh database, plain table against partitioned,
same rows, same indexes, same connection:

  campaign hubs   `campaign_hubs`-like rows of several campaigns; plain (PK campaign, GUID)
                  against LIST-partitioned by campaign (one partition per campaign). Timed: the
                  load (one INSERT ... SELECT), 20,000 primary-key probes, one campaign's count
                  by status, and retiring a closed campaign (DELETE against DETACH + DROP).
  deliveries      `deliveries`-like rows over 12 months; plain (index on created_at) against
                  RANGE-partitioned by month. Timed: the load, claiming the 1,000 oldest
                  pending rows, and purging the oldest 3 months (DELETE against DROP).

Each row prints plain seconds, partitioned seconds and the ratio partitioned/plain (below 1:
partitioning is faster). The floor here is the plain table: the question is what partitioning
changes, so both sides do the same work through the same driver.

    .venv/bin/python bench/partitioning.py --hubs 2000000 --deliveries 2000000
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
CAMPAIGNS = 5
MONTHS = 12


def _timed(conn: Connection, sql: str | Callable[[], object], **params: object) -> float:
    start = time.perf_counter()
    if callable(sql):
        sql()
    else:
        conn.execute(text(sql), params)
    return time.perf_counter() - start


def _hubs(conn: Connection, hubs: int) -> list[tuple[str, float, float]]:
    per = hubs // CAMPAIGNS
    conn.execute(text(
        "CREATE TABLE ch_plain (campaign_id int, guid text, status text, in_pilot bool, "
        "planned_activation_at timestamptz, PRIMARY KEY (campaign_id, guid))"))  # fmt: skip
    conn.execute(text(
        "CREATE TABLE ch_part (campaign_id int, guid text, status text, in_pilot bool, "
        "planned_activation_at timestamptz, PRIMARY KEY (campaign_id, guid)) "
        "PARTITION BY LIST (campaign_id)"))  # fmt: skip
    for c in range(1, CAMPAIGNS + 1):
        conn.execute(text(f"CREATE TABLE ch_part_{c} PARTITION OF ch_part FOR VALUES IN ({c})"))
    load = (
        "INSERT INTO {t} SELECT c, lpad(to_hex(g), 16, '0'), "
        "(ARRAY['eligible','distributed','activated','failed'])[1 + g % 4], g % 1000 = 0, NULL "
        f"FROM generate_series(1, {CAMPAIGNS}) c, generate_series(1, {per}) g"
    )
    rows = []
    rows.append(("campaign hubs: load", _timed(conn, load.format(t="ch_plain")),
                 _timed(conn, load.format(t="ch_part"))))  # fmt: skip
    conn.execute(text("ANALYZE ch_plain; ANALYZE ch_part"))
    probe = (
        "SELECT count(*) FROM (SELECT 1 + (g % {c}) AS c, lpad(to_hex(1 + (g * 7919) % {p}), 16, "
        "'0') AS guid FROM generate_series(1, 20000) g) k JOIN {t} t ON t.campaign_id = k.c "
        "AND t.guid = k.guid"
    )
    rows.append(("campaign hubs: 20,000 probes",
                 _timed(conn, probe.format(c=CAMPAIGNS, p=per, t="ch_plain")),
                 _timed(conn, probe.format(c=CAMPAIGNS, p=per, t="ch_part"))))  # fmt: skip
    count = "SELECT status, count(*) FROM {t} WHERE campaign_id = 3 GROUP BY status"
    rows.append(("campaign hubs: one campaign by status",
                 _timed(conn, count.format(t="ch_plain")),
                 _timed(conn, count.format(t="ch_part"))))  # fmt: skip

    def retire() -> None:
        conn.execute(text("ALTER TABLE ch_part DETACH PARTITION ch_part_1"))
        conn.execute(text("DROP TABLE ch_part_1"))

    rows.append(("campaign hubs: retire a campaign",
                 _timed(conn, "DELETE FROM ch_plain WHERE campaign_id = 1"),
                 _timed(conn, retire)))  # fmt: skip
    return rows


def _deliveries(conn: Connection, n: int) -> list[tuple[str, float, float]]:
    cols = "id bigint, endpoint_id int, state text, attempts int, created_at timestamptz"
    conn.execute(text(f"CREATE TABLE d_plain ({cols}, PRIMARY KEY (id, created_at))"))
    conn.execute(text(
        f"CREATE TABLE d_part ({cols}, PRIMARY KEY (id, created_at)) "
        "PARTITION BY RANGE (created_at)"))  # fmt: skip
    for m in range(MONTHS):
        conn.execute(text(
            f"CREATE TABLE d_part_{m} PARTITION OF d_part FOR VALUES FROM "
            f"(timestamptz '2026-01-01' + interval '{m} month') TO "
            f"(timestamptz '2026-01-01' + interval '{m + 1} month')"))  # fmt: skip
    for t in ("d_plain", "d_part"):
        conn.execute(text(f"CREATE INDEX ON {t} (state, created_at)"))
    load = (
        "INSERT INTO {t} SELECT g, g % 50, CASE WHEN g % 100 = 0 THEN 'pending' ELSE "
        "'delivered' END, 1, timestamptz '2026-01-01' + (g::float / "
        f"{n} * interval '{MONTHS * 30 - 1} days') FROM generate_series(1, {n}) g"
    )
    rows = [("deliveries: load", _timed(conn, load.format(t="d_plain")),
             _timed(conn, load.format(t="d_part")))]  # fmt: skip
    conn.execute(text("ANALYZE d_plain; ANALYZE d_part"))
    claim = (
        "SELECT id FROM {t} WHERE state = 'pending' ORDER BY created_at LIMIT 1000 "
        "FOR UPDATE SKIP LOCKED"
    )
    rows.append(("deliveries: claim 1,000 oldest pending",
                 _timed(conn, claim.format(t="d_plain")),
                 _timed(conn, claim.format(t="d_part"))))  # fmt: skip

    def drop_months() -> None:
        for m in range(3):
            conn.execute(text(f"DROP TABLE d_part_{m}"))

    rows.append(("deliveries: purge 3 oldest months",
                 _timed(conn, "DELETE FROM d_plain WHERE created_at < "
                        "timestamptz '2026-01-01' + interval '3 month'"),
                 _timed(conn, drop_months)))  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=2_000_000)
    ap.add_argument("--deliveries", type=int, default=2_000_000)
    args = ap.parse_args()
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"chfw_partitioning_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(PG_ADMIN).set(database=name), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            rows = _hubs(conn, args.hubs) + _deliveries(conn, args.deliveries)
        print(f"{'operation':42s} {'plain s':>9s} {'partitioned s':>14s} {'ratio':>7s}")
        for what, plain, part in rows:
            print(f"{what:42s} {plain:9.3f} {part:14.3f} {part / plain:7.2f}")
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
