"""A supplier's estate as firmware status rows (SR 11.8) and its campaign progress (SR 11.9)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from chfw_api.domain.hub_status import UNPLANNED
from chfw_api.domain.reports import EstateRow, Report, SecondSupplier
from chfw_api.domain.stages import DeploymentKind
from chfw_api.persistence.tables import CampaignRow, HubRow, ReportRow


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _report(row: ReportRow) -> Report:
    return Report(
        report_id=row.report_id,
        supplier_id=row.supplier_id,
        request_id=row.request_id,
        params=row.params,
        status=row.status,
        rows=row.rows,
        path=row.path,
        ready_at=row.ready_at,
    )


# The advisory-lock key that serialises report numbering across processes ("RPT" in ASCII).
_REPORT_NUMBERING = 0x525054
_SPLIT = (
    "(h.import_supplier_id IS NOT NULL AND h.gas_supplier_id IS NOT NULL "
    "AND h.import_supplier_id <> h.gas_supplier_id)"
)
# The hub's current other supplier has a standing instruction for the hub's stage (RA04:
# a former supplier's vote no longer counts).
_OTHER_VOTE = (
    "SELECT 1 FROM instruction_votes v WHERE v.campaign_id = c.campaign_id "
    "AND v.stage = CASE WHEN ch.in_pilot THEN :pilot ELSE :safe END AND v.guid = h.guid "
    "AND v.supplier_id = CASE WHEN h.import_supplier_id = :s THEN h.gas_supplier_id "
    "ELSE h.import_supplier_id END"
)


_SUPPLIER = "(h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
_SUPPLIER_RANGE = (
    "((h.import_supplier_id = :s AND h.guid > :after AND h.guid <= :last) "
    "OR (h.gas_supplier_id = :s AND h.guid > :after AND h.guid <= :last))"
)
_PAGE_END = (
    "SELECT max(guid), count(*) FROM (SELECT guid FROM ("
    "SELECT guid FROM (SELECT guid FROM hubs WHERE import_supplier_id = :s AND guid > :after "
    "ORDER BY guid LIMIT :n) AS by_import UNION "
    "SELECT guid FROM (SELECT guid FROM hubs WHERE gas_supplier_id = :s AND guid > :after "
    "ORDER BY guid LIMIT :n) AS by_gas) AS both_roles ORDER BY guid LIMIT :n) AS page"
)


# `:name` bind parameters (not `::type` casts) in the SQL shared with SQLAlchemy's text().
_PYFORMAT_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def _iso(column: str) -> str:
    """An aware UTC timestamp as Python's `datetime.isoformat()` writes it, in SQL:
    microseconds only when there are some."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_part('microseconds', {column})::bigint % 1000000 <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00'"
    )


def _iso_python(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


class EstateRepository:
    """Also keeps the asynchronous report requests (table `reports`)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _where(
        self,
        supplier_id: int,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
    ) -> tuple[str, dict[str, Any]]:
        sql = _SUPPLIER
        params: dict[str, Any] = {"s": supplier_id}
        if campaign is not None:
            # By the campaign's row id, which the planner has statistics for: filtered through
            # `campaigns` it guessed 55,000 of a 9,300,000-hub campaign's rows and probed
            # `hubs` once per campaign hub (a 5,000,000-hub supplier's report: 45 s, not 20).
            sql += " AND ch.campaign_id = :cid"
            row_id = self._s.scalar(
                select(CampaignRow.id).where(CampaignRow.campaign_id == campaign)
            )
            params["cid"] = -1 if row_id is None else row_id
        if status is not None:
            sql += " AND ch.status = :st"
            params["st"] = status
        if guids:
            sql += " AND h.guid IN (" + ", ".join(f":g{i}" for i in range(len(guids))) + ")"
            params.update({f"g{i}": g for i, g in enumerate(guids)})
        return sql, params

    def count(
        self,
        supplier_id: int,
        *,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
        at_most: int,
    ) -> int:
        """The report's rows, counted up to `at_most`: enough to choose between an answer now
        and a report made by the worker, at a cost that stops there (counting a 5,000,000-hub
        supplier's rows took 29 s at 10,000,000 hubs)."""
        where, params = self._where(supplier_id, campaign, status, guids)
        join = "JOIN" if (campaign or status) else "LEFT JOIN"
        return int(
            self._s.scalar(
                text(
                    f"SELECT count(*) FROM (SELECT 1 FROM hubs h {join} campaign_hubs ch "
                    f"ON ch.guid = h.guid {join} campaigns c ON c.id = ch.campaign_id "
                    f"WHERE {where} LIMIT :at_most) AS found"
                ),
                {**params, "at_most": at_most},
            )
            or 0
        )

    def rows(
        self,
        supplier_id: int,
        *,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
        batch: int = 5000,
        limit: int | None = None,
    ) -> Iterator[EstateRow]:
        """Rows in GUID order, fetched in keyset batches so a 300,000-hub report streams in
        constant memory. Whether the hub's other supplier has instructed is one primary-key
        probe of `instruction_votes` per row; the other supplier's ID never leaves the query
        (BR3.3)."""
        where, params = self._where(supplier_id, campaign, status, guids)
        join = "JOIN" if (campaign or status) else "LEFT JOIN"
        select_rows = (
            "SELECT h.guid, h.import_supplier_id = :s, h.gas_supplier_id = :s, "
            "h.firmware_version, c.campaign_id, ch.status, ch.result_at, "
            "ch.planned_activation_at, ch.in_pilot, "
            f"{_SPLIT}, EXISTS ({_OTHER_VOTE}) "
            f"FROM hubs h {join} campaign_hubs ch ON ch.guid = h.guid "
            f"{join} campaigns c ON c.id = ch.campaign_id "
        )
        stages = {"pilot": DeploymentKind.PILOT.value, "safe": DeploymentKind.SAFE_LAUNCH.value}
        after = ""
        sent = 0
        while True:
            if guids:  # a few named hubs: primary-key probes, one page
                last, picked = None, 0
                sql = f"{select_rows} WHERE {where} AND h.guid > :after ORDER BY h.guid LIMIT :n"
            else:
                # The page's last GUID, read along the supplier's two (supplier, GUID) indexes
                # merged, so a page costs its own size however many hubs the supplier has; the
                # rows are then that GUID range of the same two indexes. An OR of the two
                # suppliers with LIMIT would sort all the supplier's remaining hubs per page.
                last, picked = self._s.execute(text(_PAGE_END), {
                    "s": supplier_id, "after": after, "n": batch}).one()  # fmt: skip
                if not picked:
                    return
                sql = (
                    f"{select_rows} WHERE {where.replace(_SUPPLIER, _SUPPLIER_RANGE)} "
                    "ORDER BY h.guid, c.campaign_id"
                )
            page = list(
                self._s.execute(
                    text(sql), {**params, **stages, "after": after, "last": last, "n": batch}
                )
            )
            for r in page:
                yield EstateRow(r[0], bool(r[1]), bool(r[2]), r[3], r[4], r[5], _utc(r[6]),
                                _utc(r[7]), bool(r[8]), bool(r[9]), bool(r[10]))  # fmt: skip
                sent += 1
                if limit is not None and sent >= limit:
                    return
            if guids:
                if not page:
                    return
                after = page[-1][0]
                continue
            if picked < batch:
                return
            after = str(last)

    def copy_report(
        self,
        supplier_id: int,
        *,
        campaign: str | None,
        status: str | None,
        guids: Sequence[str] | None,
        automatic: Mapping[tuple[str, bool], datetime],
        out: BinaryIO,
    ) -> int | None:
        """Write the report's CSV lines (no header) to `out` straight from PostgreSQL with
        COPY TO, every field computed in the query; the number of lines, or None on SQLite,
        where the caller writes `rows` itself. The lines are exactly those `csv_fields` would
        write (CRLF-terminated, empty for NULL); `automatic` is DCC's automatic time per
        (campaign, in pilot) for hubs nobody has planned (BR3.6)."""
        conn = self._s.connection()
        if conn.dialect.name != "postgresql":
            return None
        where, params = self._where(supplier_id, campaign, status, guids)
        join = "JOIN" if (campaign or status) else "LEFT JOIN"
        times = [(c, p, _iso_python(at)) for (c, p), at in automatic.items()] or [("", False, "")]
        values = ", ".join(f"(%(ac{i})s, %(ap{i})s, %(at{i})s)" for i in range(len(times)))
        for i, (c, p, at) in enumerate(times):
            params.update({f"ac{i}": c, f"ap{i}": p, f"at{i}": at})
        params.update(pilot=DeploymentKind.PILOT.value, safe=DeploymentKind.SAFE_LAUNCH.value,
                      unplanned=UNPLANNED.value)  # fmt: skip
        query = (
            "SELECT h.guid, coalesce(h.import_supplier_id = :s, false)::int, "
            "coalesce(h.gas_supplier_id = :s, false)::int, h.firmware_version, c.campaign_id, "
            f"ch.status, {_iso('ch.result_at')}, CASE WHEN ch.planned_activation_at IS NOT NULL "
            f"THEN {_iso('ch.planned_activation_at')} WHEN ch.status = :unplanned THEN a.at END, "
            f"CASE WHEN c.campaign_id IS NULL THEN NULL WHEN NOT {_SPLIT} THEN "
            f"'{SecondSupplier.NOT_SPLIT}' WHEN EXISTS ({_OTHER_VOTE}) THEN "
            f"'{SecondSupplier.INSTRUCTED}' ELSE '{SecondSupplier.NOT_INSTRUCTED}' END "
            f"FROM hubs h {join} campaign_hubs ch ON ch.guid = h.guid "
            f"{join} campaigns c ON c.id = ch.campaign_id "
            f"LEFT JOIN (VALUES {values}) AS a(campaign_id, in_pilot, at) "
            "ON a.campaign_id = c.campaign_id AND a.in_pilot = ch.in_pilot "
            f"WHERE {where} ORDER BY h.guid, c.campaign_id"
        )
        query = _PYFORMAT_PARAM.sub(r"%(\1)s", query.replace("%", "%%")).replace("%%(", "%(")
        lines = 0
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection: this unit of work holds it
        copy_to = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
        with driver.cursor() as cur, cur.copy(copy_to, params) as copy:
            for block in copy:
                data = bytes(block)
                lines += data.count(b"\n")
                out.write(data.replace(b"\n", b"\r\n"))  # the csv module's line ending
        return lines

    def campaign_counts(self, campaign_row_id: int, supplier_id: int) -> dict[str, int]:
        """The supplier's hubs in the campaign by status, as it serves them now, from the
        trigger-kept tallies (persistence/tables/tallies.py): cost follows the tally, not the
        campaign."""
        rows = self._s.execute(
            text(
                "SELECT status, sum(hubs) FROM campaign_hub_tallies WHERE campaign_id = :c "
                "AND (import_supplier_id = :s OR gas_supplier_id = :s) GROUP BY status"
            ),
            {"c": campaign_row_id, "s": supplier_id},
        )
        return {status: int(n) for status, n in rows if n}

    def split_waiting(
        self, campaign_row_id: int, campaign_id: str, supplier_id: int
    ) -> tuple[int, int]:
        """Split hubs of this supplier where exactly one of the hub's current suppliers has
        instructed it for its group's stage: (the other has and I have not, I have and the other
        has not). From the tallies' vote flags (migration 0012), so the cost follows the tally,
        not the supplier's hubs; `campaign_id` is kept for the callers' signature.

        A former supplier's vote does not count (RA04, as `_OTHER_VOTE`): the scan this
        replaced counted any other supplier's vote, of any stage."""
        del campaign_id
        row = self._s.execute(
            text(
                "SELECT sum(CASE WHEN (import_supplier_id = :s AND NOT import_voted AND gas_voted) "
                "OR (gas_supplier_id = :s AND NOT gas_voted AND import_voted) "
                "THEN hubs ELSE 0 END), "
                "sum(CASE WHEN (import_supplier_id = :s AND import_voted AND NOT gas_voted) "
                "OR (gas_supplier_id = :s AND gas_voted AND NOT import_voted) "
                "THEN hubs ELSE 0 END) "
                "FROM campaign_hub_tallies WHERE campaign_id = :c AND import_supplier_id <> 0 "
                "AND gas_supplier_id <> 0 AND import_supplier_id <> gas_supplier_id "
                "AND (import_supplier_id = :s OR gas_supplier_id = :s)"
            ),
            {"c": campaign_row_id, "s": supplier_id},
        ).first()
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    def add_report(
        self,
        *,
        report_id: str,
        supplier_id: int,
        request_id: str,
        now: datetime,
        params: dict[str, Any],
    ) -> None:
        self._s.add(
            ReportRow(
                report_id=report_id,
                supplier_id=supplier_id,
                requested_at=now,
                request_id=request_id,
                params=params,
                status="pending",
            )
        )
        self._s.flush()

    def report(self, report_id: str) -> Report | None:
        row = self._s.get(ReportRow, report_id)
        return None if row is None else _report(row)

    def pending_reports(self, limit: int = 10) -> list[Report]:
        return [
            _report(r)
            for r in self._s.scalars(
                select(ReportRow)
                .where(ReportRow.status == "pending")
                .order_by(ReportRow.requested_at)
                .limit(limit)
            )
        ]

    def claim_report(self, report_id: str) -> bool:
        """Take a pending report for this transaction: a row lock (SKIP LOCKED on PostgreSQL,
        so another worker passes over it; SQLite's writer lock serialises the workers)."""
        stmt = select(ReportRow.report_id).where(
            ReportRow.report_id == report_id, ReportRow.status == "pending"
        )
        if self._s.connection().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return self._s.execute(stmt).first() is not None

    def mark_ready(self, report_id: str, *, rows: int, path: str, now: datetime) -> None:
        row = self._s.get(ReportRow, report_id)
        assert row is not None
        row.status, row.rows, row.path, row.ready_at = "ready", rows, path, now
        self._s.flush()

    def next_report_number(self) -> int:
        """The next report's number. Two API processes asking at once would both count the same
        rows (the soak's duplicate-key 500), so on PostgreSQL numbering is serialised by a
        transaction-scoped advisory lock (held until this request commits; reports are rare);
        SQLite's writers are already serialised by BEGIN IMMEDIATE."""
        conn = self._s.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REPORT_NUMBERING})
        n = self._s.scalar(select(func.count()).select_from(ReportRow)) or 0
        return int(n) + 1

    def supplied_among(self, supplier_id: int, guids: Sequence[str]) -> set[str]:
        """Which of these GUIDs are hubs the supplier serves (IS or GS): primary-key probes,
        a thousand GUIDs a statement so no driver's limit on bound values is reached."""
        found: set[str] = set()
        unique = list(dict.fromkeys(guids))
        for i in range(0, len(unique), 1000):
            found.update(
                self._s.scalars(
                    select(HubRow.guid).where(
                        HubRow.guid.in_(unique[i : i + 1000]),
                        or_(HubRow.import_supplier_id == supplier_id,
                            HubRow.gas_supplier_id == supplier_id),
                    )
                )
            )  # fmt: skip
        return found
