"""The alert contract in the published OpenAPI document (#15): one webhook per alert code and
the batched form, each example rendered by the real renderer and valid against our XSD."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from chfw_api.api.openapi_webhooks import webhooks
from chfw_api.domain.alerts import ALERT_TYPES
from chfw_api.duis.schema import validate

PUBLISHED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_one_entry_per_alert_code_and_the_batch() -> None:
    codes = [t.code for t in ALERT_TYPES]
    assert codes == ["N63", *(f"N{n}" for n in range(70, 84))]
    assert list(webhooks()) == [*codes, "batch"]


def test_each_entry_has_the_headers_the_example_and_the_acknowledgement_semantics() -> None:
    for name, item in webhooks().items():
        post = item["post"]
        headers = {p["name"]: p for p in post["parameters"] if p["in"] == "header"}
        assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature",
                                "traceparent"}, name  # fmt: skip
        assert not headers["traceparent"]["required"] and headers["webhook-id"]["required"]
        assert {"2XX", "410", "429", "503", "default"} <= set(post["responses"])
        assert "Retry-After" in post["responses"]["503"]["headers"]
        content = post["requestBody"]["content"]["application/xml"]
        assert content["schema"]["x-xsd-element"].startswith("sr:")
        document = etree.fromstring(content["example"].encode())
        validate(document)  # the real renderer's output, valid against schemas/
        expected = "AlertBatch" if name == "batch" else "Response"
        assert etree.QName(document).localname == expected
        if name != "batch":
            assert f"<sr:DCCAlertCode>{name}</sr:DCCAlertCode>" in content["example"]


def test_the_checked_in_document_carries_them() -> None:
    published = json.loads(PUBLISHED.read_text())
    assert published["openapi"].startswith("3.1")
    assert list(published["webhooks"]) == list(webhooks())
