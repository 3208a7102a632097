"""An SR 11.8 row's planned date and second-supplier status (#11.6): DCC's automatic time until
someone plans the hub, and whether a split hub's other supplier has instructed, never who."""

from __future__ import annotations

from datetime import UTC, datetime

from chfw_api.domain.parties import SupplierRole
from chfw_api.domain.reports import EstateRow, SecondSupplier, planned_activation
from chfw_api.domain.service_request_results import StatusReport
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.duis.responses import render_response
from chfw_api.services.estate_rows import CSV_HEADER, csv_fields, hub_status

PLANNED = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
AUTO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
GUID = "00-DB-12-34-56-78-90-A1"


def _row(**kw: object) -> EstateRow:
    base = EstateRow(GUID, True, False, "0100A2F3", "CMP-000001", "eligible", None)
    return base._replace(**kw)


def test_second_supplier_status_by_split_and_vote() -> None:
    # covers: BR3.3
    assert _row().second_supplier is SecondSupplier.NOT_SPLIT
    assert _row(split=True).second_supplier is SecondSupplier.NOT_INSTRUCTED
    assert _row(split=True, other_instructed=True).second_supplier is SecondSupplier.INSTRUCTED
    assert _row(campaign_id=None, split=True).second_supplier is None  # nothing to instruct


def test_an_unplanned_hub_keeps_dccs_automatic_time() -> None:
    # covers: BR3.6, BR4.1
    assert planned_activation(_row(), AUTO) == AUTO
    assert planned_activation(_row(planned_at=PLANNED, status="instructed"), AUTO) == PLANNED
    assert planned_activation(_row(status="activated"), AUTO) is None


def test_report_row_renders_planned_date_and_status() -> None:
    # covers: BR5.3, BR3.3
    row = _row(split=True, status="instructed", planned_at=PLANNED, other_instructed=True)
    hub = hub_status(row, lambda r: AUTO)
    assert hub.roles == frozenset({SupplierRole.IMPORT})
    assert (hub.planned_at, hub.second_supplier) == (PLANNED, SecondSupplier.INSTRUCTED)
    xml = render_response(
        StatusReport(generated_at=PLANNED, hubs=(hub,)),
        service_reference=ServiceReference.READ_FIRMWARE_STATUS,
        response_id="90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00:1",
        at=PLANNED,
    )  # validated against our schema
    assert b"<sr:PlannedActivationDateTime>2026-05-01T02:00:00.000Z<" in xml
    assert b"<sr:SecondSupplier>Instructed<" in xml
    fields = dict(zip(CSV_HEADER, csv_fields(_row(split=True), lambda r: AUTO), strict=True))
    assert (fields["PlannedActivationAt"], fields["SecondSupplier"]) == (
        AUTO.isoformat(), "NotInstructed",
    )  # fmt: skip
