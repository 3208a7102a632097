"""The sample estate generator: reproducible, realistic, and every row a valid inventory row."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chfw_api.domain.identifiers import guid_to_int
from chfw_api.domain.inventory import (
    CSV_COLUMNS,
    DeviceStatus,
    HubRecord,
    SupplierDirectory,
    validate_hub_row,
)
from chfw_api.domain.parties import CspRegion, SupplierRole
from chfw_api.estate import SampleEstateSummary, flag_counts, write_sample_estate


def _directory(parties: dict[str, Any]) -> SupplierDirectory:
    return SupplierDirectory(
        by_user_id={
            s["user_id"]: (n, frozenset(SupplierRole(r) for r in s["roles"]))
            for n, s in enumerate(parties["suppliers"], start=1)
        }
    )


def _load(summary: SampleEstateSummary) -> tuple[dict[str, Any], list[HubRecord]]:
    """Read both files back and validate every row, failing on the first bad one."""
    parties = json.loads(summary.parties_json.read_text(encoding="ascii"))
    directory = _directory(parties)
    records = []
    with summary.hubs_csv.open(encoding="ascii", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        for line, row in enumerate(reader, start=2):
            record, problems = validate_hub_row(row, directory, f"line {line}")
            assert record is not None, problems
            records.append(record)
    return parties, records


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> SampleEstateSummary:
    out = tmp_path_factory.mktemp("estate")
    return write_sample_estate(out, hubs=5_000, suppliers=6, seed=11)


@pytest.fixture(scope="module")
def loaded(estate: SampleEstateSummary) -> tuple[dict[str, Any], list[HubRecord]]:
    return _load(estate)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a = write_sample_estate(tmp_path / "a", hubs=2_000, suppliers=5, seed=3)
    b = write_sample_estate(tmp_path / "b", hubs=2_000, suppliers=5, seed=3)
    c = write_sample_estate(tmp_path / "c", hubs=2_000, suppliers=5, seed=4)
    assert a.hubs_csv.read_bytes() == b.hubs_csv.read_bytes()
    assert a.parties_json.read_bytes() == b.parties_json.read_bytes()
    assert a.hubs_csv.read_bytes() != c.hubs_csv.read_bytes()
    assert replace(b, hubs_csv=a.hubs_csv, parties_json=a.parties_json) == a


def test_every_row_validates_and_guids_are_unique(
    estate: SampleEstateSummary, loaded: tuple[dict[str, Any], list[HubRecord]]
) -> None:
    _, records = loaded
    assert len(records) == estate.hubs == 5_000
    assert len({guid_to_int(r.guid) for r in records}) == len(records)
    assert {r.firmware_version for r in records} >= {"0100A2F3"}
    assert all(1 <= len(r.firmware_version) <= 8 for r in records)


def test_summary_counts_match_the_file(
    estate: SampleEstateSummary, loaded: tuple[dict[str, Any], list[HubRecord]]
) -> None:
    _, records = loaded
    split = sum(r.is_split_supplier for r in records)
    same = sum(
        r.import_supplier_id is not None and r.import_supplier_id == r.gas_supplier_id
        for r in records
    )
    electricity = sum(
        r.import_supplier_id is not None and r.gas_supplier_id is None for r in records
    )
    gas = sum(r.import_supplier_id is None and r.gas_supplier_id is not None for r in records)
    assert same + split + electricity + gas == estate.hubs  # every hub has a supplier
    assert (estate.split_supplier, estate.dual_fuel_same_supplier) == (split, same)
    assert (estate.electricity_only, estate.gas_only) == (electricity, gas)
    assert estate.by_region == Counter(r.csp_region for r in records)
    assert estate.by_model == Counter(r.model for r in records)
    assert estate.by_status == Counter(r.status for r in records)
    assert estate.production_proving == sum(r.production_proving for r in records)
    assert estate.friendly_customer == sum(r.friendly_customer for r in records)
    assert estate.pilot_excluded == sum(r.pilot_excluded for r in records)


def test_every_kind_of_hub_is_present_at_5000(estate: SampleEstateSummary) -> None:
    assert estate.split_supplier > 0
    assert estate.dual_fuel_same_supplier > 0
    assert estate.electricity_only > 0
    assert estate.gas_only > 0
    assert estate.production_proving > 0
    assert estate.friendly_customer > 0
    assert estate.pilot_excluded > 0
    assert all(n > 0 for n in estate.by_region.values())
    assert len(estate.by_model) >= 3 and all(n > 0 for n in estate.by_model.values())


def test_estate_looks_like_gb(
    estate: SampleEstateSummary, loaded: tuple[dict[str, Any], list[HubRecord]]
) -> None:
    _, records = loaded
    assert 0.90 < estate.by_status[DeviceStatus.COMMISSIONED] / estate.hubs < 0.96
    assert sum(1 for n in estate.by_status.values() if n) >= 5
    assert 0.35 < estate.by_region[CspRegion.CENTRAL] / estate.hubs < 0.45
    assert 0.15 < estate.electricity_only / estate.hubs < 0.25
    assert 0.03 < estate.gas_only / estate.hubs < 0.07
    assert len({r.manufacturer for r in records}) >= 2
    # North hubs are radio models, never the cellular ones used in Central and South.
    north = {r.model for r in records if r.csp_region == CspRegion.NORTH}
    south = {r.model for r in records if r.csp_region == CspRegion.SOUTH}
    assert north and south and not north & south
    for model in {r.model for r in records}:
        assert 2 <= len({r.firmware_version for r in records if r.model == model}) <= 3
    # Proving and friendly hubs must be able to take firmware; flags never overlap.
    for r in records:
        if r.production_proving or r.friendly_customer:
            assert r.status == DeviceStatus.COMMISSIONED
        assert r.production_proving + r.friendly_customer + r.pilot_excluded <= 1


@pytest.mark.parametrize("share", [0.0, 0.3, 0.7, 1.0])
def test_split_share_is_honoured(tmp_path: Path, share: float) -> None:
    s = write_sample_estate(tmp_path, hubs=4_000, suppliers=8, split_share=share, seed=5)
    dual = s.split_supplier + s.dual_fuel_same_supplier
    assert dual > 2_500
    assert abs(s.split_supplier / dual - share) < 0.04


def test_parties_json(loaded: tuple[dict[str, Any], list[HubRecord]]) -> None:
    parties, _ = loaded
    assert parties["dcc"] == {"user_id": "90-B3-D5-1F-30-00-00-02", "name": "DCC"}
    assert [c["csp_id"] for c in parties["csps"]] == ["CSP-N", "CSP-C", "CSP-S"]
    assert [c["regions"] for c in parties["csps"]] == [["North"], ["Central"], ["South"]]
    suppliers = parties["suppliers"]
    assert [s["user_id"] for s in suppliers] == [
        f"90-B3-D5-1F-30-{k:02X}-00-00" for k in range(1, 7)
    ]
    assert len({s["name"] for s in suppliers}) == len(suppliers)
    roles = [tuple(s["roles"]) for s in suppliers]
    assert ("IS",) in roles and ("GS",) in roles
    assert roles.count(("IS", "GS")) > len(roles) // 2


def test_many_suppliers_have_unique_names(tmp_path: Path) -> None:
    s = write_sample_estate(tmp_path, hubs=10, suppliers=255)
    suppliers = json.loads(s.parties_json.read_text())["suppliers"]
    assert len({x["name"] for x in suppliers}) == 255
    assert suppliers[-1]["user_id"] == "90-B3-D5-1F-30-FF-00-00"


def test_one_supplier_estate_has_no_split_hubs_and_still_validates(tmp_path: Path) -> None:
    s = write_sample_estate(tmp_path, hubs=500, suppliers=1, split_share=0.5)
    _, records = _load(s)
    assert s.split_supplier == 0
    assert len(records) == 500


def test_empty_estate_is_just_a_header(tmp_path: Path) -> None:
    s = write_sample_estate(tmp_path, hubs=0, suppliers=2)
    assert s.hubs_csv.read_text().splitlines() == [",".join(CSV_COLUMNS)]
    assert (s.production_proving, s.friendly_customer, s.pilot_excluded) == (0, 0, 0)


def test_flag_counts_keep_pilot_exclusions_under_100_at_any_scale() -> None:
    assert flag_counts(1_000_000).pilot_excluded == 90
    assert flag_counts(30_000_000).pilot_excluded < 100
    assert flag_counts(1_000_000).production_proving == 500
    assert flag_counts(1_000_000).friendly_customer == 5_000
    assert all(n >= 1 for n in flag_counts(5_000))
    assert all(sum(flag_counts(h)) <= h // 2 for h in range(0, 200))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hubs": -1, "suppliers": 3},
        {"hubs": 2**32, "suppliers": 3},
        {"hubs": 10, "suppliers": 0},
        {"hubs": 10, "suppliers": 256},
        {"hubs": 10, "suppliers": 3, "split_share": 1.5},
        {"hubs": 10, "suppliers": 3, "split_share": float("nan")},
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        write_sample_estate(tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())
