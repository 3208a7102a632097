"""A small estate for use-case tests: DCC, two suppliers (one with a signing certificate), a CSP
per region, one release and a few dozen hubs of its model, some split between the suppliers."""

from __future__ import annotations

from datetime import UTC, datetime

from chfw_api.domain.clock import FakeClock
from chfw_api.domain.identifiers import UserId
from chfw_api.domain.parties import Caller, CspRegion, Party, PartyKind, PartyStatus
from chfw_api.domain.releases import FirmwareRelease, Priority, ReleaseType, Severity
from chfw_api.domain.service_requests import RequestHeader, ServiceReference
from chfw_api.services import campaigns
from tests.unit.services.fakes import FakeUnitOfWork, Hub, World

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DCC = Party(1, PartyKind.DCC, "90-B3-D5-1F-30-00-00-02", "DCC", PartyStatus.ACTIVE)
ALPHA = Party(2, PartyKind.SUPPLIER, "90-B3-D5-1F-30-00-00-0A", "Alpha", PartyStatus.ACTIVE)
BETA = Party(
    3,
    PartyKind.SUPPLIER,
    "90-B3-D5-1F-30-00-00-0B",
    "Beta",
    PartyStatus.ACTIVE,
    signing_certificate_pem="-----BEGIN CERTIFICATE-----beta-----END CERTIFICATE-----",
)
GAMMA = Party(4, PartyKind.SUPPLIER, "90-B3-D5-1F-30-00-00-0C", "Gamma", PartyStatus.ACTIVE)
CSPS = {CspRegion.NORTH: "CSP-N", CspRegion.CENTRAL: "CSP-C", CspRegion.SOUTH: "CSP-S"}
MODEL, OLD, NEW = "HubMaster-3", "0100", "0200"
RELEASE = FirmwareRelease(
    id=1,
    manufacturer="Acme",
    model=MODEL,
    version=NEW,
    image_hash="ab" * 32,
    release_note_ref="RN-200",
    severity=Severity.MEDIUM,
    priority=Priority.NORMAL,
    release_type=ReleaseType.PLANNED_MAINTENANCE,
    operational_or_security=False,
    created_at=T0,
    created_by=DCC.code,
)
NEXT_RELEASE = FirmwareRelease(**{**RELEASE.__dict__, "id": 2, "version": "0300"})


def guid(n: int) -> str:
    raw = f"{0x00DB000000000000 + n:016X}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


ALPHA_HUBS = [guid(n) for n in range(1, 21)]  # Alpha is both suppliers
SPLIT_HUBS = [guid(n) for n in range(21, 25)]  # Alpha imports, Beta supplies gas
BETA_HUBS = [guid(n) for n in range(25, 31)]  # Beta is both suppliers
GAMMA_HUB = guid(40)  # Gamma's only hub: on another model, so in no campaign
UNKNOWN = guid(99)


def world() -> World:
    w = World()
    for p in (DCC, ALPHA, BETA, GAMMA):
        w.parties[p.code] = p
    w.region_owners = {r.value: csp for r, csp in CSPS.items()}
    w.releases = {RELEASE.id: RELEASE, NEXT_RELEASE.id: NEXT_RELEASE}
    regions = list(CspRegion)
    for n, g in enumerate(ALPHA_HUBS + SPLIT_HUBS + BETA_HUBS):
        imp = ALPHA.id if g not in BETA_HUBS else BETA.id
        gas = BETA.id if g not in ALPHA_HUBS else ALPHA.id
        w.hubs[g] = Hub(g, MODEL, OLD, regions[n % 3].value, imp, gas)
    w.hubs[ALPHA_HUBS[0]].pilot_excluded = True
    w.hubs[ALPHA_HUBS[1]].production_proving = True
    w.hubs[GAMMA_HUB] = Hub(GAMMA_HUB, "Other-1", OLD, "North", GAMMA.id, GAMMA.id)
    return w


def caller(party: Party) -> Caller:
    return party.as_caller()


def a_campaign(
    uow: FakeUnitOfWork, clock: FakeClock, *, with_pilot: bool = True, release_id: int = 1
) -> str:
    """Notify a campaign for the release through the use case; its ID."""
    view = campaigns.create_campaign(
        uow,
        clock,
        caller=caller(DCC),
        spec=campaigns.NewCampaign(release_id=release_id, with_pilot=with_pilot),
        reason="approved on the CPL",
    )
    return view.campaign.campaign_id


def header(party: Party, sr: ServiceReference, counter: int) -> RequestHeader:
    """An sr:Header from `party` to DCC with this counter (X3)."""
    return RequestHeader(
        request_id=f"{party.code}:{DCC.code}:{counter}",
        originator=UserId(party.code),
        target=UserId(DCC.code),
        counter=counter,
        command_variant=1,
        service_reference=sr,
        service_reference_variant=sr,
    )
