"""Activation results in bulk: 50,000 per upload against a million-hub estate, set-based.

One upload is staged into a temporary table (COPY on PostgreSQL, executemany on SQLite), read
back in one join with everything the rules need (inventory region and firmware, current
suppliers, campaign status, whether the result was seen before), logged with one
`INSERT ... SELECT`, and its status and firmware changes written back in bulk (COPY then
`UPDATE ... FROM` on PostgreSQL; executemany by primary key on SQLite). No hub is loaded as an
ORM object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from chfw_api.domain.activation import HubChange, HubResult, HubSuppliers, MonitoredHub, StagedFact
from chfw_api.persistence.tables import (
    ActivationResultRow,
    CampaignHubRow,
    HubRow,
    PartyRow,
)
from chfw_api.persistence.tables.base import UtcDateTime

_meta = MetaData()
STAGED = Table(
    "chfw_tmp_results",
    _meta,
    Column("seq", Integer),
    Column("guid", String(23)),
    Column("outcome", String(16)),
    Column("at", UtcDateTime()),
    Column("firmware_version", String(8)),
    Column("reason_code", String(32)),
    Column("reason", String(200)),
    prefixes=["TEMPORARY"],
)
CHANGES = Table(
    "chfw_tmp_changes",
    _meta,
    Column("guid", String(23)),
    Column("status", String(16)),
    Column("result_at", UtcDateTime()),
    Column("failure_reason", String(200)),
    Column("firmware_version", String(8)),
    prefixes=["TEMPORARY"],
)
_ACCEPTED = Table("chfw_tmp_accepted", _meta, Column("seq", Integer), prefixes=["TEMPORARY"])
_STAGED_COLS = ("seq", "guid", "outcome", "at", "firmware_version", "reason_code", "reason")
_CHANGE_COLS = ("guid", "status", "result_at", "failure_reason", "firmware_version")


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _create(conn: Connection, table: Table) -> None:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    table.create(conn)


def _sqlite_time(conn: Connection) -> Callable[[datetime | None], Any]:
    """The exact text SQLAlchemy stores for a UtcDateTime on SQLite, for raw executemany
    (SQLAlchemy's own executemany costs several times the driver's per row)."""
    process = UtcDateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)
    assert process is not None
    seen: dict[datetime | None, Any] = {}

    def text(value: datetime | None) -> Any:
        # Results in one upload share few distinct times: convert each once.
        found = seen.get(value)
        if found is None:
            found = seen[value] = process(value)
        return found

    return text


def _insert_raw(
    conn: Connection, table: Table, cols: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    marks = ", ".join("?" for _ in cols)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({marks})", rows)


def _copy(
    conn: Connection, table: Table, cols: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    conn.exec_driver_sql(f"ANALYZE {table.name}")


class ActivationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def stage(self, results: Sequence[tuple[int, HubResult]]) -> None:
        conn = self._s.connection()
        _create(conn, STAGED)
        rows = [
            (seq, r.guid, r.outcome.value, r.at, r.firmware_version, r.reason_code, r.reason)
            for seq, r in results
        ]
        if not rows:
            return
        if _pg(conn):
            _copy(conn, STAGED, _STAGED_COLS, rows)
        else:
            when = _sqlite_time(conn)
            _insert_raw(conn, STAGED, _STAGED_COLS, [(*r[:3], when(r[3]), *r[4:]) for r in rows])

    def facts(self, campaign_key: int) -> list[StagedFact]:
        t, ch, ar = STAGED.c, CampaignHubRow, ActivationResultRow
        imp, gas = PartyRow.__table__.alias("imp"), PartyRow.__table__.alias("gas")
        seen = (
            exists()
            .where(
                ar.campaign_id == campaign_key,
                ar.guid == t.guid,
                ar.outcome == t.outcome,
                ar.at == t.at,
            )
            .label("dup")
        )
        stmt = (
            select(
                t.seq,
                HubRow.csp_region,
                ch.guid,
                ch.status,
                ch.result_at,
                ch.in_pilot,
                HubRow.firmware_version,
                HubRow.import_supplier_id,
                imp.c.code,
                HubRow.gas_supplier_id,
                gas.c.code,
                seen,
            )
            .select_from(STAGED)
            .outerjoin(HubRow, HubRow.guid == t.guid)
            .outerjoin(ch, (ch.campaign_id == campaign_key) & (ch.guid == t.guid))
            .outerjoin(imp, imp.c.id == HubRow.import_supplier_id)
            .outerjoin(gas, gas.c.id == HubRow.gas_supplier_id)
        )
        out = []
        for row in self._s.connection().execute(stmt):
            seq, region, in_campaign, status, result_at, in_pilot, version = row[:7]
            ii, ic, gi, gc, dup = row[7:]
            out.append(
                StagedFact(
                    seq,
                    region,
                    in_campaign is not None,
                    status,
                    result_at,
                    bool(in_pilot),
                    version,
                    HubSuppliers(ii, ic, gi, gc),
                    bool(dup),
                )
            )
        return out

    def record(
        self, campaign_key: int, *, seqs: Sequence[int], csp_party_id: int, now: datetime
    ) -> int:
        """Log the accepted, new results (`seqs`) from the staging table in one statement."""
        if not seqs:
            return 0
        conn = self._s.connection()
        _create(conn, _ACCEPTED)
        if _pg(conn):
            _copy(conn, _ACCEPTED, ("seq",), [(s,) for s in seqs])
        else:
            _insert_raw(conn, _ACCEPTED, ("seq",), [(s,) for s in seqs])
        t = STAGED.c
        source = select(
            literal(campaign_key),
            t.guid,
            t.outcome,
            t.at,
            t.firmware_version,
            t.reason_code,
            t.reason,
            literal(csp_party_id),
            literal(now, UtcDateTime()),
        ).join_from(STAGED, _ACCEPTED, _ACCEPTED.c.seq == t.seq)
        result = conn.execute(
            insert(ActivationResultRow).from_select(
                [
                    "campaign_id",
                    "guid",
                    "outcome",
                    "at",
                    "firmware_version",
                    "reason_code",
                    "reason",
                    "csp_party_id",
                    "received_at",
                ],
                source,
            ),
            execution_options={"preserve_rowcount": True},
        )
        return int(result.rowcount)

    def apply(self, campaign_key: int, changes: Sequence[HubChange]) -> None:
        """Write each hub's final status, and the inventory's firmware where it changed."""
        if not changes:
            return
        conn = self._s.connection()
        if _pg(conn):
            _create(conn, CHANGES)
            _copy(
                conn,
                CHANGES,
                _CHANGE_COLS,
                [(c.guid, c.status, c.result_at, c.failure_reason, c.new_version) for c in changes],
            )
            conn.exec_driver_sql(
                "UPDATE campaign_hubs SET status = c.status, result_at = c.result_at, "
                "failure_reason = c.failure_reason FROM chfw_tmp_changes c "
                "WHERE campaign_hubs.campaign_id = %(ck)s AND campaign_hubs.guid = c.guid",
                {"ck": campaign_key},
            )
            conn.exec_driver_sql(
                "UPDATE hubs SET firmware_version = c.firmware_version FROM chfw_tmp_changes c "
                "WHERE hubs.guid = c.guid AND c.firmware_version IS NOT NULL "
                "AND hubs.firmware_version <> c.firmware_version"
            )
            return
        when = _sqlite_time(conn)
        conn.exec_driver_sql(
            "UPDATE campaign_hubs SET status = ?, result_at = ?, failure_reason = ? "
            "WHERE campaign_id = ? AND guid = ?",
            [
                (c.status, when(c.result_at), c.failure_reason, campaign_key, c.guid)
                for c in changes
            ],
        )
        versions = [(c.new_version, c.guid, c.new_version) for c in changes if c.new_version]
        if versions:
            conn.exec_driver_sql(
                "UPDATE hubs SET firmware_version = ? WHERE guid = ? AND firmware_version <> ?",
                versions,
            )

    def drop_staging(self) -> None:
        conn = self._s.connection()
        for table in (STAGED, CHANGES, _ACCEPTED):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")

    # --- reads ----------------------------------------------------------------------------

    def pilot_status_by_supplier(self, campaign_key: int) -> dict[int, dict[str, int]]:
        """Per current supplier, its pilot hubs by status (N74 progress counts)."""
        ch = CampaignHubRow
        rows = self._s.execute(
            select(HubRow.import_supplier_id, HubRow.gas_supplier_id, ch.status, func.count())
            .join(HubRow, HubRow.guid == ch.guid)
            .where(ch.campaign_id == campaign_key, ch.in_pilot.is_(True))
            .group_by(HubRow.import_supplier_id, HubRow.gas_supplier_id, ch.status)
        )
        out: dict[int, dict[str, int]] = {}
        for imp, gas, status, n in rows:
            for sid in {s for s in (imp, gas) if s is not None}:
                counts = out.setdefault(sid, {})
                counts[status] = counts.get(status, 0) + int(n)
        return out

    def monitoring(
        self, campaign_key: int, *, supplier_id: int | None, after: str | None, limit: int
    ) -> list[MonitoredHub]:
        """AD11: pilot hubs with every result; a supplier sees only the hubs it supplies now."""
        ch = CampaignHubRow
        stmt = (
            select(
                ch.guid,
                ch.model,
                ch.csp_region,
                ch.status,
                ch.planned_activation_at,
                ch.result_at,
                ch.failure_reason,
                HubRow.import_supplier_id,
                HubRow.gas_supplier_id,
            )
            .join(HubRow, HubRow.guid == ch.guid)
            .where(ch.campaign_id == campaign_key, ch.in_pilot.is_(True))
            .order_by(ch.guid)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(ch.guid > after)
        if supplier_id is not None:
            stmt = stmt.where(
                (HubRow.import_supplier_id == supplier_id) | (HubRow.gas_supplier_id == supplier_id)
            )
        hubs = list(self._s.execute(stmt))
        ar = ActivationResultRow
        history: dict[
            str, list[tuple[str, datetime, str | None, str | None, str | None, datetime]]
        ] = {}
        if hubs:
            for g, outcome, at, version, code, reason, received in self._s.execute(
                select(
                    ar.guid,
                    ar.outcome,
                    ar.at,
                    ar.firmware_version,
                    ar.reason_code,
                    ar.reason,
                    ar.received_at,
                )
                .where(ar.campaign_id == campaign_key, ar.guid.in_([h[0] for h in hubs]))
                .order_by(ar.guid, ar.at, ar.id)
            ):
                history.setdefault(g, []).append((outcome, at, version, code, reason, received))
        return [
            MonitoredHub(
                guid=g,
                model=m,
                region=r,
                status=s,
                planned_activation_at=p,
                result_at=ra,
                failure_reason=fr,
                split_supplier=imp is not None and gas is not None and imp != gas,
                results=tuple(history.get(g, ())),
            )
            for g, m, r, s, p, ra, fr, imp, gas in hubs
        ]
