"""Gateway files render valid XML against our schema (chfw-csp.xsd) and read back the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.csp_uploads import UploadKind
from chfw_api.domain.errors import ValidationFailed
from chfw_api.domain.guardrails import Dimension
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis.schema import load_schema
from chfw_api.gateway.uploads import parse_upload_csv, parse_upload_xml
from chfw_api.gateway.xml import (
    FileKind,
    GatewayFile,
    InstructedHub,
    hub_element_xml,
    parse_file,
    render_file,
)

T = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
G1, G2 = "00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"

FILES = [
    GatewayFile(
        FileKind.PREFERRED_PILOT_LIST,
        "CSP-N",
        "CMP-000001",
        T,
        supplier_id=SUPPLIER,
        request_id=f"{SUPPLIER}:90-B3-D5-1F-30-00-00-02:17",
        guids=(G1, G2),
    ),
    GatewayFile(
        FileKind.PREFERRED_PILOT_SCHEDULE,
        "CSP-N",
        "CMP-000001",
        T,
        supplier_id=SUPPLIER,
        periods=(SchedulePeriod(T, T + timedelta(days=2), "wave 1", (G1,)),),
        constraints=("WEEKDAYS-ONLY",),
    ),
    GatewayFile(
        FileKind.INSTRUCTION,
        "CSP-C",
        "CMP-000001",
        T,
        instruction_id="INS-000042",
        stage=DeploymentKind.SAFE_LAUNCH,
        firmware_version="0100A300",
        window_start=T,
        window_end=T + timedelta(days=1),
        hubs=(InstructedHub(G1, T + timedelta(hours=3), "KC-200", "Central"), InstructedHub(G2, T)),
    ),
    GatewayFile(
        FileKind.DECISION,
        "CSP-S",
        "CMP-000001",
        T,
        decision=RolloutDecision.STOP,
        reason="critical fault \x07 found",
    ),
    GatewayFile(
        FileKind.SLICE_PAUSE,
        "CSP-C",
        "CMP-000001",
        T,
        stage=DeploymentKind.PILOT,
        dimension=Dimension.MODEL,
        slice_value="KC-200",
        reason="guardrail: 3 of 5 failed",
        slice_hubs=((G1, T), (G2, None)),
    ),
]


@pytest.mark.parametrize("f", FILES, ids=lambda f: f.kind.value)
def test_every_file_kind_is_valid_against_our_schema_and_reads_back(f: GatewayFile) -> None:
    # covers: A04, A05, DD01, BR3.5, BR6.5
    body = render_file(f)
    schema = load_schema()
    assert schema.validate(etree.fromstring(body)), schema.error_log
    back = parse_file(body)
    assert (back.kind, back.csp_id, back.campaign_id, back.created_at) == (
        f.kind,
        f.csp_id,
        f.campaign_id,
        f.created_at,
    )
    assert back.guids == f.guids and back.hubs == f.hubs and back.periods == f.periods
    assert back.decision == f.decision and back.slice_hubs == f.slice_hubs
    assert back.stage == f.stage and back.dimension == f.dimension


def test_a_schedule_upload_is_read_with_a_location_for_every_entry() -> None:
    ns = "http://www.dccinterface.co.uk/ServiceUserGateway"
    body = (
        f'<sr:CSPSafeLaunchSchedule xmlns:sr="{ns}"><sr:CampaignID>CMP-000001</sr:CampaignID>'
        "<sr:SchedulePeriod><sr:PeriodStart>2026-03-01T00:00:00Z</sr:PeriodStart>"
        "<sr:PeriodEnd>2026-03-02T00:00:00Z</sr:PeriodEnd>"
        f"<sr:DeviceIDList><sr:DeviceID>{G1.lower()}</sr:DeviceID><sr:DeviceID>{G2}</sr:DeviceID>"
        "</sr:DeviceIDList></sr:SchedulePeriod></sr:CSPSafeLaunchSchedule>"
    ).encode()
    raw = parse_upload_xml(
        body, UploadKind.SAFE_LAUNCH_SCHEDULE, campaign_id="CMP-000001", max_bytes=10**6
    )
    [period] = raw.periods
    assert period.start == datetime(2026, 3, 1, tzinfo=UTC)
    assert [t for _, t in period.guids] == [G1.lower(), G2]
    assert period.guids[1][0].startswith("SchedulePeriod[1]/DeviceID[2]")
    with pytest.raises(ValidationFailed):  # a list root is not a schedule
        parse_upload_xml(
            body, UploadKind.DEFAULT_PILOT_LIST, campaign_id="CMP-000001", max_bytes=10**6
        )


def test_csv_uploads_group_rows_into_periods_and_name_bad_lines() -> None:
    text = (
        "PeriodStart,PeriodEnd,GroupLabel,DeviceID\n"
        f"2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,a,{G1}\n"
        f"2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,a,{G2}\n"
        "yesterday,tomorrow,b,00-00-00-00-00-00-00-01\n"
        "too,few\n"
    )
    raw = parse_upload_csv(text, UploadKind.DEFAULT_PILOT_SCHEDULE)
    assert [len(p.guids) for p in raw.periods] == [2, 1]
    assert [p.location for p in raw.problems] == ["line 5", "period 2 (line 4)"]
    with pytest.raises(ValidationFailed):
        parse_upload_csv("guid\nx\n", UploadKind.DEFAULT_PILOT_LIST)


_ODD_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from("&<>\"'\x00\x1f\r\n"),
    max_size=12,
)


@given(
    hubs=st.lists(
        st.builds(
            InstructedHub,
            guid=_ODD_TEXT.filter(bool),  # never empty: ElementTree would write <a />
            planned_at=st.datetimes(timezones=st.just(UTC)),
            model=st.none() | _ODD_TEXT,
            region=st.none() | _ODD_TEXT,
        ),
        max_size=5,
    )
)
def test_instruction_hubs_written_as_text_are_what_elementtree_writes(
    hubs: list[InstructedHub],
) -> None:
    """The fast path for 50,000-hub instructions writes each hub as text: byte for byte what
    the element path writes, whatever the text (escaping, characters XML cannot carry)."""
    f = GatewayFile(
        FileKind.INSTRUCTION,
        "CSP-N",
        "CMP-000001",
        T,
        instruction_id="INS-000001",
        stage=DeploymentKind.SAFE_LAUNCH,
        window_start=T,
        window_end=T,
        hubs=tuple(hubs),
    )
    empty = render_file(replace(f, hubs=()))
    close = b"</sr:DeploymentInstruction>"
    at = empty.rindex(close)
    expected = empty[:at] + "".join(hub_element_xml(h) for h in hubs).encode() + empty[at:]
    assert render_file(f) == expected
