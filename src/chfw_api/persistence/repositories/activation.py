"""Activation results in bulk: 50,000 per upload against a million-hub estate, set-based.

An upload's GUIDs go to the database as one parameter (a JSON array read by `json_each` on
SQLite, a text array on PostgreSQL): one query returns what the rules need of every hub named
(inventory region and firmware, current suppliers, campaign status, whether it has results
already), the accepted results are logged in one bulk insert (COPY on PostgreSQL), and the
status and firmware changes written back in bulk (`UPDATE ... FROM unnest(...)` on PostgreSQL;
executemany by primary key on SQLite). Everything goes through the driver: no hub becomes an
ORM object, and no row passes through SQLAlchemy's result processing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from chfw_api.domain.activation import HubChange, HubFact, HubResult, MonitoredHub
from chfw_api.domain.hub_status import BY_VALUE
from chfw_api.domain.hub_suppliers import HubSuppliers
from chfw_api.persistence.driver import copy_rows, datetimes, fetch_all, for_guids
from chfw_api.persistence.tables import (
    NO_SUPPLIER,
    ActivationResultRow,
    CampaignHubRow,
    CampaignHubTallyRow,
    HubRow,
    PartyRow,
)

_FACTS = """
SELECT h.guid, h.csp_region, ch.guid, ch.status, ch.result_at, ch.in_pilot, h.firmware_version,
       h.import_supplier_id, h.gas_supplier_id,
       EXISTS (SELECT 1 FROM activation_results ar
               WHERE ar.campaign_id = {mark} AND ar.guid = h.guid)
FROM hubs h
LEFT JOIN campaign_hubs ch ON ch.campaign_id = {mark} AND ch.guid = h.guid AND ch.guid {within}
WHERE h.guid {named} AND h.guid {within}
"""
_SEEN = """
SELECT guid, outcome, at FROM activation_results WHERE campaign_id = {mark} AND guid {named}
AND guid {within}
"""
_RESULT_COLS = (
    "campaign_id, guid, outcome, at, firmware_version, reason_code, reason, csp_party_id, "
    "received_at"
)


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


class ActivationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def hub_facts(self, campaign_key: int, guids: Sequence[str]) -> dict[str, HubFact]:
        """Per GUID found in the inventory; a GUID missing from the answer is unknown."""
        if not guids:
            return {}
        conn = self._s.connection()
        sql, params = for_guids(conn, _FACTS, campaign_key, guids)
        codes = self._supplier_codes()
        when = datetimes(conn, to_db=False)
        pairs: dict[tuple[int | None, int | None], HubSuppliers] = {}  # a few dozen at most
        out = {}
        for row in fetch_all(conn, sql, params):
            guid, region, in_campaign, status, result_at, in_pilot, version, imp, gas, seen = row
            suppliers = pairs.get((imp, gas))
            if suppliers is None:
                suppliers = pairs[imp, gas] = HubSuppliers(imp, gas, codes.get(imp), codes.get(gas))
            out[guid] = HubFact(
                region,
                in_campaign is not None,
                BY_VALUE[status] if status is not None else None,
                when(result_at),
                bool(in_pilot),
                version,
                suppliers,
                bool(seen),
            )
        return out

    def _supplier_codes(self) -> dict[int | None, str]:
        return {i: c for i, c in self._s.execute(select(PartyRow.id, PartyRow.code))}

    def seen_results(
        self, campaign_key: int, guids: Sequence[str]
    ) -> set[tuple[str, str, datetime]]:
        """(guid, outcome, time) of the results this campaign already holds for `guids`."""
        if not guids:
            return set()
        conn = self._s.connection()
        sql, params = for_guids(conn, _SEEN, campaign_key, guids)
        when = datetimes(conn, to_db=False)
        return {(g, o, when(at)) for g, o, at in fetch_all(conn, sql, params)}

    def record(
        self,
        campaign_key: int,
        results: Sequence[HubResult],
        *,
        csp_party_id: int,
        now: datetime,
    ) -> None:
        """Log accepted, new results as reported (the history AD11 shows)."""
        if not results:
            return
        conn = self._s.connection()
        when = datetimes(conn, to_db=True)
        received = when(now)
        rows = [
            (
                campaign_key,
                r.guid,
                r.outcome.value,
                when(r.at),
                r.firmware_version,
                r.reason_code,
                r.reason,
                csp_party_id,
                received,
            )
            for r in results
        ]
        if _pg(conn):
            copy_rows(conn, f"activation_results ({_RESULT_COLS})", rows)
        else:
            conn.exec_driver_sql(
                f"INSERT INTO activation_results ({_RESULT_COLS}) VALUES ({', '.join('?' * 9)})",
                rows,
            )

    def apply(self, campaign_key: int, changes: Sequence[HubChange]) -> None:
        """Write each hub's final status, and the inventory's firmware where it changed."""
        if not changes:
            return
        conn = self._s.connection()
        versions = [(c.guid, c.new_version) for c in changes if c.new_version]
        if _pg(conn):
            # COPY into a temporary table and one join per table: the fastest way on
            # PostgreSQL (50,000-element array parameters cost more to build and parse).
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS chfw_hub_changes (guid varchar(23), "
                "status varchar(16), result_at timestamptz, failure_reason varchar(200), "
                "version varchar(8)) ON COMMIT DELETE ROWS"
            )
            conn.exec_driver_sql("TRUNCATE chfw_hub_changes")
            copy_rows(
                conn,
                "chfw_hub_changes (guid, status, result_at, failure_reason, version)",
                ((c.guid, c.status, c.result_at, c.failure_reason, c.new_version) for c in changes),
            )
            conn.exec_driver_sql("ANALYZE chfw_hub_changes")
            conn.exec_driver_sql(
                "UPDATE campaign_hubs SET status = c.status, result_at = c.result_at, "
                "failure_reason = c.failure_reason FROM chfw_hub_changes c "
                "WHERE campaign_hubs.campaign_id = %(ck)s AND campaign_hubs.guid = c.guid",
                {"ck": campaign_key},
            )
            if versions:
                conn.exec_driver_sql(
                    "UPDATE hubs SET firmware_version = c.version FROM chfw_hub_changes c "
                    "WHERE hubs.guid = c.guid AND c.version IS NOT NULL "
                    "AND hubs.firmware_version IS DISTINCT FROM c.version"
                )
            return
        when = datetimes(conn, to_db=True)
        conn.exec_driver_sql(
            "UPDATE campaign_hubs SET status = ?, result_at = ?, failure_reason = ? "
            "WHERE campaign_id = ? AND guid = ?",
            [
                (c.status, when(c.result_at), c.failure_reason, campaign_key, c.guid)
                for c in changes
            ],
        )
        if versions:
            conn.exec_driver_sql(
                "UPDATE hubs SET firmware_version = ? WHERE guid = ? AND firmware_version IS NOT ?",
                [(v, g, v) for g, v in versions],
            )

    # --- reads ----------------------------------------------------------------------------

    def pilot_status_by_supplier(self, campaign_key: int) -> dict[int, dict[str, int]]:
        """Per current supplier, its pilot hubs by status (N74 progress counts)."""
        t = CampaignHubTallyRow
        rows = self._s.execute(
            select(t.import_supplier_id, t.gas_supplier_id, t.status, func.sum(t.hubs))
            .where(t.campaign_id == campaign_key, t.in_pilot.is_(True))
            .group_by(t.import_supplier_id, t.gas_supplier_id, t.status)
        )
        out: dict[int, dict[str, int]] = {}
        for imp, gas, status, n in rows:
            if not n:
                continue
            for sid in {s for s in (imp, gas) if s != NO_SUPPLIER}:
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
            .where(ch.campaign_id == campaign_key, ch.in_pilot)  # (bare: the partial index matches)
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
                status=BY_VALUE[s],
                planned_activation_at=p,
                result_at=ra,
                failure_reason=fr,
                split_supplier=imp is not None and gas is not None and imp != gas,
                results=tuple(history.get(g, ())),
            )
            for g, m, r, s, p, ra, fr, imp, gas in hubs
        ]
