"""An estate row as the SR 11.8 report shows it, in the response or in the CSV file: with its
planned activation (DCC's automatic time until someone plans it) and its second-supplier
status, never the other supplier's identity (BR3.3, BR5.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chfw_api.domain.parties import SupplierRole
from chfw_api.domain.reports import EstateRow, planned_activation
from chfw_api.domain.service_request_results import HubStatus
from chfw_api.domain.stages import TERMINAL, DeploymentKind
from chfw_api.services.unit_of_work import UnitOfWork

CSV_HEADER = ("DeviceID", "ImportSupplier", "GasSupplier", "FirmwareVersion", "CampaignID",
              "Status", "StatusAt", "PlannedActivationAt", "SecondSupplier")  # fmt: skip


def automatic_times(uow: UnitOfWork) -> Callable[[EstateRow], datetime | None]:
    """DCC's automatic time for a row's campaign and stage, each campaign read once; none for
    an ended campaign, which activates nothing more."""
    known: dict[tuple[str, bool], datetime | None] = {}

    def at(row: EstateRow) -> datetime | None:
        if row.campaign_id is None or row.planned_at is not None:
            return None
        key = (row.campaign_id, row.in_pilot)
        if key not in known:
            campaign = uow.campaigns.get(row.campaign_id)
            kind = DeploymentKind.PILOT if row.in_pilot else DeploymentKind.SAFE_LAUNCH
            known[key] = (
                None
                if campaign is None or campaign.stage in TERMINAL
                else campaign.automatic_activation_at(kind)
            )
        return known[key]

    return at


def automatic_time_table(
    uow: UnitOfWork, campaign_id: str | None
) -> dict[tuple[str, bool], datetime]:
    """`automatic_times` as a table for the database to join: (campaign, in pilot) -> DCC's
    automatic time, for one campaign or every campaign not ended."""
    if campaign_id is not None:
        found = uow.campaigns.get(campaign_id)
        campaigns = [found] if found is not None else []
    else:
        campaigns = uow.campaigns.list_all(active_only=True)
    table: dict[tuple[str, bool], datetime] = {}
    for campaign in campaigns:
        if campaign.stage in TERMINAL:
            continue
        for in_pilot, kind in ((True, DeploymentKind.PILOT), (False, DeploymentKind.SAFE_LAUNCH)):
            at = campaign.automatic_activation_at(kind)
            if at is not None:
                table[(campaign.campaign_id, in_pilot)] = at
    return table


def hub_status(row: EstateRow, automatic: Callable[[EstateRow], datetime | None]) -> HubStatus:
    roles = frozenset(
        r for r, held in ((SupplierRole.IMPORT, row.is_import), (SupplierRole.GAS, row.is_gas))
        if held
    )  # fmt: skip
    return HubStatus(
        row.guid,
        roles,
        row.firmware_version,
        row.campaign_id,
        row.status,
        row.status_at,
        planned_activation(row, automatic(row)),
        row.second_supplier,
    )


def csv_fields(row: EstateRow, automatic: Callable[[EstateRow], datetime | None]) -> list[object]:
    """One line of the report file, in `CSV_HEADER` order."""
    planned = planned_activation(row, automatic(row))
    second = row.second_supplier
    return [row.guid, int(row.is_import), int(row.is_gas), row.firmware_version,
            row.campaign_id or "", row.status or "",
            row.status_at.isoformat() if row.status_at else "",
            planned.isoformat() if planned else "", second.value if second else ""]  # fmt: skip
