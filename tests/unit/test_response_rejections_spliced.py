"""A refusal naming many GUIDs is written without building a tree element per GUID (#12.5):
past `TREE_REJECTIONS` the rejected devices are written as text at a marker. The bytes are the
ones the whole tree gives, and the document is valid against our schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.service_request_results import (
    GuidReason,
    GuidRejection,
    InstructionResult,
    Rejection,
)
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.duis import responses
from chfw_api.duis.schema import validate

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SR = ServiceReference.INSTRUCT_DEPLOYMENT
Q = "90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-00:7"
R = "90-B3-D5-1F-30-00-00-00:90-B3-D5-1F-30-01-00-00:7"


def _rejections(n: int) -> tuple[GuidRejection, ...]:
    reasons = [(GuidReason.UNKNOWN, "not in the inventory"),
               (GuidReason.DUPLICATE, "named <twice> & that is that"),
               (GuidReason.NOT_RESPONSIBLE, "bad \x01 char")]  # fmt: skip
    return tuple(GuidRejection(guid_from_int(i), *reasons[i % len(reasons)]) for i in range(n))


def _whole_tree(result: InstructionResult | Rejection) -> bytes:
    element = responses.response_element(
        result, service_reference=SR, response_id=R, at=AT, request_id=Q
    )
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("kind", ["instruction", "refusal"])
def test_spliced_rejections_are_the_bytes_of_the_whole_tree(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR5.2
    monkeypatch.setattr(responses, "TREE_REJECTIONS", 4)
    rejected = _rejections(11)
    result: InstructionResult | Rejection = (
        InstructionResult(dry_run=True, accepted=3, rejected=rejected)
        if kind == "instruction"
        else Rejection(code="E110707", reason="no hub taken", rejected=rejected)
    )
    spliced = responses.render_response(
        result, service_reference=SR, response_id=R, at=AT, request_id=Q
    )
    assert b"chfw-rejected-devices" not in spliced
    assert spliced == _whole_tree(result)
    root = etree.fromstring(spliced)
    validate(root)
    devices = root.findall(".//{*}RejectedDevice/{*}DeviceID")
    assert [d.text for d in devices] == [r.guid for r in rejected]


def test_a_few_rejections_stay_in_the_tree() -> None:
    result = InstructionResult(dry_run=True, accepted=1, rejected=_rejections(3))
    rendered = responses.render_response(
        result, service_reference=SR, response_id=R, at=AT, request_id=Q
    )
    assert rendered == _whole_tree(result)
