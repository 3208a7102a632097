"""Refused mutations whose bodies are files or certificates rather than JSON: the inventory
CSV import (all or nothing), the CSP uploads (XML or CSV), and PEM signing certificates."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from chfw_api.domain.identifiers import guid_from_int
from tests.integration.conftest import DCC_ID, SUPPLIER_B, csv_body, hub_line
from tests.integration.refusal_json import (
    CAMPAIGN,
    CSP,
    DCC,
    V1,
    Call,
    JsonKind,
    Op,
    _campaigns,
)
from tests.integration.refusal_world import SUPPLIER_E, UNKNOWN_GUID, World


def _csv_import_with_a_bad_row(w: World) -> st.SearchStrategy[Call]:
    """Good rows (new hubs, and existing ones changed) with one bad row among them: the whole
    file is refused, nothing imported (all or nothing)."""
    existing = w.pilot.a_only + w.launch.b_only
    good = st.one_of(
        st.integers(2**40, 2**41).map(lambda n: hub_line(guid_from_int(n))),
        st.sampled_from(existing).map(lambda g: hub_line(g, importer=SUPPLIER_B, model="KC-200")),
    )
    bad = st.sampled_from([
        hub_line("00-11-22"), hub_line(UNKNOWN_GUID, status="Broken"),
        hub_line(UNKNOWN_GUID, importer="90-B3-D5-1F-30-09-09-09"),
        hub_line(UNKNOWN_GUID, firmware="GGGG"), hub_line(UNKNOWN_GUID, region="Mars"),
        "00-00-00-00-00-00-00-02,Kelvin Cellular,KC-200", hub_line(existing[0]),
    ])  # fmt: skip

    def build(rows: list[str], row: str, at: int) -> Call:
        lines = list(rows)
        if row == hub_line(existing[0]):
            lines.append(hub_line(existing[0]))  # a GUID twice in one file
        lines.insert(at % (len(lines) + 1), row)
        return IMPORT.call(w, body=csv_body(*lines), note=row)

    return st.builds(build, st.lists(good, min_size=1, max_size=5), bad, st.integers(0, 10))


IMPORT = Op("POST", f"{V1}/inventory/imports", DCC, DCC_ID,
            body=lambda w: csv_body(hub_line(w.pilot.a_only[0])), media="text/csv")  # fmt: skip
UPLOAD_CSV = "DeviceID\n{}\n"
SCHEDULE_CSV = "PeriodStart,PeriodEnd,GroupLabel,DeviceID\n{},{},w1,{}\n"


def _upload(path: str, body: Any, *illegal: str) -> tuple[Op, list[JsonKind]]:
    op = Op("POST", f"{V1}/csp/campaigns/{{campaign_id}}/{path}", CSP, "CSP-C",
            lambda w: {"campaign_id": getattr(w, illegal[0]).campaign_id}, body, CAMPAIGN,
            media="text/csv")  # fmt: skip
    malformed = st.sampled_from([
        (b"<sr:Oops", "application/xml"), (b"\xff\xfe", "text/csv"), (b"Device\nx\n", "text/csv"),
        (b"{}", "application/json"), (b"<a/>", "application/xml"),
    ])  # fmt: skip
    return op, [
        JsonKind("wrong-stage", op, lambda w: _campaigns(w, *illegal).map(
            lambda c: op.call(w, params={"campaign_id": c}, note=c)), frozenset({409})),
        JsonKind("malformed", op, lambda w: malformed.map(
            lambda m: op.call(w, params={"campaign_id": w.pilot.campaign_id}, body=m[0],
                              media=m[1], note=m[0].decode("latin-1"))), frozenset({415, 422})),
    ]  # fmt: skip


def _garbage_pem() -> st.SearchStrategy[str]:
    return st.binary(min_size=1, max_size=64).map(
        lambda b: f"-----BEGIN CERTIFICATE-----\n{b.hex()}\n-----END CERTIFICATE-----\n"
    )


def _certificates(cert: Op, parties: Op) -> list[JsonKind]:
    """Garbage under a PEM header, for a supplier that signs nothing else in the world (E)."""
    return [
        JsonKind("not-a-certificate", cert, lambda w: _garbage_pem().map(lambda pem: cert.call(
            w, params={"code": SUPPLIER_E}, body={"certificate_pem": pem})), frozenset({422})),
        JsonKind("not-a-certificate", parties, lambda w: _garbage_pem().map(
            lambda pem: parties.call(w, body={
                "kind": "supplier", "code": "90-B3-D5-1F-30-0B-00-00", "name": "Signed",
                "roles": ["IS"], "signing_certificate_pem": pem})), frozenset({422})),
    ]  # fmt: skip
