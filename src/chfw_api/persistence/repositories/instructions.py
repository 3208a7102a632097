"""Deployment instructions, each supplier's standing vote per hub, and the resulting plans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC as _UTC
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from chfw_api.domain.hub_status import UNPLANNED, HubStatus
from chfw_api.domain.stages import DeploymentKind
from chfw_api.persistence.driver import copy_rows, db_datetime, fetch_all, placeholder
from chfw_api.persistence.ids import next_ids
from chfw_api.persistence.staged import staged_range
from chfw_api.persistence.statistics import refresh_after_bulk_write
from chfw_api.persistence.tables import InstructionRow, UtcDateTime

_PLANNED_STATUS = f"status = '{UNPLANNED}' THEN '{HubStatus.INSTRUCTED}' ELSE status END"
_PLANNED_STATUS_QUALIFIED = _PLANNED_STATUS.replace("status", "campaign_hubs.status")
"""An instruction plans a hub: one still unplanned becomes instructed, one the CSP has already
reported on keeps its status (hub_status.TRANSITIONS)."""
_MARK_VOTED = (
    "import_voted = import_voted OR (in_pilot = :p AND coalesce((SELECT h.import_supplier_id "
    "= :s FROM hubs h WHERE h.guid = campaign_hubs.guid), false)), "
    "gas_voted = gas_voted OR (in_pilot = :p AND coalesce((SELECT h.gas_supplier_id = :s "
    "FROM hubs h WHERE h.guid = campaign_hubs.guid), false))"
)
"""The voter's side(s) of a hub marked voted, as migration 0012's vote trigger would: the
hub's current import or gas supplier, for the stage of the hub's group (:p, the pilot flag)."""

_MARK_VOTED_JOINED = (
    "import_voted = campaign_hubs.import_voted OR (campaign_hubs.in_pilot = {p} "
    "AND coalesce({h}.import_supplier_id = {s}, false)), "
    "gas_voted = campaign_hubs.gas_voted OR (campaign_hubs.in_pilot = {p} "
    "AND coalesce({h}.gas_supplier_id = {s}, false))"
)
"""_MARK_VOTED for an UPDATE that joins a row holding the hub's current suppliers as `{h}`
(its inventory row, or its staged row): the marks read the joined row rather than probing
`hubs` twice more per row (2.45 s against 1.41 s for a 50,000-hub chunk at 10,000,000 hubs)."""

_WITHIN = staged_range("request_guids")
_SOLE = (
    "(r.import_supplier_id IS NULL OR r.gas_supplier_id IS NULL "
    "OR r.import_supplier_id = r.gas_supplier_id)"
)
"""A staged hub (`r`) with one supplier (or the same one for both): planned by its one vote
(BR3.2)."""


class InstructionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_number(self) -> int:
        return next_ids(self._s, InstructionRow.id, 1)[0]

    def add(
        self,
        *,
        number: int,
        instruction_id: str,
        campaign_id: str,
        supplier_id: int,
        stage: str,
        requested_at: datetime,
        received_at: datetime,
        request_id: str,
        all_eligible: bool,
        accepted: int,
        rejected: int,
    ) -> None:
        self._s.execute(
            insert(InstructionRow),
            [
                {
                    "id": number,
                    "instruction_id": instruction_id,
                    "campaign_id": campaign_id,
                    "supplier_id": supplier_id,
                    "stage": stage,
                    "requested_at": requested_at,
                    "received_at": received_at,
                    "request_id": request_id,
                    "all_eligible": all_eligible,
                    "accepted": accepted,
                    "rejected": rejected,
                }
            ],
        )

    def record_votes(
        self,
        *,
        campaign_id: str,
        stage: str,
        supplier_id: int,
        instruction_id: str,
        requested_at: datetime,
        hubs: Iterable[tuple[str, bool, bool]],
    ) -> None:
        """Upsert this supplier's vote on each hub: (guid, as_import, as_gas) at this time, so
        the decision stays traceable to the supplier responsible then (RA04)."""
        conn = self._s.connection()
        mark = placeholder(conn)
        marks = ", ".join([mark] * 8)
        conn.exec_driver_sql(
            "INSERT INTO instruction_votes (campaign_id, stage, guid, supplier_id, requested_at, "
            f"instruction_id, as_import, as_gas) VALUES ({marks}) "
            "ON CONFLICT (campaign_id, stage, guid, supplier_id) DO UPDATE SET "
            "requested_at = excluded.requested_at, instruction_id = excluded.instruction_id, "
            "as_import = excluded.as_import, as_gas = excluded.as_gas",
            [
                (campaign_id, stage, g, supplier_id, db_datetime(conn, requested_at),
                 instruction_id, imp, gas)
                for g, imp, gas in hubs
            ],
        )  # fmt: skip

    def record_staged_votes(
        self,
        *,
        campaign_id: str,
        stage: str,
        supplier_id: int,
        instruction_id: str,
        requested_at: datetime,
    ) -> None:
        """Upsert this supplier's vote on every hub staged in `request_guids` (the accepted
        ones), set-based, with the roles it holds on each now (RA04), as staged with it."""
        result = self._s.execute(
            text(
                "INSERT INTO instruction_votes (campaign_id, stage, guid, supplier_id, "
                "requested_at, instruction_id, as_import, as_gas) "
                "SELECT :c, :st, r.guid, :s, :at, :iid, "
                "coalesce(r.import_supplier_id = :s, false), "
                "coalesce(r.gas_supplier_id = :s, false) "
                # (WHERE true: SQLite's upsert needs a WHERE after a SELECT's FROM.)
                "FROM request_guids r WHERE true "
                "ON CONFLICT (campaign_id, stage, guid, supplier_id) DO UPDATE SET "
                "requested_at = excluded.requested_at, instruction_id = excluded.instruction_id, "
                "as_import = excluded.as_import, as_gas = excluded.as_gas"
            ).bindparams(bindparam("at", type_=UtcDateTime())),
            {"c": campaign_id, "st": stage, "s": supplier_id, "at": requested_at,
             "iid": instruction_id},
            execution_options={"preserve_rowcount": True},
        )  # fmt: skip
        refresh_after_bulk_write(self._s.connection(), "instruction_votes", _rows(result))

    def plan_staged_hubs(
        self,
        campaign_row_id: int,
        at: datetime,
        *,
        split_plans: Sequence[tuple[str, datetime]],
        voter: int,
        pilot: bool,
    ) -> None:
        """Hubs staged in `request_guids` with one supplier (or IS = GS) activate at `at`
        (BR3.2), split hubs at their own settled time (`split_plans`; a split hub not in it
        is waiting for its other supplier and keeps its row), set-based. It also marks
        `voter`'s vote on them, which its votes, inserted next, would otherwise write as a
        second version of every row (migration 0012's trigger skips rows already marked).
        Each hub's suppliers are read from its staged row, not from `hubs`: the campaign row
        this transaction holds keeps them from changing (a re-import takes it before
        committing a move, repositories/hubs.py).

        On PostgreSQL one UPDATE for both, the split plans staged by COPY: a second UPDATE for
        the split hubs walked the chunk's GUID range of the campaign again and ran the tally
        trigger again."""
        conn = self._s.connection()
        if conn.dialect.name != "postgresql":
            self._plan_staged_sole_supplier_hubs(campaign_row_id, at, voter=voter, pilot=pilot)
            self.set_plans(campaign_row_id, split_plans, voter=(voter, pilot))
            return
        _stage_plans(conn, split_plans)
        result = self._s.execute(
            text(
                "UPDATE campaign_hubs SET planned_activation_at = coalesce(p.at, :at), "
                f"status = CASE WHEN {_PLANNED_STATUS_QUALIFIED}, "
                f"{_MARK_VOTED_JOINED.format(p=':p', s=':s', h='r')} "
                "FROM request_guids r LEFT JOIN chfw_plans p ON p.guid = r.guid "
                f"WHERE campaign_hubs.campaign_id = :cid AND campaign_hubs.guid = r.guid "
                f"AND campaign_hubs.guid {_WITHIN} AND ({_SOLE} OR p.guid IS NOT NULL)"
            ).bindparams(bindparam("at", type_=UtcDateTime())),
            {"cid": campaign_row_id, "at": at, "s": voter, "p": pilot},
            execution_options={"preserve_rowcount": True},
        )
        refresh_after_bulk_write(conn, "campaign_hubs", _rows(result))

    def _plan_staged_sole_supplier_hubs(
        self, campaign_row_id: int, at: datetime, *, voter: int, pilot: bool
    ) -> None:
        result = self._s.execute(
            text(
                "UPDATE campaign_hubs SET planned_activation_at = :at, status = CASE WHEN "
                f"{_PLANNED_STATUS_QUALIFIED}, "
                f"{_MARK_VOTED_JOINED.format(p=':p', s=':s', h='r')} FROM request_guids r "
                f"WHERE campaign_hubs.campaign_id = :cid AND campaign_hubs.guid = r.guid "
                f"AND campaign_hubs.guid {_WITHIN} AND {_SOLE}"
            ).bindparams(bindparam("at", type_=UtcDateTime())),
            {"cid": campaign_row_id, "at": at, "s": voter, "p": pilot},
            execution_options={"preserve_rowcount": True},
        )
        refresh_after_bulk_write(self._s.connection(), "campaign_hubs", _rows(result))

    def other_votes(
        self, *, campaign_id: str, stage: str, supplier_id: int
    ) -> dict[str, dict[int, datetime]]:
        """Other suppliers' votes on the hubs staged in `request_guids` (by GUID). Read as the
        driver's tuples, each distinct time converted once: a chunk's split hubs mostly share
        the few times their other suppliers asked for."""
        conn = self._s.connection()
        mark = placeholder(conn)
        rows = fetch_all(
            conn,
            "SELECT v.guid, v.supplier_id, v.requested_at FROM instruction_votes v "
            f"JOIN request_guids r ON r.guid = v.guid WHERE v.campaign_id = {mark} "
            f"AND v.stage = {mark} AND v.supplier_id <> {mark} AND v.guid {_WITHIN}",
            (campaign_id, stage, supplier_id),
        )
        times: dict[object, datetime] = {}
        out: dict[str, dict[int, datetime]] = {}
        for guid, supplier, at in rows:
            if at not in times:
                times[at] = _utc(at)
            out.setdefault(guid, {})[supplier] = times[at]
        return out

    def set_plans(
        self,
        campaign_row_id: int,
        plans: Sequence[tuple[str, datetime]],
        *,
        voter: tuple[int, bool] | None = None,
    ) -> None:
        """Planned activation per hub; planned hubs become 'instructed' unless already further.
        `voter` (supplier, pilot group): an instruction's plans also mark that supplier's vote,
        as `plan_staged_hubs` does; DCC's automatic deployment passes none."""
        if not plans:
            return
        conn = self._s.connection()
        if conn.dialect.name == "postgresql":
            self._set_plans_staged(conn, campaign_row_id, plans, voter)
            return
        mark = placeholder(conn)
        marked = ""
        extra: tuple[object, ...] = ()
        if voter is not None:
            marked = ", " + _MARK_VOTED.replace(":s", mark).replace(":p", mark)
            extra = (voter[1], voter[0], voter[1], voter[0])
        conn.exec_driver_sql(
            f"UPDATE campaign_hubs SET planned_activation_at = {mark}, status = CASE WHEN "
            f"{_PLANNED_STATUS}{marked} "
            f"WHERE campaign_id = {mark} AND guid = {mark}",
            [(db_datetime(conn, at), *extra, campaign_row_id, g) for g, at in plans],
        )

    def _set_plans_staged(
        self,
        conn: Connection,
        campaign_row_id: int,
        plans: Sequence[tuple[str, datetime]],
        voter: tuple[int, bool] | None,
    ) -> None:
        """PostgreSQL: the plans staged by COPY and written by one UPDATE. One UPDATE per hub
        ran the statement-level tally trigger once per hub: 5.1 s for a chunk's ~15,000 split
        hubs at 10,000,000 hubs (bench/national.py), against one run for all of them."""
        _stage_plans(conn, plans)
        within = staged_range("chfw_plans")
        marked, joined = "", "chfw_plans p"
        params: dict[str, object] = {"cid": campaign_row_id}
        if voter is not None:
            marked = ", " + _MARK_VOTED_JOINED.format(p="%(p)s", s="%(s)s", h="h")
            joined += f" LEFT JOIN hubs h ON h.guid = p.guid AND h.guid {within}"
            params.update(s=voter[0], p=voter[1])
        conn.exec_driver_sql(
            "UPDATE campaign_hubs SET planned_activation_at = p.at, status = CASE WHEN "
            f"{_PLANNED_STATUS_QUALIFIED}{marked} FROM {joined} WHERE "
            "campaign_hubs.campaign_id = %(cid)s AND campaign_hubs.guid = p.guid "
            f"AND campaign_hubs.guid {within}",
            params,
        )

    def unplanned_hubs(
        self, campaign_row_id: int, *, after: str | None, limit: int
    ) -> list[tuple[str, str]]:
        """(GUID, CSP region) of hubs nobody has planned yet ('eligible': never instructed, or
        a split hub still waiting for its second supplier), in GUID order after `after`."""
        rows = self._s.execute(
            text(
                "SELECT guid, csp_region FROM campaign_hubs WHERE campaign_id = :cid "
                f"AND status = '{UNPLANNED}' AND guid > :after ORDER BY guid LIMIT :n"
            ),
            {"cid": campaign_row_id, "after": after or "", "n": limit},
        )
        return [(g, r) for g, r in rows]

    def uninstructed_count(
        self, *, campaign_row_id: int, campaign_id: str, stage: str, supplier_id: int, pilot: bool
    ) -> int:
        """This supplier's hubs of the campaign (pilot or safe-launch group) it has not yet
        instructed for that group's stage, from the tallies' vote flags (migration 0012): the
        cost follows the tally, not the supplier's hubs. The flags hold the vote for the stage
        of the hub's own group, so `stage` must be that group's."""
        del campaign_id
        if stage != (DeploymentKind.PILOT if pilot else DeploymentKind.SAFE_LAUNCH).value:
            raise ValueError(f"stage {stage} is not the stage of the {pilot=} group")
        return int(
            self._s.scalar(
                text(
                    "SELECT sum(hubs) FROM campaign_hub_tallies WHERE campaign_id = :cid "
                    "AND in_pilot = :p AND ((import_supplier_id = :s AND NOT import_voted) "
                    "OR (gas_supplier_id = :s AND NOT gas_voted))"
                ),
                {"cid": campaign_row_id, "p": pilot, "s": supplier_id},
            )
            or 0
        )

    def count(self, campaign_id: str | None = None) -> int:
        stmt = select(func.count()).select_from(InstructionRow)
        if campaign_id is not None:
            stmt = stmt.where(InstructionRow.campaign_id == campaign_id)
        return int(self._s.scalar(stmt) or 0)


def _stage_plans(conn: Connection, plans: Sequence[tuple[str, datetime]]) -> None:
    """PostgreSQL: (GUID, planned time) pairs into the temporary table `chfw_plans`."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS chfw_plans (guid varchar(23) PRIMARY KEY, "
        "at timestamptz NOT NULL) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE chfw_plans")
    copy_rows(conn, "chfw_plans (guid, at)", plans)
    conn.exec_driver_sql("ANALYZE chfw_plans")


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _rows(result: object) -> int:
    """Rows a bulk statement wrote (a cursor result's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)
