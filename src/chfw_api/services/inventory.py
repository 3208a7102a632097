"""Inventory (SMI): bulk import of hubs from CSV, and each party's view of its own hubs."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
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
csv.field_size_limit(1 << 16)


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
    however large the estate. A bad row stops the writing but not the reading, so the report
    names every bad row (up to `error_cap`, with the total), and the transaction rolls back.
    """
    caller.require(PartyKind.DCC)
    now = clock.now()
    reader = csv.reader(stream)
    header = next(reader, None)
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
        seen: set[int] = set()  # GUIDs as 64-bit ints: a third of the memory of strings
        chunk: list[HubRecord] = []
        rows = 0
        for line, values in enumerate(reader, start=2):
            if not values:
                continue
            rows += 1
            location = f"line {line}"
            result = validator.check(values, location)
            if isinstance(result, list):
                total_bad += 1
                total_problems += len(result)
                problems.extend(result[: max(0, error_cap - len(problems))])
                continue
            key = int(result.guid.replace("-", ""), 16)
            if key in seen:
                total_bad += 1
                total_problems += 1
                if len(problems) < error_cap:
                    problems.append(
                        Problem(f"{result.guid} repeats an earlier row", location, "DeviceID")
                    )
                continue
            seen.add(key)
            if total_bad:
                continue
            chunk.append(result)
            if len(chunk) >= CHUNK:
                writer.write(chunk)
                chunk = []
                if progress is not None:
                    progress(rows)
        if total_bad:
            raise ValidationFailed(
                f"{total_bad} of {rows} rows are bad; nothing was imported",
                problems=problems,
                total=total_problems,
            )
        writer.write(chunk)
        writer.finish()
        after = uow.hubs.count()
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
