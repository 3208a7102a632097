"""Inventory row rules: every problem of a row is named, good rows are normalised."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.inventory import (
    CSV_COLUMNS,
    DEVICE_STATUSES,
    HubRowValidator,
    SupplierDirectory,
    validate_hub_row,
)
from chfw_api.domain.parties import SupplierRole

DIRECTORY = SupplierDirectory(
    by_user_id={
        "90-B3-D5-1F-30-01-00-00": (1, frozenset({SupplierRole.IMPORT, SupplierRole.GAS})),
        "90-B3-D5-1F-30-02-00-00": (2, frozenset({SupplierRole.GAS})),
    }
)
GOOD = {
    "DeviceID": "00-db-12-34-56-78-90-a0",
    "DeviceManufacturer": "Kelvin",
    "DeviceModel": "KC-200",
    "DeviceFirmwareVersion": "0100a2f3",
    "DeviceStatus": "Commissioned",
    "CSPRegion": "North",
    "ImportSupplier": "90-b3-d5-1f-30-01-00-00",
    "GasSupplier": "90-B3-D5-1F-30-02-00-00",
    "ProductionProving": "true",
    "FriendlyCustomer": "0",
    "PilotExcluded": "",
}


def test_good_row_is_normalised_and_split_detected() -> None:
    record, problems = validate_hub_row(GOOD, DIRECTORY, "line 2")
    assert problems == []
    assert record is not None
    assert record.guid == "00-DB-12-34-56-78-90-A0"
    assert record.firmware_version == "0100A2F3"
    assert (record.import_supplier_id, record.gas_supplier_id) == (1, 2)
    assert record.is_split_supplier
    assert (record.production_proving, record.friendly_customer, record.pilot_excluded) == (
        True,
        False,
        False,
    )


def test_role_not_held_is_named() -> None:
    # covers: X5
    row = {**GOOD, "ImportSupplier": "90-B3-D5-1F-30-02-00-00"}
    record, problems = validate_hub_row(row, DIRECTORY, "line 9")
    assert record is None
    assert [(p.location, p.field) for p in problems] == [("line 9", "ImportSupplier")]
    assert "IS role" in problems[0].reason


@given(
    st.fixed_dictionaries(
        {c: st.one_of(st.just(GOOD[c]), st.text(max_size=12)) for c in CSV_COLUMNS}
    )
)
def test_validator_never_raises_and_names_only_real_columns(row: dict[str, str]) -> None:
    # covers: X5
    record, problems = validate_hub_row(row, DIRECTORY, "line 2")
    assert (record is None) == bool(problems)
    for p in problems:
        assert p.field in CSV_COLUMNS and p.location == "line 2"
    if record is not None:
        assert record.status in DEVICE_STATUSES


def test_header_order_is_free_and_optional_columns_may_be_absent() -> None:
    header = [
        "CSPRegion",
        "DeviceID",
        "DeviceStatus",
        "DeviceModel",
        "DeviceFirmwareVersion",
        "DeviceManufacturer",
    ]
    v = HubRowValidator(header, DIRECTORY)
    result = v.check(["South", "01-02-03-04-05-06-07-08", "Pending", "M", "1", "Acme"], "line 2")
    assert not isinstance(result, list)
    assert result.import_supplier_id is None and result.csp_region == "South"
