"""Pilot group state: preferred lists per supplier, candidates, and pilot membership."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.pilot import BandRanges, PilotCandidate
from chfw_api.persistence.tables import (
    CampaignHubRow,
    PilotScheduleRequestRow,
    PreferredPilotHubRow,
    PreferredPilotListRow,
)

# A `PilotCandidate`'s columns, from a campaign hub `ch` and its inventory row `h`.
_FIELDS = (
    "SELECT ch.guid, h.import_supplier_id, h.gas_supplier_id, ch.csp_region, ch.model, "
    "h.production_proving, h.friendly_customer, h.pilot_excluded "
)
_CANDIDATE = (
    _FIELDS + "FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid WHERE ch.campaign_id = :cid "
)

# One role's hubs of the supplier in some bands, friendly customers or not: a range scan of
# `ix_hubs_{role}_pilot_band` (migration 0017), each hub then probed in the campaign.
_IN_BANDS = (
    _FIELDS + "FROM hubs h JOIN campaign_hubs ch ON ch.campaign_id = :cid AND ch.guid = h.guid "
    "WHERE h.{role}_supplier_id = :s AND h.friendly_customer = :f AND ({bands})"
)


def _candidates(rows: Any) -> list[PilotCandidate]:
    return [
        PilotCandidate(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), bool(r[7]))
        for r in rows
    ]


class PilotRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._pg = session.get_bind().dialect.name == "postgresql"

    def _one_of(
        self, column: InstrumentedAttribute[str], guids: Sequence[str]
    ) -> ColumnElement[bool]:
        """`column IN guids`. On PostgreSQL one array parameter (`= ANY`): a list of a few
        hundred GUIDs as as many parameters made psycopg parse every such statement anew
        (about 13 ms an SR 11.5 at 600 GUIDs, cProfile)."""
        if self._pg:
            return column == any_(bindparam(None, list(guids), type_=ARRAY(String)))
        return column.in_(guids)

    def replace_preferred_list(
        self,
        *,
        campaign_id: str,
        supplier_id: int,
        guids: Sequence[str],
        request_id: str,
        now: datetime,
        rules: dict[str, Any] | None,
        chosen_by_dcc: bool = False,
    ) -> None:
        """A04: a supplier's new list replaces its previous one."""
        key = {"campaign_id": campaign_id, "supplier_id": supplier_id}
        self._s.execute(delete(PreferredPilotHubRow).filter_by(**key))
        self._s.execute(delete(PreferredPilotListRow).filter_by(**key))
        self._s.execute(
            insert(PreferredPilotListRow),
            [{**key, "request_id": request_id, "submitted_at": now, "rules": rules,
              "hub_count": len(guids), "chosen_by_dcc": chosen_by_dcc}],
        )  # fmt: skip
        if guids and self._pg:
            # One statement over an array: an executemany of 300 rows is 300 statements.
            self._s.execute(
                text(
                    "INSERT INTO preferred_pilot_hubs (campaign_id, supplier_id, guid) "
                    "SELECT :campaign_id, :supplier_id, g FROM unnest(CAST(:g AS varchar[])) g"
                ),
                {**key, "g": list(guids)},
            )
        elif guids:
            table = cast(Table, PreferredPilotHubRow.__table__)
            self._s.execute(insert(table), [{**key, "guid": g} for g in guids])

    def preferred_lists(self, campaign_id: str) -> dict[int, frozenset[str]]:
        rows = self._s.execute(
            select(PreferredPilotHubRow.supplier_id, PreferredPilotHubRow.guid).where(
                PreferredPilotHubRow.campaign_id == campaign_id
            )
        )
        out: dict[int, set[str]] = {}
        for supplier, guid in rows:
            out.setdefault(supplier, set()).add(guid)
        listed = self._s.scalars(
            select(PreferredPilotListRow.supplier_id).where(
                PreferredPilotListRow.campaign_id == campaign_id
            )
        )
        return {s: frozenset(out.get(s, set())) for s in listed}

    def suppliers_with_lists(self, campaign_id: str) -> set[int]:
        return set(
            self._s.scalars(
                select(PreferredPilotListRow.supplier_id).where(
                    PreferredPilotListRow.campaign_id == campaign_id
                )
            )
        )

    def composition_candidates(
        self, campaign_row_id: int, campaign_id: str, *, proving: int, seed: int
    ) -> list[PilotCandidate]:
        """Only hubs someone put forward (CSP default list, a preferred list, production
        proving) or already in the pilot: the pilot never needs the whole estate in memory.
        Each source is read by its own index (the partial indexes of migrations 0013, 0015 and
        0017, the preferred lists' key) and only those hubs are joined.

        Of the production-proving hubs (AD10: always in, first to be kept under the cap, C3)
        only the first `proving` in the campaign in the group's order (friendly customers
        first, then `seed`'s order, as `domain.pilot.compose` sorts them) can be in the group:
        a 10,000,000-hub estate has 5,000, and probing each in the campaign cost 40 ms.
        When there are at least `proving` of them, only they are returned: the group is
        theirs, and the caller uses only its members."""
        first = self._first_proving(campaign_row_id, proving, seed)
        if len(first) == proving:
            # As many production-proving hubs as the group holds: they are its members,
            # whatever else was put forward (they are kept first, C3), so nothing else is read.
            return first
        found = {c.guid: c for c in first}
        rows = self._s.execute(
            text(
                _FIELDS + "FROM (SELECT guid FROM campaign_hubs WHERE campaign_id = :cid "
                "AND in_default_list UNION SELECT guid FROM campaign_hubs WHERE "
                "campaign_id = :cid AND in_pilot UNION SELECT guid FROM preferred_pilot_hubs "
                "WHERE campaign_id = :c) p "
                "JOIN campaign_hubs ch ON ch.campaign_id = :cid AND ch.guid = p.guid "
                "JOIN hubs h ON h.guid = ch.guid"
            ),
            {"cid": campaign_row_id, "c": campaign_id},
        )
        found.update((c.guid, c) for c in _candidates(rows))
        return list(found.values())

    def _first_proving(self, campaign_row_id: int, wanted: int, seed: int) -> list[PilotCandidate]:
        """The first `wanted` production-proving, not excluded, hubs of the campaign in the
        group's order: pages of that order read from the hubs' covering index (`ix_hubs_proving`),
        each page's hubs then looked up in the campaign, until enough are found."""
        rank = "md5(:seed || ':' || guid)" + (' COLLATE "C"' if self._pg else "")
        page = max(2 * wanted, 500)
        found: list[PilotCandidate] = []
        for offset in itertools.count(0, page):
            rows = self._s.execute(
                text(
                    "SELECT guid, import_supplier_id, gas_supplier_id, friendly_customer "
                    "FROM hubs WHERE production_proving AND NOT pilot_excluded "
                    f"ORDER BY NOT friendly_customer, {rank}, guid LIMIT :n OFFSET :o"
                ),
                {"seed": str(seed), "n": page, "o": offset},
            ).all()
            if not rows:
                break
            guids = [r[0] for r in rows]
            in_campaign = {
                guid: (region, model)
                for guid, region, model in self._s.execute(
                    select(CampaignHubRow.guid, CampaignHubRow.csp_region, CampaignHubRow.model)
                    .where(CampaignHubRow.campaign_id == campaign_row_id)
                    .where(self._one_of(CampaignHubRow.guid, guids))
                )
            }
            for guid, imp, gas, friendly in rows:
                if guid in in_campaign:
                    region, model = in_campaign[guid]
                    found.append(
                        PilotCandidate(guid, imp, gas, region, model, True, bool(friendly))
                    )
            if len(found) >= wanted or len(rows) < page:
                break
        return found[:wanted]

    def pool_size(
        self,
        campaign_row_id: int,
        supplier_id: int,
        *,
        regions: frozenset[str],
        models: frozenset[str],
    ) -> int:
        """How many of the supplier's hubs in the campaign, in `regions` and of `models` (all
        when empty), are neither production-proving nor pilot-excluded: the pool a share of
        selection rules is taken from (BR2.2). Summed from the campaign's tally rows (kept
        exact by triggers, migration 0006), less the rare flagged hubs (their partial index,
        migration 0015): it costs a few hundred rows, not the supplier's hubs."""
        params: dict[str, Any] = {"cid": campaign_row_id, "s": supplier_id}
        where = ""
        for name, values in (("csp_region", regions), ("model", models)):
            if values:
                marks = ", ".join(f":{name}{i}" for i in range(len(values)))
                where += f" AND {{t}}.{name} IN ({marks})"
                params |= {f"{name}{i}": v for i, v in enumerate(sorted(values))}
        tallied = self._s.execute(
            text(
                "SELECT coalesce(sum(t.hubs), 0) FROM campaign_hub_tallies t WHERE "
                "t.campaign_id = :cid AND (t.import_supplier_id = :s OR t.gas_supplier_id = :s)"
                + where.format(t="t")
            ),
            params,
        ).scalar_one()
        flagged = self._s.execute(
            text(
                "SELECT count(*) FROM hubs h JOIN campaign_hubs ch ON ch.campaign_id = :cid "
                "AND ch.guid = h.guid WHERE (h.production_proving OR h.pilot_excluded) "
                "AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s)" + where.format(t="ch")
            ),
            params,
        ).scalar_one()
        return int(tallied) - int(flagged)

    def named_candidates(
        self, campaign_row_id: int, supplier_id: int, guids: Iterable[str]
    ) -> list[PilotCandidate]:
        """The supplier's hubs in the campaign among `guids` (a rules' excluded GUIDs)."""
        named = sorted(set(guids))
        found: list[PilotCandidate] = []
        for start in range(0, len(named), 500):
            chunk = named[start : start + 500]
            marks = ", ".join(f":g{i}" for i in range(len(chunk)))
            found += _candidates(
                self._s.execute(
                    text(
                        _CANDIDATE + f"AND ch.guid IN ({marks}) "
                        "AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
                    ),
                    {"cid": campaign_row_id, "s": supplier_id}
                    | {f"g{i}": g for i, g in enumerate(chunk)},
                )
            )
        return found

    def supplier_candidates_in_bands(
        self, campaign_row_id: int, supplier_id: int, *, friendly: bool, bands: BandRanges
    ) -> list[PilotCandidate]:
        """The supplier's hubs in the campaign in `bands` (`domain.pilot.choose_by_bands`):
        1/16,384 of its hubs a band, read by index whatever the estate's size."""
        params: dict[str, Any] = {"cid": campaign_row_id, "s": supplier_id, "f": friendly}
        ranges = []
        for i, (first, last) in enumerate(bands):
            ranges.append(f"h.pilot_band BETWEEN :lo{i} AND :hi{i}")
            params |= {f"lo{i}": first, f"hi{i}": last}
        where = " OR ".join(ranges)
        sql = " UNION ".join(_IN_BANDS.format(role=r, bands=where) for r in ("import", "gas"))
        return _candidates(self._s.execute(text(sql), params))

    def default_list(self, campaign_row_id: int) -> frozenset[str]:
        """The CSP's current Default Pilot List (A02) for the campaign; empty if none."""
        return frozenset(
            self._s.scalars(
                select(CampaignHubRow.guid).where(
                    CampaignHubRow.campaign_id == campaign_row_id, CampaignHubRow.in_default_list
                )
            )
        )

    def set_members(self, campaign_row_id: int, members: Sequence[str]) -> None:
        """Make `members` the pilot group; hubs already deployed stay in it whatever happens.
        Only the hubs leaving or joining are written (usually none: an SR 11.5 recomposes a
        group that mostly stays as it was), each found from the pilot's partial index."""
        current = set(self.members(campaign_row_id))
        wanted = set(members)
        leaving, joining = sorted(current - wanted), sorted(wanted - current)
        deployed_stay = (CampaignHubRow.status == HubStatus.ELIGIBLE,)
        for guids, flag, only in ((leaving, False, deployed_stay), (joining, True, ())):
            for start in range(0, len(guids), 500):
                self._s.execute(
                    update(CampaignHubRow)
                    .where(
                        CampaignHubRow.campaign_id == campaign_row_id,
                        self._one_of(CampaignHubRow.guid, guids[start : start + 500]),
                        *only,
                    )
                    .values(in_pilot=flag)
                )

    def members(self, campaign_row_id: int) -> list[str]:
        return list(
            self._s.scalars(
                select(CampaignHubRow.guid)
                .where(CampaignHubRow.campaign_id == campaign_row_id, CampaignHubRow.in_pilot)
                .order_by(CampaignHubRow.guid)
            )
        )

    def add_schedule_request(
        self,
        *,
        campaign_id: str,
        supplier_id: int,
        request_id: str,
        now: datetime,
        entries: list[dict[str, Any]],
    ) -> int:
        row = PilotScheduleRequestRow(
            campaign_id=campaign_id,
            supplier_id=supplier_id,
            request_id=request_id,
            submitted_at=now,
            entries=entries,
        )
        self._s.add(row)
        self._s.flush()
        return row.id
