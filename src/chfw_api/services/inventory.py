"""Inventory (SMI): bulk import of hubs from CSV, and each party's view of its own hubs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.csv_rows import csv_rows
from chfw_api.domain.errors import NotFound, Problem, ValidationFailed
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.domain.inventory import (
    CSV_COLUMNS,
    HubRecord,
    HubRowValidator,
    HubView,
    ImportReport,
)
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.services.unit_of_work import UnitOfWork

CHUNK = 10_000


def import_hubs_csv(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    stream: TextIO,
    error_cap: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert every hub of a CSV file in one transaction, or none of them (X5).

    The file is streamed: rows are validated and written chunk by chunk, so memory stays flat
    however large the estate; repeated GUIDs are found by the database, not a set in memory
    (10,000,000 GUIDs would be ~600 MB of Python objects). The report names every bad row (up
    to `error_cap`, with the total) and the transaction rolls back.
    """
    caller.require(PartyKind.DCC)
    now = clock.now()
    rows_of = csv_rows(stream)
    header = next(rows_of, (1, None))[1]
    if header is None:
        raise ValidationFailed("the file is empty; expected a header row", problems=[])
    with uow:
        try:
            validator = HubRowValidator(header, uow.parties.supplier_directory())
        except ValueError as exc:  # the header lacks a required column
            raise ValidationFailed(str(exc), problems=[Problem(str(exc), "line 1")]) from None
        before = uow.hubs.count()
        writer = uow.hubs.bulk_writer()
        problems: list[Problem] = []
        total_bad = 0  # rows
        total_problems = 0
        chunk: list[HubRecord] = []
        lines: list[int] = []
        rows = 0
        for line, values in rows_of:
            if not values:
                continue
            rows += 1
            result = validator.check(values, f"line {line}")
            if isinstance(result, list):
                total_bad += 1
                total_problems += len(result)
                problems.extend(result[: max(0, error_cap - len(problems))])
                continue
            # Valid rows are written even after a bad one, so that the database can name every
            # repeated GUID too; the transaction rolls back whole when anything is wrong.
            chunk.append(result)
            lines.append(line)
            if len(chunk) >= CHUNK:
                writer.write(chunk, lines)
                chunk, lines = [], []
                if progress is not None:
                    progress(rows)
        writer.write(chunk, lines)
        repeated = writer.repeated(error_cap) if total_bad else writer.finish(error_cap)
        if total_bad or repeated.total:
            total_bad += repeated.total
            merged = sorted(
                [*problems, *repeated.problems()], key=lambda p: _line_number(p.location)
            )
            raise ValidationFailed(
                f"{total_bad} of {rows} rows are bad; nothing was imported",
                problems=merged[:error_cap],
                total=total_problems + repeated.total,
            )
        after = uow.hubs.count()
        writer.move_suppliers()  # last: it holds the moved hubs' campaigns until the commit
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="inventory.imported",
                    subject="inventory",
                    after={"rows": rows, "created": after - before},
                )
            ]
        )
        uow.commit()
    if progress is not None:
        progress(rows)
    created = after - before
    return ImportReport(
        rows=rows, created=created, updated=rows - created, problems_total=0, problems=[]
    )


def _line_number(location: str | None) -> int:
    """'line 12' -> 12, for merging the file's problems in line order."""
    try:
        return int((location or "").rsplit(" ", 1)[-1])
    except ValueError:
        return 0


def csv_header() -> str:
    return ",".join(CSV_COLUMNS)


def list_hubs(
    uow: UnitOfWork, *, caller: Caller, after: str | None = None, limit: int = 100
) -> list[HubView]:
    """A page of the hubs the caller is responsible for (X2); never another party's."""
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER, PartyKind.CSP)
    if after is not None:
        after = normalise_eui64(after, what="cursor GUID")
    with uow:
        return uow.hubs.list_visible(caller, after=after, limit=max(1, min(limit, 1000)))


def get_hub(uow: UnitOfWork, *, caller: Caller, guid: str) -> HubView:
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER, PartyKind.CSP)
    guid = normalise_eui64(guid, what="CH GUID")
    with uow:
        found = uow.hubs.get_visible(caller, guid)
    if found is None:
        # The same answer whether the hub is unknown or someone else's: no existence leak (X2).
        raise NotFound(f"no hub {guid} among the hubs you are responsible for")
    return found
