"""Hostile bodies are refused cheaply: no refused body costs more than ~50 MB of RSS (issue #11:
a 2.3 MB root with 200,000 attributes took ~240 MB and kept it), shape bounds refuse what no
message of ours looks like before a tree is built, and schema validation stops at the first
errors instead of keeping one for every bad value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chfw_api.duis.errors import SCHEMA_INVALID, TOO_DEEP, XmlRejected
from chfw_api.duis.parser import parse_request
from chfw_api.duis.shape import MAX_ATTRIBUTES, check_shape
from chfw_api.duis.stream_validation import MAX_PROBLEMS

BENCH = Path(__file__).resolve().parents[2] / "bench" / "hostile_xml.py"
SR = 'xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"'
HEADER = (
    "<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
    "<sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.7</sr:ServiceReference>"
    "<sr:ServiceReferenceVariant>11.7</sr:ServiceReferenceVariant></sr:Header>"
)


FIRST_GUID_LINE = 5


def instruction(device_ids: str) -> bytes:
    """An 11.7 with one GUID a line from line `FIRST_GUID_LINE`, if `device_ids` has one a line."""
    return (
        f'<sr:Request {SR} schemaVersion="5.4">\n{HEADER}\n<sr:Body>'
        "<sr:InstructCHFirmwareDeployment><sr:CampaignID>CMP-000001</sr:CampaignID>"
        "<sr:Stage>SafeLaunch</sr:Stage>"
        "<sr:RequestedActivationDateTime>2026-06-01T00:00:00Z</sr:RequestedActivationDateTime>\n"
        f"<sr:DeviceIDList>\n{device_ids}</sr:DeviceIDList>"
        "</sr:InstructCHFirmwareDeployment></sr:Body></sr:Request>"
    ).encode()


def refused(body: bytes) -> XmlRejected:
    with pytest.raises(XmlRejected) as caught:
        parse_request(body)
    return caught.value


# ------------------------------------------------------------------- RSS, in a child process

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="peak RSS is read from Linux /proc"
)


def measured(shape: str, size: int) -> dict[str, object]:
    """The bench's own measurement of one body, in a fresh process (peak and held RSS)."""
    out = subprocess.run(
        [sys.executable, str(BENCH), "--one", shape, "--bytes", str(size)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


@needs_proc
def test_the_issue_body_of_200000_attributes_costs_under_50_mb() -> None:
    # covers: X5
    r = measured("attributes", 2_300_000)
    assert r["code"] == SCHEMA_INVALID
    assert float(r["peak_mb"]) < 50, r  # type: ignore[arg-type]
    assert float(r["held_mb"]) < 50, r  # type: ignore[arg-type]


@needs_proc
@pytest.mark.parametrize(
    "shape",
    [
        "namespaces",
        "empty elements",
        "element names",
        "30 attributes each",
        "invalid GUIDs",
        "bad last element",
        "30,000 deep",
    ],
)
def test_no_hostile_shape_of_2_3_mb_costs_50_mb(shape: str) -> None:
    # covers: X5
    r = measured(shape, 2_300_000)
    assert r["code"] != "accepted", r
    assert float(r["peak_mb"]) < 50, r  # type: ignore[arg-type]
    assert float(r["held_mb"]) < 50, r  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ shape bounds


def test_an_element_with_more_attributes_than_the_bound_is_refused_naming_its_line() -> None:
    # covers: X5
    crowded = " ".join(f'a{i}="1"' for i in range(MAX_ATTRIBUTES + 1))
    error = refused(f"<sr:Request {SR}\n\n{crowded}/>".encode())
    assert error.code == SCHEMA_INVALID
    assert f"line 1 has more than {MAX_ATTRIBUTES} attributes" in error.reason
    # At the bound the shape is fine (the schema then has its say).
    check_shape(f"<r {' '.join(f'a{i}=' + chr(34) * 2 for i in range(MAX_ATTRIBUTES))}/>".encode())


def test_namespace_declarations_count_as_attributes() -> None:
    # covers: X5
    crowded = " ".join(f'xmlns:p{i}="urn:{i}"' for i in range(MAX_ATTRIBUTES + 1))
    assert "attributes and namespace declarations" in refused(f"<r {crowded}/>".encode()).reason


def test_equals_signs_in_text_and_values_are_not_taken_for_attributes() -> None:
    # A description full of '=' and values holding '=' and '>' are ordinary content.
    text = "=" * 10_000
    values = " ".join(f'a{i}="x=y>z"' for i in range(8))
    check_shape(f"<r {values}><d>{text}</d><d>{text}</d></r>".encode())


def test_a_quoted_greater_than_sign_does_not_hide_attributes() -> None:
    # covers: X5
    hidden = " ".join(f'a{i}=">"' for i in range(MAX_ATTRIBUTES + 1))
    with pytest.raises(XmlRejected, match="more than 32 attributes"):
        check_shape(f"<r {hidden}/>".encode())


def test_a_flood_of_tiny_elements_is_refused_before_parsing() -> None:
    # covers: X5
    error = refused(f"<sr:Request {SR}>".encode() + b"<a/>" * 50_000 + b"</sr:Request>")
    assert error.code == SCHEMA_INVALID and "elements in" in error.reason


def test_deep_nesting_is_still_too_deep_though_dense() -> None:
    # covers: X5
    assert refused(b"<a>" * 30_000 + b"</a>" * 30_000).code == TOO_DEEP


def test_a_real_sized_instruction_passes_the_shape_bounds() -> None:
    # 250,000 GUIDs, the largest 11.7 the 16 MiB limit is sized for.
    guids = "".join(f"<sr:DeviceID>00-DB-12-34-{i >> 16:02X}-{i >> 8 & 255:02X}-{i & 255:02X}-A0"
                    "</sr:DeviceID>" for i in range(250_000))  # fmt: skip
    check_shape(instruction(guids))


# --------------------------------------------------------------- streaming schema validation


def test_invalid_values_stop_validation_early_naming_the_first_with_line_and_path() -> None:
    # covers: X5
    bad = "".join(f"<sr:DeviceID>00-DB-12-34-56-78-{i % 256:02X}-ZZ</sr:DeviceID>\n"
                  for i in range(100_000))  # fmt: skip
    error = refused(instruction(bad))
    assert error.code == SCHEMA_INVALID
    assert 0 < len(error.problems) <= MAX_PROBLEMS
    first = error.problems[0]
    assert first.line == FIRST_GUID_LINE and first.path is not None
    assert first.path.endswith("DeviceIDList/sr:DeviceID[1]")
    assert error.problems[1].line == FIRST_GUID_LINE + 1
    assert "before reading stopped" in error.reason
    # Reading stopped at the end of the first chunk: far fewer than 100,000 errors counted.
    counted = int(error.reason.split("(and ")[1].split(" more")[0]) + 1
    assert counted < 5_000


def test_an_error_deep_in_a_large_body_is_named_and_the_cut_adds_none_of_its_own() -> None:
    # covers: X5
    good = "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>\n"
    bad = "<sr:DeviceID>00-DB-12-34-56-78-90-ZZ</sr:DeviceID>\n"
    error = refused(instruction(good * 5_000 + bad * 3 + good * 20_000))
    assert [p.line for p in error.problems] == [FIRST_GUID_LINE + 5_000 + i for i in range(3)]
    assert all("pattern" in p.message for p in error.problems)  # no "Missing child" from the cut


def test_the_cut_through_an_entry_reports_no_content_of_its_own_making() -> None:
    # covers: X5
    def entry(end: str) -> str:
        return (
            "<sr:ScheduleEntry><sr:PeriodStart>2026-06-01T00:00:00Z</sr:PeriodStart>"
            f"<sr:PeriodEnd>{end}</sr:PeriodEnd><sr:DeviceIDList>"
            + "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>" * 3
            + "</sr:DeviceIDList><sr:Constraint>C1</sr:Constraint></sr:ScheduleEntry>\n"
        )

    good, bad = entry("2026-06-02T00:00:00Z"), entry("not a date")
    body = (
        f'<sr:Request {SR} schemaVersion="5.4">\n'
        + HEADER.replace("11.7", "11.6")
        + "\n<sr:Body><sr:SubmitPreferredPilotSchedule><sr:CampaignID>CMP-000001</sr:CampaignID>\n"
        + good * 1_000
        + bad
        + good * 1_000
        + "</sr:SubmitPreferredPilotSchedule></sr:Body></sr:Request>"
    ).encode()
    error = refused(body)
    assert [p.line for p in error.problems] == [4 + 1_000], error.problems
    assert "dateTime" in error.problems[0].message


def test_an_error_found_only_at_the_end_of_the_body_is_still_named() -> None:
    # covers: X5
    good = "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>\n" * 3_000
    error = refused(instruction(good + "<sr:Unexpected/>\n"))
    assert error.code == SCHEMA_INVALID
    assert "Unexpected" in error.problems[0].message
    assert error.problems[0].line == FIRST_GUID_LINE + 3_000
    assert error.problems[0].path.endswith("DeviceIDList/sr:Unexpected")  # type: ignore[union-attr]


def test_a_valid_instruction_is_still_accepted() -> None:
    good = "<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>" * 1_000
    root = parse_request(instruction(good))
    assert root.tag.endswith("Request")
