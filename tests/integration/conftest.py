"""Integration fixtures: the real app over a real database, driven through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
from chfw_api.services import parties as party_service
from tests.conftest import START, wipe

DCC_ID = "90-B3-D5-1F-30-00-00-02"
SUPPLIER_A = "90-B3-D5-1F-30-01-00-00"
SUPPLIER_B = "90-B3-D5-1F-30-02-00-00"
SUPPLIER_ELEC = "90-B3-D5-1F-30-03-00-00"


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = build(
        Settings(database_url=database_url, max_body_bytes=64 * 1024, max_request_guids=1_200),
        clock=FakeClock(START),
    )
    wipe(c.engine)
    yield c
    c.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as tc:
        yield tc


@dataclass
class Estate:
    """The parties of a small estate, with one API key each (Authorization headers)."""

    dcc: dict[str, str]
    supplier_a: dict[str, str]
    supplier_b: dict[str, str]
    supplier_elec: dict[str, str]
    csp_north: dict[str, str]
    csp_central: dict[str, str]


def _key(c: Container, code: str) -> dict[str, str]:
    issued = party_service.issue_key(c.uow(), c.clock, party_code=code)
    return {"Authorization": f"Bearer {issued.key}"}


@pytest.fixture
def estate(container: Container) -> Estate:
    both = [SupplierRole.IMPORT, SupplierRole.GAS]
    specs = [
        (PartyKind.DCC, DCC_ID, "DCC", [], []),
        (PartyKind.SUPPLIER, SUPPLIER_A, "Alpha Energy", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_B, "Beta Gas & Power", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_ELEC, "Volt Only", [SupplierRole.IMPORT], []),
        (PartyKind.CSP, "CSP-N", "North CSP", [], [CspRegion.NORTH]),
        (PartyKind.CSP, "CSP-C", "Central CSP", [], [CspRegion.CENTRAL, CspRegion.SOUTH]),
    ]
    for kind, code, name, roles, regions in specs:
        party_service.register_party(
            container.uow(),
            container.clock,
            kind=kind,
            code=code,
            name=name,
            roles=roles,
            regions=regions,
        )
    return Estate(
        dcc=_key(container, DCC_ID),
        supplier_a=_key(container, SUPPLIER_A),
        supplier_b=_key(container, SUPPLIER_B),
        supplier_elec=_key(container, SUPPLIER_ELEC),
        csp_north=_key(container, "CSP-N"),
        csp_central=_key(container, "CSP-C"),
    )


HEADER = (
    "DeviceID,DeviceManufacturer,DeviceModel,DeviceFirmwareVersion,DeviceStatus,CSPRegion,"
    "ImportSupplier,GasSupplier,ProductionProving,FriendlyCustomer,PilotExcluded"
)


def hub_line(
    guid: str,
    *,
    importer: str = SUPPLIER_A,
    gas: str = "",
    region: str = "Central",
    status: str = "Commissioned",
    model: str = "KC-200",
    firmware: str = "0100A2F3",
    flags: str = "0,0,0",
) -> str:
    return f"{guid},Kelvin Cellular,{model},{firmware},{status},{region},{importer},{gas},{flags}"


def csv_body(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()
