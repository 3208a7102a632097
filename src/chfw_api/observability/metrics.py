"""Prometheus metrics: the families, how to declare one, and the scrape.

Two kinds of figure, so that several API and worker processes report correctly:

- **Events counted where they happen** (Service Requests, alerts queued, delivery outcomes, CSP
  uploads) are `prometheus_client` counters and histograms. With `PROMETHEUS_MULTIPROC_DIR` set
  (the same directory for every chfw process on a host, emptied before the first starts) each
  process writes its values there and any process's `/metrics` sums them all; without it (one
  process, tests) they live in this process's default registry.
- **State read at scrape time** from the database (outbox lag, campaign hubs by status,
  guardrail pauses, deliveries per endpoint) is the same whichever process answers, so it is
  added to the scrape as it is read, never stored in a process.

Declaring a family (another module, e.g. email notices, issue #14)::

    from chfw_api.observability import metrics

    EMAIL_FAILURES = metrics.counter(
        "chfw_email_failures", "Email notices that failed, by contact kind.", ["kind"]
    )
    EMAIL_FAILURES.labels(kind="dcc_service_desk").inc()

Rules the helpers enforce: names start `chfw_`, are in base units (`_seconds`, `_bytes`;
counters get `_total` from the client), and no label may carry a hub's GUID or a party's User ID
(`guid`, `user_id`, `device` are refused as label names): those have millions of values. Declare
families at import time of the module that records them, once per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from chfw_api.domain.operations import OperationsFigures
from chfw_api.domain.subscriptions import LATENCY_BUCKETS_MS, EndpointStats, EndpointStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FORBIDDEN_LABELS = frozenset({"guid", "user_id", "device", "hub"})
# Service Requests answer in milliseconds to a few seconds (an 11.7 of 50,000 GUIDs).
SR_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _check(name: str, labels: Sequence[str]) -> None:
    if not name.startswith("chfw_"):
        raise ValueError(f"metric {name!r}: chfw metrics are named chfw_*")
    bad = FORBIDDEN_LABELS.intersection(labels)
    if bad:
        raise ValueError(f"metric {name!r}: label {sorted(bad)} would carry a hub or party id")


def counter(name: str, help_: str, labels: Sequence[str] = ()) -> Counter:
    """A counter family (exposed as `<name>_total`)."""
    _check(name, labels)
    return Counter(name, help_, list(labels))


def histogram(
    name: str, help_: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
) -> Histogram:
    """A histogram family; `name` ends in its base unit (`_seconds`)."""
    _check(name, labels)
    return Histogram(name, help_, list(labels), buckets=tuple(buckets))


# ---------------------------------------------------------------- families counted in process

SERVICE_REQUESTS = counter(
    "chfw_service_requests",
    "Service Requests answered, by Service Reference and DUIS response code.",
    ["sr", "code"],
)
SERVICE_REQUEST_SECONDS = histogram(
    "chfw_service_request_duration_seconds",
    "Time to answer a Service Request, body read to response rendered.",
    ["sr"],
    buckets=SR_BUCKETS,
)
ALERTS_QUEUED = counter(
    "chfw_alerts_queued", "DCC Alerts stored in the outbox, by alert code.", ["code"]
)
DELIVERY_OUTCOMES = counter(
    "chfw_webhook_delivery_outcomes",
    "Webhook deliveries by outcome: delivered, retry, dead, released (one per alert).",
    ["outcome"],
)
CSP_UPLOADS = counter(
    "chfw_csp_uploads", "CSP uploads accepted, by kind (lists, schedules, results).", ["kind"]
)


# ---------------------------------------------------------------- families read at scrape time


def _endpoint_families(stats: Sequence[EndpointStats], now: datetime) -> Iterable[Metric]:
    labels = ["endpoint", "party"]
    deliveries = GaugeMetricFamily(
        "chfw_webhook_deliveries", "Deliveries per endpoint by state.", labels=[*labels, "state"]
    )
    active = GaugeMetricFamily(
        "chfw_webhook_endpoint_active", "1 if the endpoint receives deliveries.", labels=labels
    )
    oldest = GaugeMetricFamily(
        "chfw_webhook_oldest_pending_age_seconds",
        "Age of the oldest alert not yet delivered (0 when none).",
        labels=labels,
    )
    latency = HistogramMetricFamily(
        "chfw_webhook_delivery_latency_seconds",
        "Alert raised to acknowledged by the endpoint.",
        labels=labels,
    )
    for s in stats:
        key = [str(s.endpoint_id), s.party_code]
        for state, n in (
            ("pending", s.pending),
            ("failed", s.failed),
            ("delivered", s.delivered),
            ("dead", s.dead),
        ):
            deliveries.add_metric([*key, state], n)
        active.add_metric(key, int(s.status is EndpointStatus.ACTIVE))
        age = (now - s.oldest_pending_at).total_seconds() if s.oldest_pending_at else 0.0
        oldest.add_metric(key, max(age, 0.0))
        buckets = [
            (f"{bound / 1000:g}", n)
            for bound, n in zip(LATENCY_BUCKETS_MS, s.latency_buckets, strict=True)
        ]
        buckets.append(("+Inf", s.latency_count))
        latency.add_metric(key, buckets, s.latency_sum_ms / 1000)
    return (deliveries, active, oldest, latency)


def _operations_families(figures: OperationsFigures) -> Iterable[Metric]:
    lag = GaugeMetricFamily(
        "chfw_outbox_lag_seconds",
        "How long the oldest due delivery (active endpoints) has waited for a worker.",
        value=figures.outbox_lag_seconds,
    )
    hubs = GaugeMetricFamily(
        "chfw_campaign_hubs", "Campaign hubs by status.", labels=["campaign", "status"]
    )
    for campaign, status, n in figures.hubs_by_status:
        hubs.add_metric([campaign, status], n)
    pauses = GaugeMetricFamily(
        "chfw_guardrail_pauses",
        "Slices a guardrail holds paused (not yet lifted), by campaign and stage.",
        labels=["campaign", "stage"],
    )
    for campaign, stage, n in figures.active_pauses:
        pauses.add_metric([campaign, stage], n)
    return (lag, hubs, pauses)


class _Read:
    """A collector over families already read (from the database, for this scrape)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


class _ThisProcess:
    """This process's default registry, for single-process runs and tests."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition(
    stats: Sequence[EndpointStats], figures: OperationsFigures | None, now: datetime
) -> bytes:
    """The whole scrape: every process's counters (multiprocess mode) or this one's, then the
    figures read from the database."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
    else:
        registry.register(_ThisProcess())
    read = list(_endpoint_families(stats, now))
    if figures is not None:
        read += _operations_families(figures)
    registry.register(_Read(read))
    return generate_latest(registry)


def render(stats: Iterable[EndpointStats], now: datetime) -> str:
    """The per-endpoint delivery families alone, as text (tests, docs)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Read(_endpoint_families(list(stats), now)))
    return generate_latest(registry).decode()


__all__ = [
    "ALERTS_QUEUED",
    "CONTENT_TYPE",
    "CSP_UPLOADS",
    "DELIVERY_OUTCOMES",
    "SERVICE_REQUESTS",
    "SERVICE_REQUEST_SECONDS",
    "counter",
    "exposition",
    "histogram",
    "multiprocess",
    "render",
]
