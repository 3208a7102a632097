"""Alert batches, alert codes and the Prometheus text: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from chfw_api.api.routes.metrics import render as render_metrics
from chfw_api.delivery.batching import batch_body, batch_id
from chfw_api.domain import alerts as a
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.subscriptions import (
    LATENCY_BUCKETS_MS,
    EndpointStats,
    EndpointStatus,
    check_batch_size,
    check_codes,
    known_codes,
)
from chfw_api.duis import ALERT_BATCH, render_alert, render_batch
from chfw_api.duis.schema import validate

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DCC = "90-B3-D5-1F-30-00-00-02"
USER = "90-B3-D5-1F-30-01-00-00"


def _envelopes(n: int) -> list[a.AlertEnvelope]:
    return [
        a.AlertEnvelope.of(
            a.make_alert_id(DCC, USER, i), USER, NOW, a.HubActivated(guid_from_int(i), "0100A2F3")
        )
        for i in range(1, n + 1)
    ]


def _c14n(document: bytes) -> bytes:
    return etree.tostring(etree.fromstring(document), method="c14n")


def test_a_batch_of_stored_alerts_equals_render_batch_and_validates() -> None:
    envelopes = _envelopes(3)
    body = batch_body([render_alert(e) for e in envelopes])
    assert _c14n(body) == _c14n(render_batch(envelopes))
    root = etree.fromstring(body)
    assert root.tag == ALERT_BATCH
    validate(root)
    ids = [e.text for e in root.iter("{*}ResponseID")]
    assert ids == [e.alert_id for e in envelopes]


def test_the_batch_webhook_id_is_stable_for_the_same_alerts() -> None:
    ids = [e.alert_id for e in _envelopes(4)]
    assert batch_id(ids) == batch_id(list(reversed(ids)))
    assert batch_id(ids) != batch_id(ids[:3])
    assert batch_id(ids).startswith("batch_") and len(batch_id(ids)) == 38


def test_codes_are_checked_against_what_the_service_sends() -> None:
    # covers: X5
    known = known_codes("N63")
    assert {"N63", "N70", "N83"} <= known and "N84" not in known
    assert known_codes("N90") - known == {"N90"}
    codes, problems = check_codes(["n70", "N63", "N70"], known)
    assert codes == ("N63", "N70") and problems == []
    assert check_codes(["*"], known) == (("*",), [])
    _, problems = check_codes(["N99", "X1", "*"], known)
    assert len(problems) == 3
    assert check_codes([], known)[1]
    assert check_batch_size(0) and check_batch_size(1001) and not check_batch_size(100)


def test_metrics_are_prometheus_text() -> None:
    stats = EndpointStats(
        endpoint_id=3,
        party_code=USER,
        url="https://x/",
        status=EndpointStatus.ACTIVE,
        pending=2,
        failed=1,
        delivered=5,
        dead=1,
        oldest_pending_at=NOW.replace(hour=8),
        latency_count=5,
        latency_sum_ms=1500,
        latency_buckets=tuple(min(5, i) for i in range(len(LATENCY_BUCKETS_MS))),
    )
    text = render_metrics([stats], NOW)
    assert text.endswith("\n")
    labels = f'endpoint="3",party="{USER}"'
    assert f'chfw_webhook_deliveries{{{labels},state="delivered"}} 5' in text
    assert f'chfw_webhook_deliveries{{{labels},state="failed"}} 1' in text
    assert f"chfw_webhook_oldest_pending_age_seconds{{{labels}}} 3600.0" in text
    inf = f'endpoint="3",le="+Inf",party="{USER}"'  # prometheus_client sorts bucket labels
    assert f"chfw_webhook_delivery_latency_seconds_bucket{{{inf}}} 5" in text
    assert f"chfw_webhook_delivery_latency_seconds_sum{{{labels}}} 1.5" in text
    assert "# TYPE chfw_webhook_delivery_latency_seconds histogram" in text
