"""Everything the service holds, as comparable values: every table's rows (ordered by primary
key) and every file under the gateway and report folders (path, size, SHA-256).

X5 says a refused request changes nothing. "Nothing" is checked here literally: two snapshots
taken around a refusal must be equal, save what the caller explicitly allows (the RequestID
counter, which a refused Service Request still consumes once it got past the signature check).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select

from chfw_api.persistence.tables import Base

Row = tuple[Any, ...]
IGNORED_TABLES = frozenset({"alembic_version"})


@dataclass(frozen=True)
class Snapshot:
    tables: Mapping[str, tuple[Row, ...]]
    columns: Mapping[str, tuple[str, ...]]
    files: Mapping[str, tuple[tuple[str, int, str], ...]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return [dict(zip(self.columns[table], r, strict=True)) for r in self.tables[table]]


def _value(v: Any) -> Any:
    """One representation per value whatever the driver returns (PostgreSQL gives aware
    datetimes, SQLite naive ones through the same type; JSON may come back as str or dict)."""
    if isinstance(v, datetime):
        return ("datetime", v.isoformat())
    if isinstance(v, date):
        return ("date", v.isoformat())
    if isinstance(v, Decimal):
        return ("decimal", str(v))
    if isinstance(v, bytes | bytearray | memoryview):
        return ("bytes", bytes(v).hex())
    if isinstance(v, dict):
        return ("dict", tuple(sorted((str(k), _value(x)) for k, x in v.items())))
    if isinstance(v, list | tuple):
        return ("list", tuple(_value(x) for x in v))
    return v


_reflected: dict[str, list[Table]] = {}


def _tables(engine: Engine) -> list[Table]:
    """Every table in the database, the app's models and anything else migrations made, so a
    table added without a model is still watched (reflected once per database)."""
    url = engine.url.render_as_string(hide_password=False)
    if url not in _reflected:
        _reflected[url] = _reflect(engine)
    return _reflected[url]


def _reflect(engine: Engine) -> list[Table]:
    reflected = MetaData()
    reflected.reflect(bind=engine)
    missing = set(Base.metadata.tables) - set(reflected.tables)
    assert not missing, f"tables of the app's models absent from the database: {missing}"
    return [t for t in reflected.sorted_tables if t.name not in IGNORED_TABLES]


def _order(table: Table) -> list[Any]:
    key = list(table.primary_key.columns)
    return key or list(table.columns)


def _files(root: Path) -> tuple[tuple[str, int, str], ...]:
    if not root.exists():
        return ()
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out.append((str(path.relative_to(root)), len(data), hashlib.sha256(data).hexdigest()))
    return tuple(out)


def take(engine: Engine, folders: Mapping[str, Path] | None = None) -> Snapshot:
    """The whole state: one consistent read of every table, then a listing of each folder."""
    tables: dict[str, tuple[Row, ...]] = {}
    columns: dict[str, tuple[str, ...]] = {}
    with engine.connect() as conn, conn.begin():
        for table in _tables(engine):
            result = conn.execute(select(table).order_by(*_order(table)))
            columns[table.name] = tuple(result.keys())
            tables[table.name] = tuple(tuple(_value(v) for v in row) for row in result)
    files = {name: _files(root) for name, root in (folders or {}).items()}
    return Snapshot(tables, columns, files)


Allowance = Callable[[Snapshot, Snapshot], Snapshot]
"""Given (before, after), the `before` state with the allowed change applied: `after` must then
equal it exactly."""


def counter_consumed(originator: str, counter: int, *, required: bool = True) -> Allowance:
    """X3: the originator's RequestID counter now stands at `counter` (and only that row of
    request_counters moved; its time is whatever the service recorded). Not `required`: it may
    also have stayed where it was (a code given both before and after the counter is used)."""

    def apply(before: Snapshot, after: Snapshot) -> Snapshot:
        cols = before.columns["request_counters"]
        key, last = cols.index("originator"), cols.index("last_counter")
        if not required and after.tables["request_counters"] == before.tables["request_counters"]:
            return before
        theirs = [r for r in after.tables["request_counters"] if r[key] == originator]
        assert len(theirs) == 1, f"no request_counters row for {originator} after the request"
        assert int(theirs[0][last]) == counter, (
            f"{originator}'s counter is {theirs[0][last]}, expected the request's {counter}"
        )
        others = [r for r in before.tables["request_counters"] if r[key] != originator]
        rows = tuple(sorted([*others, theirs[0]], key=lambda r: r[key]))
        return Snapshot({**before.tables, "request_counters": rows}, before.columns, before.files)

    return apply


def _diff_rows(name: str, before: Iterable[Row], after: Iterable[Row]) -> list[str]:
    b, a = list(before), list(after)
    gone = [r for r in b if r not in a]
    new = [r for r in a if r not in b]
    lines = [f"  {name}: -{len(gone)} +{len(new)} rows"]
    lines += [f"    - {r!r}"[:400] for r in gone[:5]] + [f"    + {r!r}"[:400] for r in new[:5]]
    return lines


def differences(expected: Snapshot, after: Snapshot) -> list[str]:
    out = []
    for name in sorted(set(expected.tables) | set(after.tables)):
        b, a = expected.tables.get(name, ()), after.tables.get(name, ())
        if b != a:
            out += _diff_rows(name, b, a)
    for name in sorted(set(expected.files) | set(after.files)):
        b_files, a_files = expected.files.get(name, ()), after.files.get(name, ())
        if b_files != a_files:
            out += [f"  folder {name}:", *_diff_rows(name, b_files, a_files)[1:]]
    return out


def assert_unchanged(
    before: Snapshot, after: Snapshot, allow: Iterable[Allowance] = (), *, what: str = ""
) -> None:
    """`after` equals `before` once each allowed change is applied; otherwise every changed
    table and folder is named with the rows that differ."""
    expected = before
    for change in allow:
        expected = change(expected, after)
    diff = differences(expected, after)
    assert not diff, f"a refused request changed state{': ' + what if what else ''}\n" + "\n".join(
        diff
    )
