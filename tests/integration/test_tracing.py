"""One SR 11.7 followed by its trace from the HTTP request to each webhook it caused (#15).

Tracing is installed with an in-memory exporter before the app is built, as `chfw serve` and
`chfw worker` would with an OTLP exporter; the worker delivers to a loopback receiver. The
supplier's webhook carries a `traceparent` whose trace id is the Service Request's, and the
delivery span links to the context stored with the alert's outbox row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.delivery.receiver import Receiver
from chfw_api.delivery.runner import run, serve_worker
from chfw_api.domain.clock import FakeClock
from chfw_api.observability import tracing
from tests.conftest import START, wipe
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import (
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.test_observability import access_log


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.start(provider)
    yield exporter
    tracing.stop()
    provider.shutdown()


@pytest.fixture
def container(database_url: str, spans: InMemorySpanExporter) -> Iterator[Container]:
    c = build(
        Settings(database_url=database_url, webhook_allowed_networks=["127.0.0.0/8"]),
        clock=FakeClock(START),
    )
    wipe(c.engine)
    yield c
    c.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as tc:
        yield tc


def _trace_id(traceparent: str) -> str:
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, len(span_id), len(flags)) == ("00", 16, 2)
    return trace_id


def _hex(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


def test_one_instruction_is_one_trace_from_request_to_every_webhook(
    client: TestClient, estate: Estate, container: Container, spans: InMemorySpanExporter
) -> None:
    # covers: X4
    hubs = load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True,
        **pilot_window(days_from_start=60, length_days=60),
    )["campaign_id"]  # fmt: skip
    with Receiver() as receiver:
        for who in (estate.supplier_a, estate.supplier_b):
            r = client.post(
                "/api/v1/webhooks/endpoints",
                headers=who,
                json={"url": receiver.url("/hook"), "codes": ["N80"]},
            )
            assert r.status_code == 201, r.text
        spans.clear()
        body = sr.instruction(cid, START + timedelta(days=120), hubs.a_only + hubs.split_ab)
        with access_log() as lines:
            r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.7", body))
        assert sr.code(doc) == "I0", r.text
        (request,) = [
            s
            for s in spans.get_finished_spans()
            if s.kind is SpanKind.SERVER and "serviceD" in s.name
        ]
        trace_id = _hex(request)
        (line,) = [json.loads(x) for x in lines.getvalue().splitlines()]
        assert line["trace_id"] == trace_id and line["path"] == "/api/v1/serviceD"
        with container.engine.connect() as conn:
            stored = (
                conn.execute(text("SELECT traceparent FROM alerts WHERE code = 'N80'"))
                .scalars()
                .all()
            )
        assert len(stored) == 2  # A's acknowledgement, B told of A's plan
        assert {_trace_id(t) for t in stored} == {trace_id}
        # The use case's SQL is in the same trace (SQLAlchemy instrumented).
        sql = [s for s in spans.get_finished_spans() if (s.attributes or {}).get("db.system")]
        assert trace_id in {_hex(s) for s in sql}
        run(serve_worker(container, once=True, handle_signals=False))
        received = list(receiver.requests)
    assert len(received) == 2
    assert {_trace_id(q.headers["traceparent"]) for q in received} == {trace_id}
    deliveries = [s for s in spans.get_finished_spans() if s.name == "webhook deliver"]
    assert len(deliveries) == 2
    for span in deliveries:
        assert _hex(span) == trace_id
        assert [f"{link.context.trace_id:032x}" for link in span.links] == [trace_id]
        assert span.attributes is not None
        assert span.attributes["http.response.status_code"] == 200
    sent = {q.headers["traceparent"].split("-")[2] for q in received}
    assert sent == {f"{s.context.span_id:016x}" for s in deliveries if s.context is not None}
