"""A supplier's estate as firmware status rows (SR 11.8) and its campaign progress (SR 11.9)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from chfw_api.domain.reports import EstateRow, Report
from chfw_api.persistence.tables import ReportRow


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
        sql = "(h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
        params: dict[str, Any] = {"s": supplier_id}
        if campaign is not None:
            sql += " AND c.campaign_id = :c"
            params["c"] = campaign
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
    ) -> int:
        where, params = self._where(supplier_id, campaign, status, guids)
        join = "JOIN" if (campaign or status) else "LEFT JOIN"
        return int(
            self._s.scalar(
                text(
                    f"SELECT count(*) FROM hubs h {join} campaign_hubs ch ON ch.guid = h.guid "
                    f"{join} campaigns c ON c.id = ch.campaign_id WHERE {where}"
                ),
                params,
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
        """(guid, is_import, is_gas, firmware, campaign_id, status, status_at), in GUID order,
        fetched in keyset batches so a 300,000-hub report streams in constant memory."""
        where, params = self._where(supplier_id, campaign, status, guids)
        join = "JOIN" if (campaign or status) else "LEFT JOIN"
        after = ""
        sent = 0
        while True:
            page = list(
                self._s.execute(
                    text(
                        "SELECT h.guid, h.import_supplier_id = :s, h.gas_supplier_id = :s, "
                        "h.firmware_version, c.campaign_id, ch.status, ch.result_at "
                        f"FROM hubs h {join} campaign_hubs ch ON ch.guid = h.guid "
                        f"{join} campaigns c ON c.id = ch.campaign_id "
                        f"WHERE {where} AND h.guid > :after ORDER BY h.guid LIMIT :n"
                    ),
                    {**params, "after": after, "n": batch},
                )
            )
            if not page:
                return
            for r in page:
                yield (r[0], bool(r[1]), bool(r[2]), r[3], r[4], r[5], _utc(r[6]))
                sent += 1
                if limit is not None and sent >= limit:
                    return
            after = page[-1][0]

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
        """Split hubs of this supplier where exactly one supplier has instructed: (the other
        has and I have not, I have and the other has not)."""
        row = self._s.execute(
            text(
                "SELECT "
                " sum(CASE WHEN o.guid IS NOT NULL AND m.guid IS NULL THEN 1 ELSE 0 END),"
                " sum(CASE WHEN m.guid IS NOT NULL AND o.guid IS NULL THEN 1 ELSE 0 END) "
                "FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid "
                "LEFT JOIN instruction_votes m ON m.campaign_id = :cid AND m.guid = ch.guid "
                "  AND m.supplier_id = :s "
                "LEFT JOIN instruction_votes o ON o.campaign_id = :cid AND o.guid = ch.guid "
                "  AND o.supplier_id <> :s AND o.stage = coalesce(m.stage, o.stage) "
                "WHERE ch.campaign_id = :c AND h.import_supplier_id IS NOT NULL "
                "AND h.gas_supplier_id IS NOT NULL AND h.import_supplier_id <> h.gas_supplier_id "
                "AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
            ),
            {"c": campaign_row_id, "cid": campaign_id, "s": supplier_id},
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

    def mark_ready(self, report_id: str, *, rows: int, path: str, now: datetime) -> None:
        row = self._s.get(ReportRow, report_id)
        assert row is not None
        row.status, row.rows, row.path, row.ready_at = "ready", rows, path, now
        self._s.flush()

    def next_report_number(self) -> int:
        n = self._s.scalar(select(func.count()).select_from(ReportRow)) or 0
        return int(n) + 1
