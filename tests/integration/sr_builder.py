"""Building DUIS-style Service Requests for tests, the way a supplier's back office would."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime

from fastapi.testclient import TestClient

DCC = "90-B3-D5-1F-30-00-00-02"
NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}
_counter = itertools.count(1_000_000)


def envelope(originator: str, sr: str, body: str, *, counter: int | None = None) -> bytes:
    n = next(_counter) if counter is None else counter
    return (
        '<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" '
        'schemaVersion="5.4"><sr:Header>'
        f"<sr:RequestID>{originator}:{DCC}:{n}</sr:RequestID>"
        "<sr:CommandVariant>8</sr:CommandVariant>"
        f"<sr:ServiceReference>{sr}</sr:ServiceReference>"
        f"<sr:ServiceReferenceVariant>{sr}</sr:ServiceReferenceVariant>"
        f"</sr:Header><sr:Body>{body}</sr:Body></sr:Request>"
    ).encode()


def ids(guids: Iterable[str]) -> str:
    return (
        "<sr:DeviceIDList>"
        + "".join(f"<sr:DeviceID>{g}</sr:DeviceID>" for g in guids)
        + "</sr:DeviceIDList>"
    )


def pilot_list(campaign: str, guids: Iterable[str]) -> str:
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{campaign}</sr:CampaignID>{ids(guids)}"
        "</sr:SubmitPreferredPilotList>"
    )


def pilot_rules(campaign: str, *, count: int, seed: int, region: str | None = None) -> str:
    where = f"<sr:CSPRegion>{region}</sr:CSPRegion>" if region else ""
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:SelectionRules><sr:HubCount>{count}</sr:HubCount>{where}<sr:Seed>{seed}</sr:Seed>"
        "</sr:SelectionRules></sr:SubmitPreferredPilotList>"
    )


def instruction(
    campaign: str,
    when: datetime,
    guids: Iterable[str] | None = None,
    *,
    stage: str = "SafeLaunch",
    dry_run: bool = False,
) -> str:
    which = ids(guids) if guids is not None else "<sr:AllEligible/>"
    dry = "<sr:DryRun>true</sr:DryRun>" if dry_run else ""
    return (
        f"<sr:InstructCHFirmwareDeployment><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:Stage>{stage}</sr:Stage><sr:RequestedActivationDateTime>"
        f"{when.isoformat()}</sr:RequestedActivationDateTime>{which}{dry}"
        "</sr:InstructCHFirmwareDeployment>"
    )


def schedule(campaign: str, start: datetime, end: datetime, guids: Iterable[str],
             constraint: str = "WEEKDAYS-ONLY") -> str:  # fmt: skip
    return (
        f"<sr:SubmitPreferredPilotSchedule><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:ScheduleEntry><sr:PeriodStart>{start.isoformat()}</sr:PeriodStart>"
        f"<sr:PeriodEnd>{end.isoformat()}</sr:PeriodEnd><sr:GroupLabel>week 1</sr:GroupLabel>"
        f"{ids(guids)}<sr:Constraint>{constraint}</sr:Constraint></sr:ScheduleEntry>"
        "</sr:SubmitPreferredPilotSchedule>"
    )


def status(campaign: str | None = None) -> str:
    inner = f"<sr:CampaignID>{campaign}</sr:CampaignID>" if campaign else ""
    return f"<sr:ReadCHFirmwareStatus>{inner}</sr:ReadCHFirmwareStatus>"


def report(report_id: str) -> str:
    return (
        f"<sr:ReadCHFirmwareStatus><sr:ReportID>{report_id}</sr:ReportID></sr:ReadCHFirmwareStatus>"
    )


def dashboard() -> str:
    return "<sr:ReadCHFirmwareDashboard/>"


def incident(campaign: str, guids: Iterable[str] = (), *, stop: bool = False) -> str:
    devs = ids(guids) if guids else ""
    flag = "<sr:EmergencyStopRequested>true</sr:EmergencyStopRequested>" if stop else ""
    return (
        f"<sr:RaiseCHFirmwareIncident><sr:CampaignID>{campaign}</sr:CampaignID>"
        "<sr:Severity>High</sr:Severity><sr:Description>top-ups failing</sr:Description>"
        f"{devs}{flag}</sr:RaiseCHFirmwareIncident>"
    )


def post(client: TestClient, headers: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    from lxml import etree

    r = client.post(
        "/api/v1/serviceD", headers={**headers, "Content-Type": "application/xml"}, content=data
    )
    assert r.headers["content-type"].startswith("application/xml"), r.text
    return r, etree.fromstring(r.content)


def code(doc) -> str:  # type: ignore[no-untyped-def]
    return str(doc.findtext("sr:Header/sr:ResponseCode", namespaces=NS))


def rejected(doc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        str(e.findtext("sr:DeviceID", namespaces=NS)): str(
            e.findtext("sr:ReasonCode", namespaces=NS)
        )
        for e in doc.iterfind(".//sr:RejectedDevice", NS)
    }
