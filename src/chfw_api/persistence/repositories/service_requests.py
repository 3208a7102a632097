"""Queries behind supplier Service Requests: replay counters and what a request's hubs are.

Hub look-ups for large requests (an 11.7 names 50,000+ GUIDs) go through a temporary table
joined set-based against the campaign and the inventory, never row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.hub_status import BY_VALUE
from chfw_api.persistence.staged import staged_range

_WITHIN = staged_range("request_guids")

FACT_COLUMNS = (
    "h.guid IS NOT NULL, h.status, h.import_supplier_id, h.gas_supplier_id, "
    "h.production_proving, h.friendly_customer, h.pilot_excluded, ch.guid IS NOT NULL, "
    "ch.in_pilot, ch.status, h.csp_region, h.model"
)
"""What a `HubFacts` holds after its GUID, from the hub (`h`) and its campaign hub (`ch`)."""

_SUPPLIERS = "import_supplier_id integer, gas_supplier_id integer"
_COLUMNS = "guid, pos, import_supplier_id, gas_supplier_id"


def hub_facts_of(rows: Iterable[Sequence[Any]]) -> Iterator[HubFacts]:
    """`HubFacts` of rows (GUID, then FACT_COLUMNS), each repeated value (device status,
    region, model) kept once."""
    kept: dict[object, Any] = {}
    once = kept.setdefault
    for r in rows:
        yield HubFacts(
            r[0], bool(r[1]), once(r[2], r[2]), r[3], r[4], bool(r[5]), bool(r[6]),
            bool(r[7]), bool(r[8]), bool(r[9]), BY_VALUE[r[10]] if r[10] else None,
            once(r[11], r[11]), once(r[12], r[12]),
        )  # fmt: skip


class ServiceRequestRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def consume_counter(self, originator: str, counter: int, now: datetime) -> bool:
        """Record `counter` for `originator` if it is above the last one; False for a replay.

        One atomic upsert, so two concurrent requests with the same counter cannot both pass.
        """
        row = self._s.execute(
            text(
                "INSERT INTO request_counters (originator, last_counter, last_request_at) "
                "VALUES (:o, :c, :now) ON CONFLICT (originator) DO UPDATE SET "
                "last_counter = excluded.last_counter, last_request_at = excluded.last_request_at "
                "WHERE request_counters.last_counter < excluded.last_counter RETURNING originator"
            ),
            {"o": originator, "c": f"{counter:020d}", "now": now},
        ).first()
        return row is not None

    def stage(self, guids: Sequence[str]) -> None:
        """Each GUID with its position in `request_guids`, for the set-based statements that
        follow (votes, plans), and so the facts come back in the order named (a rejected GUID
        is answered where it was named) without a map of every GUID in memory. The hubs'
        suppliers stay empty until `stage_suppliers`."""
        self._stage((g, pos, None, None) for pos, g in enumerate(guids))

    def stage_facts(self, facts: Iterable[HubFacts]) -> None:
        """`stage` of hubs whose facts were read already: each staged with its current import
        and gas supplier, so the votes and plans that follow need not read `hubs` again
        (two joins to the estate per 50,000-hub chunk, issue #12)."""
        self._stage(
            (f.guid, pos, f.import_supplier_id, f.gas_supplier_id) for pos, f in enumerate(facts)
        )

    def stage_suppliers(self) -> None:
        """The current suppliers of the GUIDs staged by `stage`, from `hubs`, in one statement:
        what the votes and plans read (a staged GUID with no hub keeps none)."""
        self._s.execute(
            text(
                "UPDATE request_guids SET import_supplier_id = h.import_supplier_id, "
                "gas_supplier_id = h.gas_supplier_id FROM hubs h "
                f"WHERE h.guid = request_guids.guid AND h.guid {_WITHIN}"
            )
        )

    def _stage(self, rows: Iterable[tuple[str, int, int | None, int | None]]) -> None:
        conn = self._s.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS request_guids (guid varchar(23) PRIMARY KEY, "
                f"pos integer NOT NULL, {_SUPPLIERS}) ON COMMIT DROP"
            )
            conn.exec_driver_sql("TRUNCATE request_guids")
            raw = conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY request_guids ({_COLUMNS}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            # Temporary tables get no statistics by themselves; without them the planner
            # guesses a few hundred rows and picks nested loops for 50,000.
            conn.exec_driver_sql("ANALYZE request_guids")
        else:
            # The position is the rowid: reading in order needs no sort.
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS request_guids (pos INTEGER PRIMARY KEY, "
                f"guid TEXT NOT NULL UNIQUE, {_SUPPLIERS})"
            )
            conn.exec_driver_sql("DELETE FROM request_guids")
            # The driver's own executemany takes the rows as they are made, not a list of them.
            raw_sqlite: Any = conn.connection.dbapi_connection
            raw_sqlite.executemany(
                f"INSERT INTO request_guids ({_COLUMNS}) VALUES (?, ?, ?, ?)", rows
            )

    def hub_facts_in_order(self, campaign_row_id: int, guids: Sequence[str]) -> Iterator[HubFacts]:
        """Facts for each distinct GUID named, in the order named, 10,000 rows at a time: a
        300,000-GUID request holds one slice of them, never all (issue #12.5). The GUIDs stay
        staged in `request_guids` for the statements that follow."""
        if not guids:
            return
        self.stage(guids)
        conn = self._s.connection()
        pg = conn.dialect.name == "postgresql"
        sql = (
            f"SELECT r.guid, {FACT_COLUMNS} "
            f"FROM request_guids r LEFT JOIN hubs h ON h.guid = r.guid AND h.guid {_WITHIN} "
            "LEFT JOIN campaign_hubs ch ON ch.campaign_id = "
            + ("%s" if pg else "?")
            + f" AND ch.guid = r.guid AND ch.guid {_WITHIN} ORDER BY r.pos"
        )
        # The driver's own cursor: for 50,000 rows SQLAlchemy's result wrapping costs as much
        # as the query. On PostgreSQL a server-side one, so the rows arrive a slice at a time
        # rather than all at once into the client. Each repeated value (device status, region,
        # model) is kept once.
        raw: Any = conn.connection.dbapi_connection
        cur = raw.cursor("request_hub_facts") if pg else raw.cursor()

        def slices() -> Iterator[Any]:
            while rows := cur.fetchmany(10_000):
                yield from rows

        try:
            cur.execute(sql, (campaign_row_id,))
            yield from hub_facts_of(slices())
        finally:
            cur.close()

    def unstage(self, guids: Sequence[str]) -> None:
        """Drop GUIDs (the rejected ones) from `request_guids`, leaving the accepted staged."""
        if guids:
            conn = self._s.connection()
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            conn.exec_driver_sql(
                f"DELETE FROM request_guids WHERE guid = {mark}", [(g,) for g in guids]
            )

    def supplier_campaign_guids(
        self, campaign_row_id: int, supplier_id: int, *, in_pilot: bool | None
    ) -> list[str]:
        """Every hub of the campaign this supplier currently supplies (BR3.8 'all my hubs')."""
        sql = (
            "SELECT ch.guid FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid "
            "WHERE ch.campaign_id = :cid AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
        )
        if in_pilot is not None:
            sql += " AND ch.in_pilot = :p"
        rows = self._s.execute(
            text(sql + " ORDER BY ch.guid"),
            {"cid": campaign_row_id, "s": supplier_id, "p": in_pilot},
        )
        return [r[0] for r in rows]
