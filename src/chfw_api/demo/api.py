"""The demo's side of the HTTP interfaces: DCC's JSON calls, suppliers' signed XML Service
Requests, CSPs' uploads. Every call checks its status and fails loudly with the body."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from chfw_api.duis.keys import generate_signing_identity
from chfw_api.duis.signer import make_signer, sign_document

NS_SR = "http://www.dccinterface.co.uk/ServiceUserGateway"


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class SrAnswer:
    """An `sr:Response`, read with a few patterns (the demo never parses XML itself)."""

    status: int
    body: str

    @property
    def code(self) -> str:
        return self.text("ResponseCode") or f"HTTP {self.status}"

    def text(self, name: str) -> str | None:
        m = re.search(rf"<sr:{name}>([^<]*)</sr:{name}>", self.body)
        return m.group(1) if m else None

    def number(self, name: str) -> int:
        return int(self.text(name) or 0)


class Api:
    def __init__(self, base_url: str, *, keys: dict[str, str], dcc: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=600.0)
        self.keys = keys
        self.dcc_code = dcc
        self._counters: dict[str, itertools.count[int]] = {}
        self._signers: dict[str, tuple[bytes, bytes]] = {}
        self.calls = 0

    def close(self) -> None:
        self.http.close()

    def _auth(self, party: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[party]}"}

    def call(
        self, party: str, method: str, path: str, *, ok: Iterable[int] = (200, 201), **kw: Any
    ) -> httpx.Response:
        headers = {**self._auth(party), **kw.pop("headers", {})}
        self.calls += 1
        r = self.http.request(method, path, headers=headers, **kw)
        if r.status_code not in tuple(ok):
            raise DemoError(f"{method} {path} as {party}: {r.status_code} {r.text[:2000]}")
        return r

    def dcc(self, method: str, path: str, **kw: Any) -> Any:
        return self.call(self.dcc_code, method, path, **kw).json()

    # -- suppliers: signed Service Requests -------------------------------------------------

    def register_certificate(self, supplier: str, serial: int, now: datetime) -> None:
        """The supplier makes a signing identity; DCC registers its certificate (from then on
        every request of that supplier must be signed)."""
        key, cert = generate_signing_identity(f"demo-{supplier}", serial=serial, now=now)
        self._signers[supplier] = (key, cert)
        make_signer(key, cert)  # checks the pair
        self.dcc(
            "PUT",
            f"/api/v1/parties/{supplier}/certificate",
            json={"certificate_pem": cert.decode()},
        )

    def sr(self, supplier: str, service: str, body: str) -> SrAnswer:
        counter = self._counters.setdefault(supplier, itertools.count(time.time_ns() // 1000))
        document = (
            f'<sr:Request xmlns:sr="{NS_SR}" schemaVersion="5.4"><sr:Header>'
            f"<sr:RequestID>{supplier}:{self.dcc_code}:{next(counter)}</sr:RequestID>"
            "<sr:CommandVariant>8</sr:CommandVariant>"
            f"<sr:ServiceReference>{service}</sr:ServiceReference>"
            f"<sr:ServiceReferenceVariant>{service}</sr:ServiceReferenceVariant>"
            f"</sr:Header><sr:Body>{body}</sr:Body></sr:Request>"
        ).encode()
        if supplier in self._signers:
            document = sign_document(document, *self._signers[supplier])
        r = self.call(
            supplier,
            "POST",
            "/api/v1/serviceD",
            ok=(200, 202, 400, 403, 404, 409, 413, 422),
            headers={"Content-Type": "application/xml"},
            content=document,
        )
        return SrAnswer(r.status_code, r.text)

    # -- CSPs --------------------------------------------------------------------------------

    def csp_upload(self, csp: str, campaign_id: str, kind: str, xml: str) -> dict[str, Any]:
        r = self.call(
            csp,
            "POST",
            f"/api/v1/csp/campaigns/{campaign_id}/{kind}",
            headers={"Content-Type": "application/xml"},
            content=xml.encode(),
        )
        result: dict[str, Any] = r.json()
        return result


# -- Service Request bodies -----------------------------------------------------------------


def device_ids(guids: Iterable[str]) -> str:
    return (
        "<sr:DeviceIDList>"
        + "".join(f"<sr:DeviceID>{g}</sr:DeviceID>" for g in guids)
        + "</sr:DeviceIDList>"
    )


def preferred_list(campaign: str, guids: Iterable[str]) -> str:
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"{device_ids(guids)}</sr:SubmitPreferredPilotList>"
    )


def preferred_rules(campaign: str, *, count: int, seed: int, region: str | None = None) -> str:
    where = f"<sr:CSPRegion>{region}</sr:CSPRegion>" if region else ""
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:SelectionRules><sr:HubCount>{count}</sr:HubCount>{where}<sr:Seed>{seed}</sr:Seed>"
        "</sr:SelectionRules></sr:SubmitPreferredPilotList>"
    )


def preferred_schedule(
    campaign: str, start: datetime, end: datetime, guids: Iterable[str], label: str
) -> str:
    return (
        f"<sr:SubmitPreferredPilotSchedule><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:ScheduleEntry><sr:PeriodStart>{start.isoformat()}</sr:PeriodStart>"
        f"<sr:PeriodEnd>{end.isoformat()}</sr:PeriodEnd><sr:GroupLabel>{label}</sr:GroupLabel>"
        f"{device_ids(guids)}<sr:Constraint>WEEKDAYS-ONLY</sr:Constraint></sr:ScheduleEntry>"
        "</sr:SubmitPreferredPilotSchedule>"
    )


def instruction(
    campaign: str, stage: str, when: datetime, guids: Iterable[str] | None = None
) -> str:
    which = device_ids(guids) if guids is not None else "<sr:AllEligible/>"
    return (
        f"<sr:InstructCHFirmwareDeployment><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:Stage>{stage}</sr:Stage><sr:RequestedActivationDateTime>"
        f"{when.isoformat()}</sr:RequestedActivationDateTime>{which}"
        "</sr:InstructCHFirmwareDeployment>"
    )


def incident(campaign: str, description: str, guids: Iterable[str]) -> str:
    return (
        f"<sr:RaiseCHFirmwareIncident><sr:CampaignID>{campaign}</sr:CampaignID>"
        f"<sr:Severity>High</sr:Severity><sr:Description>{description}</sr:Description>"
        f"{device_ids(named) if (named := list(guids)) else ''}</sr:RaiseCHFirmwareIncident>"
    )


def dashboard() -> str:
    return "<sr:ReadCHFirmwareDashboard/>"


# -- CSP upload bodies ----------------------------------------------------------------------


def csp_list(campaign: str, guids: Iterable[str]) -> str:
    return (
        f'<sr:CSPDefaultPilotList xmlns:sr="{NS_SR}"><sr:CampaignID>{campaign}</sr:CampaignID>'
        f"{device_ids(guids)}</sr:CSPDefaultPilotList>"
    )


def csp_schedule(
    root: str, campaign: str, periods: Iterable[tuple[datetime, datetime, str, list[str]]]
) -> str:
    parts = [f'<sr:{root} xmlns:sr="{NS_SR}"><sr:CampaignID>{campaign}</sr:CampaignID>']
    for start, end, label, guids in periods:
        parts.append(
            f"<sr:SchedulePeriod><sr:PeriodStart>{start.isoformat()}</sr:PeriodStart>"
            f"<sr:PeriodEnd>{end.isoformat()}</sr:PeriodEnd><sr:GroupLabel>{label}"
            f"</sr:GroupLabel>{device_ids(guids)}</sr:SchedulePeriod>"
        )
    parts.append(f"</sr:{root}>")
    return "".join(parts)
