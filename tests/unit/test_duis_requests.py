"""Service Request bodies map to typed commands; header problems that need no database are
refused with their own DUIS-style code, and a 50,000-GUID instruction maps quickly."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.identifiers import guid_from_int, parse_guid
from chfw_api.domain.parties import CspRegion
from chfw_api.domain.releases import Severity
from chfw_api.domain.service_requests import (
    COMMAND_TYPES,
    InstructDeployment,
    PilotSelectionRules,
    RaiseIncident,
    ReadDashboard,
    ReadFirmwareStatus,
    RequestHeader,
    ScheduleEntry,
    ServiceReference,
    SubmitPreferredPilotList,
    SubmitPreferredPilotSchedule,
    normalise_guids,
)
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis import NS_SR, XmlRejected, parse_request
from chfw_api.duis.codes import CODES
from chfw_api.duis.errors import NOT_WELL_FORMED, SCHEMA_INVALID
from chfw_api.duis.requests import (
    BAD_DATETIME,
    BODY_ELEMENTS,
    INVALID_COMMAND_VARIANT,
    REFERENCE_MISMATCH,
    SEQUENCING_NOT_SUPPORTED,
    WRONG_TARGET,
    map_request,
    read_request,
    sniff_header,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
DCC = "90-B3-D5-1F-30-00-00-02"
MAX_COUNTER = 2**64 - 1


def request(
    body: str,
    *,
    sr: str = "11.9",
    variant: str | None = None,
    command_variant: int = 8,
    request_id: str | None = None,
    extra_header: str = "",
) -> bytes:
    rid = request_id or f"{SUPPLIER}:{DCC}:1"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="{NS_SR}" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{rid}</sr:RequestID>{extra_header}
    <sr:CommandVariant>{command_variant}</sr:CommandVariant>
    <sr:ServiceReference>{sr}</sr:ServiceReference>
    <sr:ServiceReferenceVariant>{variant or sr}</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body>{body}</sr:Body>
</sr:Request>""".encode()


def refused(data: bytes, **kwargs: str) -> XmlRejected:
    with pytest.raises(XmlRejected) as info:
        read_request(data, **kwargs)  # type: ignore[arg-type]
    assert info.value.code in CODES
    assert info.value.reason
    return info.value


def instruction(device_ids: str, *, when: str = "2025-05-01T02:00:00Z") -> str:
    return (
        "<sr:InstructCHFirmwareDeployment><sr:CampaignID>C-1</sr:CampaignID>"
        "<sr:Stage>Pilot</sr:Stage>"
        f"<sr:RequestedActivationDateTime>{when}</sr:RequestedActivationDateTime>"
        f"{device_ids}</sr:InstructCHFirmwareDeployment>"
    )


# ------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("sr-*.xml")), ids=lambda p: p.stem)
def test_every_example_maps_to_its_command(path: Path) -> None:
    # covers: A04, A05, BR2.2, BR3.1, BR5.3, BR5.5, BR6.2
    command = read_request(path.read_bytes(), dcc_user_id=DCC)
    reference = ServiceReference(path.stem.split("-")[1])
    assert type(command) is COMMAND_TYPES[reference]
    header = command.header
    assert (header.originator, header.target, header.command_variant) == (SUPPLIER, DCC, 8)
    assert header.service_reference is header.service_reference_variant is reference
    assert header.request_id == f"{SUPPLIER}:{DCC}:{header.counter}"


def test_example_contents_are_carried_into_the_commands() -> None:
    # covers: BR2.2, BR3.8, BR6.2, DD01
    def example(sr: str) -> object:
        (path,) = EXAMPLES.glob(f"sr-{sr}-*.xml")
        return read_request(path.read_bytes())

    pilot = example("11.5")
    assert isinstance(pilot, SubmitPreferredPilotList) and pilot.guids is None
    assert pilot.rules == PilotSelectionRules(
        percentage=Decimal("2.5"),
        regions=(CspRegion.NORTH,),
        models=("CH-DUAL-2",),
        exclude=(parse_guid("00-DB-12-34-56-78-90-A0"),),
        seed=20250101,
    )
    schedule = example("11.6")
    assert isinstance(schedule, SubmitPreferredPilotSchedule)
    (entry,) = schedule.entries
    assert entry == ScheduleEntry(
        start=datetime(2025, 3, 3, 8, tzinfo=UTC),
        end=datetime(2025, 3, 7, 18, tzinfo=UTC),
        label="North week 1",
        guids=normalise_guids(["00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-A2"]),
        constraints=("WEEKDAYS-ONLY",),
    )
    instruct = example("11.7")
    assert isinstance(instruct, InstructDeployment)
    assert instruct.stage is DeploymentKind.SAFE_LAUNCH and instruct.dry_run
    assert instruct.guids == ("00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-A3")  # upper-cased
    assert not instruct.all_eligible
    status = example("11.8")
    assert isinstance(status, ReadFirmwareStatus)
    assert (status.campaign_id, status.status, status.guids, status.report_id) == (
        "CH-2025-001",
        "Activated",
        None,
        None,
    )
    dashboard = example("11.9")
    assert isinstance(dashboard, ReadDashboard) and dashboard.campaign_id is None
    incident = example("11.10")
    assert isinstance(incident, RaiseIncident)
    assert incident.severity is Severity.CRITICAL and incident.emergency_stop
    assert incident.guids == ("00-DB-12-34-56-78-90-A1",)


def test_other_body_shapes_map_too() -> None:
    # covers: BR2.2, BR3.8, BR5.3
    rules = read_request(
        request(
            "<sr:SubmitPreferredPilotList><sr:CampaignID>C-1</sr:CampaignID><sr:SelectionRules>"
            "<sr:HubCount>250</sr:HubCount></sr:SelectionRules></sr:SubmitPreferredPilotList>",
            sr="11.5",
        )
    )
    assert isinstance(rules, SubmitPreferredPilotList) and rules.rules is not None
    assert (rules.rules.hub_count, rules.rules.percentage, rules.rules.seed) == (250, None, None)
    every = read_request(request(instruction("<sr:AllEligible/>"), sr="11.7"))
    assert isinstance(every, InstructDeployment)
    assert every.all_eligible and every.guids is None and not every.dry_run
    by_id = read_request(
        request("<sr:ReadCHFirmwareStatus><sr:ReportID>R-9</sr:ReportID></sr:ReadCHFirmwareStatus>",
                sr="11.8")
    )  # fmt: skip
    assert isinstance(by_id, ReadFirmwareStatus) and by_id.report_id == "R-9"
    one = read_request(
        request("<sr:ReadCHFirmwareDashboard><sr:CampaignID> C-7 </sr:CampaignID>"
                "</sr:ReadCHFirmwareDashboard>")
    )  # fmt: skip
    assert isinstance(one, ReadDashboard) and one.campaign_id == "C-7"


# ----------------------------------------------------------------------------- the header


@pytest.mark.parametrize("variant", [1, 2, 3, 4, 5, 6, 7, 9])
def test_a_command_variant_other_than_8_is_duis_e12(variant: int) -> None:
    # covers: X5
    error = refused(request("<sr:ReadCHFirmwareDashboard/>", command_variant=variant))
    assert error.code == INVALID_COMMAND_VARIANT == "E12"
    assert f"Command Variant {variant}" in error.reason and "use 8" in error.reason


@pytest.mark.parametrize(
    ("sr", "variant"), [("11.5", "11.5"), ("11.9", "11.5"), ("11.5", "11.9"), ("11.10", "11.1")]
)
def test_service_reference_variant_and_body_must_agree(sr: str, variant: str) -> None:
    # covers: X5
    body = "<sr:ReadCHFirmwareDashboard/>"
    if variant == "11.1":  # not one of ours at all: the schema refuses it first
        assert refused(request(body, sr=sr, variant=variant)).code == SCHEMA_INVALID
        return
    error = refused(request(body, sr=sr, variant=variant))
    assert error.code == REFERENCE_MISMATCH == "E110007"
    assert "ReadCHFirmwareDashboard" in error.reason and "11.9" in error.reason


@pytest.mark.parametrize(
    "extra",
    [
        "<sr:FirstInSequence>true</sr:FirstInSequence>",
        f"<sr:PrecedingServiceRequestID>{SUPPLIER}:{DCC}:1</sr:PrecedingServiceRequestID>",
    ],
)
def test_sequencing_is_refused_not_ignored(extra: str) -> None:
    # covers: X5
    error = refused(request("<sr:ReadCHFirmwareDashboard/>", extra_header=extra))
    assert error.code == SEQUENCING_NOT_SUPPORTED


@pytest.mark.parametrize(
    ("when", "why"),
    [("2025-05-01T02:00:00", "no time zone"), ("10000-01-01T00:00:00Z", "years 1 to 9999")],
)
def test_a_date_time_must_have_a_time_zone_and_fit(when: str, why: str) -> None:
    # covers: X5
    error = refused(request(instruction("<sr:AllEligible/>", when=when), sr="11.7"))
    assert error.code == BAD_DATETIME and why in error.reason and when in error.reason


def test_offsets_are_kept_as_aware_times() -> None:
    data = request(instruction("<sr:AllEligible/>", when="2025-05-01T03:00:00+01:00"), sr="11.7")
    command = read_request(data)
    assert isinstance(command, InstructDeployment)
    assert command.requested_activation_at == datetime(2025, 5, 1, 2, tzinfo=UTC)


def test_target_must_be_the_dcc_when_the_caller_says_who_that_is() -> None:
    # covers: X2
    data = request("<sr:ReadCHFirmwareDashboard/>")
    assert read_request(data, dcc_user_id=DCC.lower()).header.target == DCC
    error = refused(data, dcc_user_id="90-B3-D5-1F-30-00-00-09")
    assert error.code == WRONG_TARGET and DCC in error.reason


@pytest.mark.parametrize(("counter", "ok"), [(1, True), (MAX_COUNTER, True), (0, False),
                                             (MAX_COUNTER + 1, False)])  # fmt: skip
def test_request_id_counter_is_1_to_2_pow_64_minus_1(counter: int, ok: bool) -> None:
    # covers: X3 -- the counter that replay protection compares must be in range
    data = request("<sr:ReadCHFirmwareDashboard/>", request_id=f"{SUPPLIER}:{DCC}:{counter}")
    if ok:
        assert read_request(data).header.counter == counter
    else:
        assert refused(data).code == SCHEMA_INVALID


def test_user_ids_are_upper_cased_and_the_request_id_echoed_as_sent() -> None:
    rid = f"{SUPPLIER.lower()}:{DCC.lower()}:42"
    header = read_request(request("<sr:ReadCHFirmwareDashboard/>", request_id=rid)).header
    assert (header.originator, header.target, header.counter) == (SUPPLIER, DCC, 42)
    assert header.request_id == rid


def test_unreadable_bodies_keep_the_parser_codes() -> None:
    # covers: X5
    assert refused(b"<sr:Request").code == NOT_WELL_FORMED
    assert refused(request("<sr:Nonsense/>")).code == SCHEMA_INVALID


def test_map_request_takes_only_a_request() -> None:
    root = parse_request(request("<sr:ReadCHFirmwareDashboard/>"))
    with pytest.raises(TypeError):
        map_request(root[0])
    assert set(BODY_ELEMENTS.values()) == set(ServiceReference)


# ---------------------------------------------------------------------------- large lists


def test_an_instruction_of_50000_guids_maps_exactly_and_quickly() -> None:
    # covers: BR3.7 -- a safe-launch batch of 50,000+ GUIDs, any case, order and repeats kept
    guids = [guid_from_int(i * 7_919 + 11) for i in range(50_000)]
    guids[-1] = guids[0]  # a repeat is the supplier's mistake to be told about, not hidden
    listed = "".join(f"<sr:DeviceID> {g.lower()} </sr:DeviceID>" for g in guids)
    root = parse_request(request(instruction(f"<sr:DeviceIDList>{listed}</sr:DeviceIDList>"),
                                 sr="11.7"))  # fmt: skip
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        command = map_request(root)
        best = min(best, time.perf_counter() - start)
    assert isinstance(command, InstructDeployment)
    assert command.guids == tuple(guids)
    assert best < 0.15, f"mapping 50,000 GUIDs took {best * 1000:.0f} ms"


# ------------------------------------------------------------------ domain invariants


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.booleans())
def test_bulk_normalisation_agrees_with_one_by_one(values: list[int], lower: bool) -> None:
    texts = [guid_from_int(v).lower() if lower else guid_from_int(v) for v in values]
    assert normalise_guids(texts) == tuple(parse_guid(t) for t in texts)


@pytest.mark.parametrize(
    "bad",
    [
        ["00-DB-12-34-56-78-90-A0\n00-DB-12-34-56-78-90-A1"],  # one item hiding two
        ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90"],
        ["00:DB:12:34:56:78:90:A0"],
        ["00-DB-12-34-56-78-90-AG"],
    ],
)
def test_bulk_normalisation_names_the_bad_guid(bad: list[str]) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalise_guids(bad)
    assert repr(bad[-1]) in info.value.detail


def test_commands_keep_their_invariants() -> None:
    header = RequestHeader.parse(
        f"{SUPPLIER}:{DCC}:7",
        command_variant=8,
        service_reference=ServiceReference.INSTRUCT_DEPLOYMENT,
        service_reference_variant=ServiceReference.INSTRUCT_DEPLOYMENT,
    )
    when = datetime(2025, 5, 1, tzinfo=UTC)
    ok = InstructDeployment(
        header, "C", DeploymentKind.PILOT, when, guids=normalise_guids(["00-DB-12-34-56-78-90-A0"])
    )
    assert ok.guids == ("00-DB-12-34-56-78-90-A0",)
    with pytest.raises(InvalidIdentifier):
        InstructDeployment(
            header,
            "C",
            DeploymentKind.PILOT,
            when,
            guids=("00-db-12-34-56-78-90-a0",),  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="time zone"):
        InstructDeployment(
            header, "C", DeploymentKind.PILOT, when.replace(tzinfo=None), all_eligible=True
        )
    with pytest.raises(ValueError, match="not both"):
        InstructDeployment(header, "C", DeploymentKind.PILOT, when, guids=(), all_eligible=True)
    with pytest.raises(ValueError, match=r"is SR 11\.9"):
        ReadDashboard(header)
    with pytest.raises(ValueError, match="not both"):
        PilotSelectionRules(hub_count=1, percentage=Decimal(1))
    with pytest.raises(ValueError, match="percentage"):
        PilotSelectionRules(percentage=Decimal(101))
    with pytest.raises(InvalidIdentifier, match="counter"):
        RequestHeader(f"{SUPPLIER}:{DCC}:0", SUPPLIER, DCC, 0, 8,  # type: ignore[arg-type]
                      header.service_reference, header.service_reference)  # fmt: skip
    with pytest.raises(InvalidIdentifier, match="originator"):
        RequestHeader.parse(f"nobody:{DCC}:1", command_variant=8,
                            service_reference=ServiceReference.READ_DASHBOARD,
                            service_reference_variant=ServiceReference.READ_DASHBOARD)  # fmt: skip


def test_the_minor_number_names_the_request_specific_codes() -> None:
    assert [sr.minor for sr in ServiceReference] == [5, 6, 7, 8, 9, 10]


# --------------------------------------------------------------------- answering the broken


def test_sniffing_finds_what_an_error_response_can_echo() -> None:
    broken = request("<sr:ReadCHFirmwareDashboard>", sr="11.10")  # not well-formed
    assert sniff_header(broken) == (f"{SUPPLIER}:{DCC}:1", ServiceReference.RAISE_INCIDENT)
    assert sniff_header(b"garbage") == (None, None)
    odd = request("<x/>", request_id=f"{SUPPLIER}:{DCC}:{MAX_COUNTER + 1}")
    assert sniff_header(odd)[0] is None  # not echoable: it would not validate
    assert sniff_header(request("<x/>", request_id="<b>"))[0] is None
