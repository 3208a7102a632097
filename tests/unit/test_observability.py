"""Observability switches and rules that need no server: tracing off by default and free,
metric families that cannot carry a hub's id, the SR figures read back from the exchange."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from chfw_api.domain.operations import OperationsFigures
from chfw_api.domain.subscriptions import LATENCY_BUCKETS_MS, EndpointStats, EndpointStatus
from chfw_api.observability import logs, metrics, service_requests, tracing

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "chfw.json"
STORED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_tracing_is_on_only_when_an_exporter_is_configured(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing.wanted(environ) is on


def test_off_nothing_is_installed_and_a_stored_context_passes_through() -> None:
    assert not tracing.configure({}, service="chfw-test")
    assert not tracing.enabled()
    assert tracing.current_traceparent() is None and tracing.current_trace_id() is None
    with tracing.delivery("http://x/", "id", [STORED]) as header:
        assert header == STORED  # the supplier can still quote the Service Request's trace
    with tracing.delivery("http://x/", "id", [STORED, None]) as header:
        assert header is None  # a batch mixes traces: the header names none of them
    assert tracing.parse(STORED) is not None and tracing.parse("garbage") is None


def test_families_are_chfw_named_and_never_labelled_by_hub_or_user_id() -> None:
    with pytest.raises(ValueError, match="chfw_"):
        metrics.counter("emails_failed", "x")
    for label in ("guid", "user_id", "device"):
        with pytest.raises(ValueError, match="hub or party"):
            metrics.counter("chfw_rejected_things", "x", [label])


def test_service_request_figures_come_from_the_response_header() -> None:
    request = b"<x:Request><x:Body><x:CampaignID>CMP-000007</x:CampaignID></x:Body></x:Request>"
    response = (
        b"<sr:Response><sr:Header><sr:RequestID>A:B:7</sr:RequestID>"
        b"<sr:ResponseCode>E110703</sr:ResponseCode></sr:Header><sr:Body><sr:ResponseMessage>"
        b"<sr:ServiceReference>11.7</sr:ServiceReference></sr:ResponseMessage></sr:Body>"
        b"</sr:Response>"
    )
    labels = {"sr": "11.7", "code": "E110703"}
    before = REGISTRY.get_sample_value("chfw_service_requests_total", labels) or 0.0
    token = logs.open_context()
    try:
        service_requests.observe(request, response, 0.01)
        noted = logs.facts()
    finally:
        logs.close_context(token)
    assert REGISTRY.get_sample_value("chfw_service_requests_total", labels) == before + 1
    assert noted == {
        "sr": "11.7",
        "duis_request_id": "A:B:7",
        "campaign": "CMP-000007",
    }


def test_log_facts_keep_known_identifiers_only() -> None:
    token = logs.open_context()
    try:
        logs.note(party="P", api_key="chfw_secret", body="<xml/>", campaign="")
        assert logs.facts() == {"party": "P"}
    finally:
        logs.close_context(token)
    logs.note(party="outside a request")  # no context: nothing, no error
    assert logs.facts() == {}


def test_the_grafana_dashboard_reads_only_families_we_expose() -> None:
    stats = EndpointStats(3, "P", "https://x/", EndpointStatus.ACTIVE, 1, 0, 1, 0, None, 0, 0,
                          (0,) * len(LATENCY_BUCKETS_MS))  # fmt: skip
    figures = OperationsFigures(0.0, (("C", "eligible", 1),), (("C", "Pilot", 1),))
    text = metrics.exposition([stats], figures, datetime.now(UTC)).decode()
    exposed = set(re.findall(r"^# TYPE (\w+)", text, re.M))
    exposed |= {f"{n}_total" for n in exposed} | {f"{n}_bucket" for n in exposed}
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bchfw_\w+", target["expr"])
    }
    assert used and used <= exposed, used - exposed


def test_on_a_batch_delivery_links_every_alerts_trace_and_a_single_one_continues_its_own() -> None:
    other = "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01"
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.start(provider)
    try:
        with tracing.delivery("http://x/", "batch_1", [STORED, other, None]) as batch_header:
            tracing.record_status(503, None)
        with tracing.delivery("http://x/", "id", [STORED]) as single_header:
            tracing.record_status(200, None)
    finally:
        tracing.stop()
    batch, single = exporter.get_finished_spans()
    assert [f"{link.context.trace_id:032x}" for link in batch.links] == [
        STORED.split("-")[1],
        other.split("-")[1],
    ]
    assert batch_header is not None and batch_header.split("-")[1] not in (STORED + other)
    assert not batch.status.is_ok
    assert single_header is not None and single_header.split("-")[1] == STORED.split("-")[1]
    assert single.parent is not None and f"{single.parent.span_id:016x}" == STORED.split("-")[2]
    assert single.attributes is not None and single.attributes["http.response.status_code"] == 200
