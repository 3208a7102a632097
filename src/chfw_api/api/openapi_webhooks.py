"""The alert contract as OpenAPI 3.1 `webhooks`: what a supplier's endpoint receives.

One entry per DCC Alert code (N63, N70-N83) and one for the batched form (`sr:AlertBatch`),
each with the Standard Webhooks headers and `traceparent`, the XML body's schema (our XSD
element, by name), an example rendered by the real renderer (`duis/alerts.py`, validated as it
renders), and what the endpoint's answer means (2xx acknowledges, 410 disables, `Retry-After`
is honoured). docs/delivery.md is the prose; this is the machine-readable form, drift-checked
with the rest of the document (`chfw openapi --check`).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import UTC, datetime
from typing import Any

from chfw_api.domain import alerts as a
from chfw_api.domain.alert_envelope import AlertEnvelope
from chfw_api.duis.alerts import ALERT_ELEMENTS, render_alert, render_batch

DCC = "90-B3-D5-1F-30-00-00-02"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
XSD = "schemas/chfw-duis.xsd (DCC Alert bodies: schemas/chfw-alerts.xsd)"
XML = "application/xml"
# Example values by field name where the type alone does not say what is valid.
_BY_NAME: dict[str, object] = {
    "guid": "00-1D-A5-00-00-00-00-2A",
    "guids": ("00-1D-A5-00-00-00-00-2A", "00-1D-A5-00-00-00-00-2B"),
    "campaign_id": "CMP-000001",
    "superseded_by": "CMP-000002",
    "firmware_version": "0100A2F3",
    "version": "0100A2F3",
    "superseding_version": "0100A2F4",
    "manufacturer": "Kelvin Cellular",
    "model": "KC-200",
    "reason_code": "F01",
    "instruction_id": "INS-000001",
    "incident_id": "INC-000001",
    "report_id": "RPT-000001",
    "fetch_reference": "/api/v1/reports/RPT-000001",
}


def _sample(kind: Any, name: str) -> Any:
    """A valid example value of `kind` for a field called `name`."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(k for k in typing.get_args(kind) if k is not type(None)), name)
    if origin is tuple:
        return (_sample(typing.get_args(kind)[0], name.removesuffix("s")),)
    if isinstance(kind, type):
        if issubclass(kind, enum.Enum):
            return next(iter(kind))
        if dataclasses.is_dataclass(kind):
            return _build(kind)
        if kind is bool:
            return False
        if kind is int:
            return 1
        if kind is datetime:
            return AT
    return "Example"


def _build(kind: type) -> Any:
    hints = typing.get_type_hints(kind)
    values = {f.name: _sample(hints[f.name], f.name) for f in dataclasses.fields(kind)}
    return kind(**values)


def _envelope(message: a.AlertMessage, counter: int) -> AlertEnvelope:
    return AlertEnvelope.of(f"{DCC}:{SUPPLIER}:{counter}", SUPPLIER, AT, message)


def _headers() -> list[dict[str, Any]]:
    def header(name: str, description: str, pattern: str, required: bool = True) -> dict[str, Any]:
        return {
            "name": name,
            "in": "header",
            "required": required,
            "description": description,
            "schema": {"type": "string", "pattern": pattern},
        }

    return [
        header(
            "webhook-id",
            "The alert's ResponseID (DCC User ID:recipient:counter), or `batch_` + 32 hex digits "
            "for a batch; the same on every retry and replay: dedupe on it.",
            r"^([0-9A-F-]{23}:[0-9A-F-]{23}:[0-9]{1,20}|batch_[0-9a-f]{32})$",
        ),
        header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed, at most 30 s before it was sent (fresh "
            "on each retry).",
            r"^[0-9]{1,12}$",
        ),
        header(
            "webhook-signature",
            "Standard Webhooks: `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`; two, "
            "space-separated, while a secret rotation overlaps.",
            r"^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)?$",
        ),
        header(
            "traceparent",
            "W3C Trace Context of the Service Request or event that raised the alert (absent "
            "when DCC does not trace it); quote it to the DCC service desk.",
            r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            required=False,
        ),
    ]


def _responses() -> dict[str, Any]:
    retry_after = {
        "Retry-After": {
            "description": "seconds or an HTTP date: the next attempt comes no sooner "
            "(capped at a day)",
            "schema": {"type": "string"},
        }
    }
    return {
        "2XX": {"description": "Acknowledged: the alert is delivered and never sent again."},
        "410": {
            "description": "Gone: DCC disables the endpoint and dead-letters its pending "
            "alerts; re-enable it and replay them (docs/delivery.md)."
        },
        "429": {"description": "Retried, no sooner than Retry-After.", "headers": retry_after},
        "503": {"description": "Retried, no sooner than Retry-After.", "headers": retry_after},
        "default": {
            "description": "Any other answer, a 3xx (never followed), a timeout or no "
            "connection: retried on the schedule (about a day), then a dead letter. 408, 429, "
            "5xx and connection failures hold back the endpoint's other queued alerts too."
        },
    }


def _operation(code: str, summary: str, element: str, example: bytes) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"webhook_{code}",
            "summary": summary,
            "description": f"DCC Alert {code} as a signed webhook (docs/delivery.md). The body "
            f"is the alert document, byte-identical on every attempt; its XSD element is "
            f"`{element}`.",
            "tags": ["webhooks"],
            "parameters": _headers(),
            "requestBody": {
                "required": True,
                "content": {
                    XML: {
                        "schema": {
                            "type": "string",
                            "contentMediaType": XML,
                            "x-xsd": XSD,
                            "x-xsd-element": element,
                        },
                        "example": example.decode(),
                    }
                },
            },
            "responses": _responses(),
        }
    }


def webhooks() -> dict[str, Any]:
    """The `webhooks` section: N63, N70-N83 in code order, then `batch`."""
    section: dict[str, Any] = {}
    samples = []
    for counter, kind in enumerate(a.ALERT_TYPES, start=1):
        envelope = _envelope(_build(kind), counter)
        samples.append(envelope)
        doc = (kind.__doc__ or kind.__name__).strip().splitlines()[0]
        section[kind.code] = _operation(
            kind.code,
            doc,
            f"sr:Response / sr:DCCAlertMessage / sr:DCCAlert / sr:{ALERT_ELEMENTS[kind]}",
            render_alert(envelope),
        )
    section["batch"] = _operation(
        "batch",
        "Several alerts in one POST (an endpoint's batch_size > 1)",
        "sr:AlertBatch (each child an alert's sr:Response, with its own ResponseID)",
        render_batch(samples[1:3]),
    )
    return section


def add_webhooks(doc: dict[str, Any]) -> dict[str, Any]:
    doc["webhooks"] = webhooks()
    tags = doc.setdefault("tags", [])
    if not any(t.get("name") == "webhooks" for t in tags):
        tags.append(
            {
                "name": "webhooks",
                "description": "DCC Alerts POSTed to a Service User's endpoints (subscribe "
                "with POST /api/v1/webhooks/endpoints).",
            }
        )
    return doc
