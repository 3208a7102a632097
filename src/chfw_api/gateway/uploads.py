"""CSP uploads in (A02, A03, A08): XML or CSV read into raw entries, each with its location.

XML goes through the `duis` package's hardened parser and our schema (schemas/chfw-csp.xsd);
CSV through the standard library. Either way every problem is named with where it is (X5), and
the rules that judge the entries live in `domain.csp_uploads`.
"""

from __future__ import annotations

import io

from chfw_api.domain.csp_uploads import RawPeriod, RawUpload, UploadKind
from chfw_api.domain.csv_rows import csv_rows
from chfw_api.domain.errors import Problem, ValidationFailed
from chfw_api.duis import XmlRejected, parse_validated
from chfw_api.gateway.xml import parse_datetime, qname, refused

UPLOAD_ROOTS = {
    UploadKind.DEFAULT_PILOT_LIST: "CSPDefaultPilotList",
    UploadKind.DEFAULT_PILOT_SCHEDULE: "CSPDefaultPilotSchedule",
    UploadKind.SAFE_LAUNCH_SCHEDULE: "CSPSafeLaunchSchedule",
}
MAX_CSV_ROWS = 2_000_000


def parse_upload_xml(
    data: bytes, kind: UploadKind, *, campaign_id: str, max_bytes: int
) -> RawUpload:
    """An XML upload, hardened-parsed and schema-valid, as raw entries with locations."""
    try:
        root = parse_validated(data, qname(UPLOAD_ROOTS[kind]), max_bytes=max_bytes)
    except XmlRejected as exc:
        raise refused(exc) from None
    problems: list[Problem] = []
    named = (root.findtext(qname("CampaignID")) or "").strip()
    if named != campaign_id:
        problems.append(
            Problem(f"names campaign {named!r}, uploaded to {campaign_id}", "CampaignID")
        )
    guid_path = f"{qname('DeviceIDList')}/{qname('DeviceID')}"
    guids = tuple(
        (f"DeviceID[{i}] (line {el.sourceline})", (el.text or "").strip())
        for i, el in enumerate(root.iterfind(guid_path), 1)
    )
    periods = []
    for n, p in enumerate(root.iterfind(qname("SchedulePeriod")), 1):
        where = f"SchedulePeriod[{n}] (line {p.sourceline})"
        start, end = (
            parse_datetime(p.findtext(qname("PeriodStart"))),
            parse_datetime(p.findtext(qname("PeriodEnd"))),
        )
        label = p.findtext(qname("GroupLabel"))
        members = tuple(
            (f"SchedulePeriod[{n}]/DeviceID[{i}] (line {el.sourceline})", (el.text or "").strip())
            for i, el in enumerate(p.iterfind(guid_path), 1)
        )
        periods.append(RawPeriod(start, end, label, members, where))
    if kind.is_schedule:
        guids = ()
    return RawUpload(guids=guids, periods=tuple(periods), problems=tuple(problems))


def parse_upload_csv(text: str, kind: UploadKind) -> RawUpload:
    """A CSV upload. Lists: a `DeviceID` column. Schedules: `PeriodStart,PeriodEnd,GroupLabel,
    DeviceID`, one row per hub; rows sharing start, end and label form one period (C5)."""
    rows = csv_rows(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(rows, (1, []))[1]]
    wanted = ["PeriodStart", "PeriodEnd", "GroupLabel", "DeviceID"] if kind.is_schedule else []
    if kind.is_schedule and header != wanted:
        raise ValidationFailed(
            "bad CSV header", [Problem(f"expected {','.join(wanted)}", "line 1", "header")]
        )
    if not kind.is_schedule and header != ["DeviceID"]:
        raise ValidationFailed("bad CSV header", [Problem("expected DeviceID", "line 1", "header")])
    problems: list[Problem] = []
    guids: list[tuple[str, str]] = []
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for line, row in rows:
        if line > MAX_CSV_ROWS:
            raise ValidationFailed(f"at most {MAX_CSV_ROWS:,} rows per upload")
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(f"expected {len(header)} columns, got {len(row)}", f"line {line}")
            )
            continue
        cells = [c.strip() for c in row]
        if kind.is_schedule:
            groups.setdefault((cells[0], cells[1], cells[2]), []).append((f"line {line}", cells[3]))
        else:
            guids.append((f"line {line}", cells[0]))
    periods = []
    for n, ((start, end, label), members) in enumerate(groups.items(), 1):
        where = f"period {n} ({members[0][0]})"
        s, e = parse_datetime(start), parse_datetime(end)
        if s is None or e is None:
            problems.append(Problem("PeriodStart and PeriodEnd are ISO 8601 date-times", where))
        periods.append(RawPeriod(s, e, label or None, tuple(members), where))
    return RawUpload(guids=tuple(guids), periods=tuple(periods), problems=tuple(problems))
