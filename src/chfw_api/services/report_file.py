"""The SR 11.8 report file's lines: copied out by the database where it can (PostgreSQL's
COPY TO, every field computed in the query, so a 5,000,000-hub report costs about what reading
its rows costs), else written row by row. Both write the same bytes (tests/integration/
test_report_paging.py compares them)."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from chfw_api.domain.reports import Report
from chfw_api.services.estate_rows import (
    CSV_HEADER,
    automatic_time_table,
    automatic_times,
    csv_fields,
)
from chfw_api.services.unit_of_work import UnitOfWork


def write_report(uow: UnitOfWork, report: Report, f: TextIO) -> int:
    """Write the header and the report's rows to `f`; the number of rows."""
    p = report.params
    filters: dict[str, Any] = {
        "campaign": p.get("campaign"),
        "status": p.get("status"),
        "guids": p.get("guids"),
    }
    w = csv.writer(f)
    w.writerow(CSV_HEADER)
    f.flush()
    copied = uow.estate.copy_report(
        report.supplier_id,
        **filters,
        automatic=automatic_time_table(uow, filters["campaign"]),
        out=f.buffer,
    )
    if copied is not None:
        return copied
    automatic = automatic_times(uow)
    rows = 0
    for row in uow.estate.rows(report.supplier_id, **filters):
        w.writerow(csv_fields(row, automatic))
        rows += 1
    return rows
