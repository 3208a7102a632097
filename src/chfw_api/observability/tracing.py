"""OpenTelemetry tracing: off unless the standard `OTEL_*` variables ask for it.

Off (the default) nothing is installed: no SDK tracer provider, no instrumentation, and the two
calls on hot paths (`current_traceparent` when an alert is queued, `delivery` when a webhook is
sent) are a check of one module-level flag. On, FastAPI, SQLAlchemy and httpx are instrumented,
the W3C context current when an alert is queued is stored with its outbox row, and the worker's
delivery span continues that trace (and links to it), so the webhook's `traceparent` header names
the Service Request's trace: the number a supplier quotes to the service desk.

The tracer provider is kept here rather than only in the OpenTelemetry global, so a test can
install one with an in-memory exporter, and take it away again, without the global's
set-once rule.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanContext, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("chfw.tracing")
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None
# Paths whose server spans would be noise: probes and scrapes, every few seconds.
EXCLUDED_URLS = "/healthz,/readyz,/metrics"


def wanted(environ: Mapping[str, str]) -> bool:
    """Tracing is on when the SDK is not disabled and a traces exporter is configured: an OTLP
    endpoint, or `OTEL_TRACES_EXPORTER` naming one (`otlp`, `console`); `none` turns it off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    return bool(exporter) or bool(endpoint)


def configure(environ: Mapping[str, str], *, service: str) -> bool:
    """At process start (`chfw serve`, `chfw worker`): install the SDK with the exporter the
    `OTEL_*` variables describe (the SDK reads them itself), or nothing. True when on."""
    if not wanted(environ):
        return False
    exporter_name = environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    exporter: Any
    if exporter_name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    name = environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    start(provider)
    log.info("tracing on: %s exporter", exporter_name)
    return True


def start(provider: TracerProvider) -> None:
    """Use `provider` from now on (and instrument httpx with it)."""
    global _provider, _tracer
    _provider = provider
    _tracer = provider.get_tracer("chfw")
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def stop() -> None:
    """Tracing off again (tests); spans already started finish normally."""
    global _provider, _tracer
    if _provider is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

        HTTPXClientInstrumentor().uninstrument()
        EngineTracer.remove_all_event_listeners()  # type: ignore[no-untyped-call]  # untyped pkg
    _provider = None
    _tracer = None


def enabled() -> bool:
    return _tracer is not None


def instrument_app(app: Any) -> None:
    """Server spans for every request but the probes and the scrape (a FastAPI app)."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],  # one span per ASGI message: noise, and not free
    )


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of this SQLAlchemy engine."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    # The package's engine hooks, attached to this engine alone. Its instrumentor would also
    # wrap `create_async_engine`, which under SQLAlchemy 2.1 needs greenlet (we run sync), and
    # declares SQLAlchemy < 2.1; the hooks are the engine events 2.1 keeps.
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=_provider)
    usage = NoOpMeter("chfw").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]  # untyped upstream


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, to store with an outbox row; None when
    tracing is off or no span is current (a worker job, a CLI command)."""
    if _tracer is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def current_trace_id() -> str | None:
    """The current trace id (32 hex digits) for log lines; None when off or outside a span."""
    if _tracer is None:
        return None
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


def parse(traceparent: str | None) -> SpanContext | None:
    """A stored `traceparent` back to a remote span context; None if absent or malformed."""
    if not traceparent:
        return None
    ctx = _propagator.extract({"traceparent": traceparent})
    span_context = trace.get_current_span(ctx).get_span_context()
    return span_context if span_context.is_valid else None


@contextlib.contextmanager
def delivery(url: str, message_id: str, traceparents: Sequence[str | None]) -> Iterator[str | None]:
    """One webhook request: yields the `traceparent` header to send (or None).

    On: a CLIENT span `webhook deliver`, linked to the context stored with each alert; for a
    single alert it is also that context's child, so the webhook's `traceparent` carries the
    Service Request's trace id. Off: the stored `traceparent` of a single alert is passed on
    as it is (free, and the supplier can still quote it); a batch carries none.
    """
    if _tracer is None:
        yield traceparents[0] if len(traceparents) == 1 else None
        return
    stored = [c for c in map(parse, traceparents) if c is not None]
    parent = (
        trace.set_span_in_context(trace.NonRecordingSpan(stored[0])) if len(stored) == 1 else None
    )
    with _tracer.start_as_current_span(
        "webhook deliver",
        context=parent,
        kind=SpanKind.CLIENT,
        links=[Link(c) for c in stored],
        attributes={
            "http.request.method": "POST",
            "url.full": url,
            "chfw.webhook.id": message_id,
            "chfw.webhook.alerts": len(traceparents),
        },
    ):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield carrier.get("traceparent")


def record_status(status: int | None, error: str | None) -> None:
    """The outcome on the current delivery span (no-op when off)."""
    if _tracer is None:
        return
    span = trace.get_current_span()
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if error is not None or status is None or status >= 300:
        span.set_status(trace.Status(trace.StatusCode.ERROR, error or f"HTTP {status}"))


__all__ = [
    "EXCLUDED_URLS",
    "configure",
    "current_trace_id",
    "current_traceparent",
    "delivery",
    "enabled",
    "instrument_app",
    "instrument_engine",
    "parse",
    "record_status",
    "start",
    "stop",
    "wanted",
]
