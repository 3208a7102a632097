"""Hubs of the Smart Metering Inventory, with bulk paths sized for millions of rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import NestedTransaction
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased

from chfw_api.domain.inventory import HubRecord, HubView, RepeatedGuids
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.pilot import pilot_band
from chfw_api.persistence.statistics import refresh_after_bulk_write
from chfw_api.persistence.tables import HubRow, PartyRow

HUB_COLUMNS = (
    "guid",
    "manufacturer",
    "model",
    "firmware_version",
    "status",
    "csp_region",
    "import_supplier_id",
    "gas_supplier_id",
    "production_proving",
    "friendly_customer",
    "pilot_excluded",
)
# Written with the hub, never changed: derived from the GUID (`domain.pilot.pilot_band`).
_COLS = ", ".join((*HUB_COLUMNS, "pilot_band"))
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in HUB_COLUMNS[1:])
_UPDATES_BUT_SUPPLIERS = ", ".join(
    f"{c} = excluded.{c}" for c in HUB_COLUMNS[1:] if not c.endswith("_supplier_id")
)
UNIQUE_VIOLATION = "23505"
DEADLOCK_DETECTED = "40P01"
_CHANGED = " OR ".join(f"hubs.{c} IS DISTINCT FROM excluded.{c}" for c in HUB_COLUMNS[1:])


def _as_tuple(r: HubRecord) -> tuple[Any, ...]:
    return (
        r.guid,
        r.manufacturer,
        r.model,
        r.firmware_version,
        r.status,
        r.csp_region,
        r.import_supplier_id,
        r.gas_supplier_id,
        r.production_proving,
        r.friendly_customer,
        r.pilot_excluded,
        pilot_band(r.guid),
    )


class HubBulkWriter:
    """Upserts validated hubs chunk by chunk inside the caller's transaction, and finds the
    file's repeated GUIDs.

    PostgreSQL: COPY into a temporary staging table (with each row's line), then one
    INSERT ... SELECT ... ON CONFLICT at the end (COPY is the fastest way in; the set-based
    upsert keeps index maintenance in one pass). Before it, a unique index on the staged GUIDs
    (one sort in the server) proves the file names each GUID once; only when it does not, or
    the file has bad rows anyway, is the staging table searched for the repeats, in the
    database, whatever the file's size. SQLite (the embedded default, estates of up to
    a few million hubs): executemany of an UPSERT straight into `hubs`, repeats caught in a
    set of 64-bit integers as the rows go by.
    """

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn = session.connection()
        self._pg = self._conn.dialect.name == "postgresql"
        self._seen: set[int] = set()
        self._repeats: list[tuple[str, int]] = []
        self._repeat_total = 0
        self._upsert: NestedTransaction | None = None
        if self._pg:
            self._conn.exec_driver_sql(
                "CREATE TEMP TABLE hubs_import (LIKE hubs INCLUDING DEFAULTS, line bigint) "
                "ON COMMIT DROP"
            )
        else:
            marks = ", ".join("?" for _ in range(len(HUB_COLUMNS) + 1))
            self._sql = (
                f"INSERT INTO hubs ({_COLS}) VALUES ({marks}) "
                f"ON CONFLICT (guid) DO UPDATE SET {_UPDATES}"
            )

    def write(self, chunk: Sequence[HubRecord], lines: Sequence[int]) -> None:
        if not chunk:
            return
        if self._pg:
            raw = self._conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY hubs_import ({_COLS}, line) FROM STDIN") as copy,
            ):
                for r, line in zip(chunk, lines, strict=True):
                    copy.write_row((*_as_tuple(r), line))
            return
        fresh: list[tuple[Any, ...]] = []
        for r, line in zip(chunk, lines, strict=True):
            key = int(r.guid.replace("-", ""), 16)
            if key in self._seen:
                self._repeat_total += 1
                self._repeats.append((r.guid, line))
                continue
            self._seen.add(key)
            fresh.append(_as_tuple(r))
        self._conn.exec_driver_sql(self._sql, fresh)

    def finish(self, cap: int) -> RepeatedGuids:
        """Complete the import, or return the repeated GUIDs (then nothing more is written
        and the caller rolls back)."""
        if not self._pg:
            return self.repeated(cap)
        savepoint = self._conn.begin_nested()
        try:
            # One sort in the server; refuses the file if any GUID is staged twice.
            self._conn.exec_driver_sql("CREATE UNIQUE INDEX ON hubs_import (guid)")
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
            savepoint.rollback()
            return self.repeated(cap)
        savepoint.commit()
        if self._conn.exec_driver_sql("SELECT NOT EXISTS (SELECT 1 FROM hubs)").scalar_one():
            # A first import: no hub is in a campaign, so no campaign hub to move.
            written = self._conn.exec_driver_sql(
                f"INSERT INTO hubs ({_COLS}) SELECT {_COLS} FROM hubs_import "
                f"ON CONFLICT (guid) DO UPDATE SET {_UPDATES} WHERE {_CHANGED}"
            ).rowcount
        else:
            # Kept open until the moves are written: the upsert can be undone to let a writer
            # waiting on its hub rows through (`move_suppliers`).
            self._upsert = self._conn.begin_nested()
            written = self._upsert_all_but_moves()
        refresh_after_bulk_write(self._conn, "hubs", written)
        return RepeatedGuids()

    def _upsert_all_but_moves(self) -> int:
        """Upsert every change but the suppliers, keeping the hubs whose supplier changes in
        `hubs_moved` for `move_suppliers`; returns the rows written. The moves are found from
        what the upsert returns (only the rows it changed), not by joining the file to the
        estate again."""
        conn = self._conn
        conn.exec_driver_sql(
            "CREATE TEMP TABLE hubs_moved (guid varchar(23) PRIMARY KEY, "
            "import_supplier_id integer, gas_supplier_id integer, "
            "old_import_supplier_id integer, old_gas_supplier_id integer) ON COMMIT DROP"
        )
        # The upsert leaves the suppliers as they were, so what it returns is the old pair.
        written = conn.exec_driver_sql(
            f"WITH up AS (INSERT INTO hubs ({_COLS}) SELECT {_COLS} FROM hubs_import "
            f"ON CONFLICT (guid) DO UPDATE SET {_UPDATES_BUT_SUPPLIERS} WHERE {_CHANGED} "
            "RETURNING guid, import_supplier_id, gas_supplier_id, xmax::text <> '0' AS existed), "
            "moved AS (INSERT INTO hubs_moved SELECT s.guid, s.import_supplier_id, "
            "s.gas_supplier_id, up.import_supplier_id, up.gas_supplier_id "
            "FROM up JOIN hubs_import s ON s.guid = up.guid WHERE up.existed "
            "AND (up.import_supplier_id IS DISTINCT FROM s.import_supplier_id "
            "OR up.gas_supplier_id IS DISTINCT FROM s.gas_supplier_id)) "
            "SELECT count(*) FROM up"
        ).scalar_one()
        # Written now, before the campaign rows: until the import commits, other writers of
        # those campaign hubs see the old suppliers and key their counts by them, which
        # `move_hub_supplier_counts` then moves (migration 0016).
        conn.exec_driver_sql("SELECT write_hub_suppliers()")
        return int(written)

    def move_suppliers(self) -> None:
        """Write the changes of supplier under the rows of the moved hubs' campaigns: the
        import's last step before it commits.

        A change of supplier rewrites the hub's campaign hubs (their vote flags, by trigger).
        Every other writer of campaign hubs (SRs, uploads, instruction chunks, the tick) takes
        the campaign row first, so two of them never lock shared hubs in crossing orders; the
        import does the same, for the moves only and last: held across the whole upsert, the
        campaign rows would keep every SR waiting for as long as the file takes, which grows
        with the estate (bench/reimport.py: under a second for 9,523 moves at 1,000,000 hubs).

        The upsert already holds every hub row of the file (ON CONFLICT locks each row it
        meets, changed or not). An activation upload holding a campaign row may be waiting
        for one of them to write a firmware version: then the import and the upload wait on
        each other, and PostgreSQL aborts the import's wait as a deadlock. The import then
        undoes its upsert, which lets the upload through, waits for the campaigns, and does
        the upsert again under them. SQLite wrote the moves with the rest (one writer at a
        time: nothing to cross).
        """
        upsert, self._upsert = self._upsert, None
        if upsert is None:
            return
        conn = self._conn
        campaigns = self._moved_campaigns()
        if campaigns:
            attempt = conn.begin_nested()
            try:
                self._lock_campaigns(campaigns)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                    raise
                attempt.rollback()
                upsert.rollback()  # lets the waiting writer through
                self._lock_campaigns(campaigns)
                refresh_after_bulk_write(conn, "hubs", self._upsert_all_but_moves())
                self._lock_campaigns(self._moved_campaigns())  # any new since: rare, quick
            else:
                attempt.commit()
        # The moved hubs' counts and vote flags, set-based (migration 0016).
        conn.exec_driver_sql("SELECT move_hub_supplier_counts()")
        if upsert.is_active:
            upsert.commit()

    def _moved_campaigns(self) -> list[int]:
        return list(
            self._conn.exec_driver_sql(
                "SELECT DISTINCT ch.campaign_id FROM campaign_hubs ch "
                "JOIN hubs_moved m ON m.guid = ch.guid"
            ).scalars()
        )

    def _lock_campaigns(self, campaigns: list[int]) -> None:
        if campaigns:
            self._conn.exec_driver_sql(
                "SELECT id FROM campaigns WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE",
                {"ids": campaigns},
            )

    def repeated(self, cap: int) -> RepeatedGuids:
        if not self._pg:
            return RepeatedGuids(self._repeat_total, tuple(self._repeats[:cap]))
        rows = self._conn.exec_driver_sql(
            "SELECT guid, line, count(*) OVER () FROM (SELECT guid, line, row_number() OVER "
            "(PARTITION BY guid ORDER BY line) AS nth FROM hubs_import "
            "WHERE guid IN (SELECT guid FROM hubs_import GROUP BY guid HAVING count(*) > 1)) r "
            "WHERE nth > 1 ORDER BY line LIMIT %(cap)s",
            {"cap": max(cap, 1)},
        ).all()
        total = int(rows[0][2]) if rows else 0
        return RepeatedGuids(total, tuple((g, int(n)) for g, n, _ in rows[:cap]))


class HubRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(HubRow)) or 0)

    def bulk_writer(self) -> HubBulkWriter:
        return HubBulkWriter(self._s)

    def _view_query(self) -> Any:
        imp = aliased(PartyRow)
        gas = aliased(PartyRow)
        return (
            select(HubRow, imp.code, gas.code)
            .outerjoin(imp, imp.id == HubRow.import_supplier_id)
            .outerjoin(gas, gas.id == HubRow.gas_supplier_id)
        )

    @staticmethod
    def _view(caller: Caller, row: HubRow, imp_code: str | None, gas_code: str | None) -> HubView:
        split = (
            row.import_supplier_id is not None
            and row.gas_supplier_id is not None
            and row.import_supplier_id != row.gas_supplier_id
        )
        if caller.kind is PartyKind.SUPPLIER:
            # BR3.3: a supplier may learn that a second supplier exists, never who it is.
            imp_code = imp_code if row.import_supplier_id == caller.party_id else None
            gas_code = gas_code if row.gas_supplier_id == caller.party_id else None
        return HubView(
            guid=row.guid,
            manufacturer=row.manufacturer,
            model=row.model,
            firmware_version=row.firmware_version,
            status=row.status,
            csp_region=row.csp_region,
            import_supplier=imp_code,
            gas_supplier=gas_code,
            split_supplier=split,
            production_proving=row.production_proving,
            friendly_customer=row.friendly_customer,
            pilot_excluded=row.pilot_excluded,
        )

    def get_visible(self, caller: Caller, guid: str) -> HubView | None:
        found = self._s.execute(self._view_query().where(HubRow.guid == guid)).first()
        if found is None:
            return None
        row, imp_code, gas_code = found
        if not caller.can_see_hub(
            import_supplier_id=row.import_supplier_id,
            gas_supplier_id=row.gas_supplier_id,
            region=row.csp_region,
        ):
            return None
        return self._view(caller, row, imp_code, gas_code)

    def list_visible(self, caller: Caller, *, after: str | None, limit: int) -> list[HubView]:
        """Keyset page of the hubs `caller` may see (X2), ordered by GUID.

        A supplier's hubs are the union of two index range scans (as Import and as Gas
        Supplier), each already ordered, so a page costs O(limit) however large the estate.
        """
        base = self._view_query()
        if after is not None:
            base = base.where(HubRow.guid > after)
        if caller.kind is PartyKind.DCC:
            queries = [base]
        elif caller.kind is PartyKind.SUPPLIER:
            queries = [
                base.where(HubRow.import_supplier_id == caller.party_id),
                base.where(HubRow.gas_supplier_id == caller.party_id),
            ]
        else:
            if not caller.regions:
                return []
            queries = [base.where(HubRow.csp_region.in_([r.value for r in caller.regions]))]
        merged: dict[str, HubView] = {}
        for q in queries:
            for row, imp_code, gas_code in self._s.execute(q.order_by(HubRow.guid).limit(limit)):
                merged[row.guid] = self._view(caller, row, imp_code, gas_code)
        return [merged[g] for g in sorted(merged)[:limit]]
