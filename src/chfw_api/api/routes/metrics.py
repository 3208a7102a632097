"""`GET /metrics`: webhook delivery figures in the Prometheus text format (written by hand:
a few gauges and one histogram do not need a client library).

Counts come from the delivery table at scrape time, so every worker process is covered and the
figures survive restarts. DCC key only (they name every Service User's endpoints); point
Prometheus at it with `authorization: {credentials: <DCC API key>}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep
from chfw_api.domain.subscriptions import LATENCY_BUCKETS_MS, EndpointStats, EndpointStatus
from chfw_api.services import delivery as svc

router = APIRouter(tags=["metrics"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(s: EndpointStats, **more: str) -> str:
    pairs = {"endpoint": str(s.endpoint_id), "party": s.party_code, **more}
    escaped = (
        v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for v in pairs.values()
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in zip(pairs, escaped, strict=True)) + "}"


def render(stats: Iterable[EndpointStats], now: datetime) -> str:
    stats = list(stats)
    out: list[str] = []

    def family(name: str, kind: str, help_: str) -> None:
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {kind}")

    family("chfw_webhook_deliveries", "gauge", "Deliveries per endpoint by state.")
    for s in stats:
        for state, n in (
            ("pending", s.pending),
            ("failed", s.failed),
            ("delivered", s.delivered),
            ("dead", s.dead),
        ):
            out.append(f"chfw_webhook_deliveries{_labels(s, state=state)} {n}")
    family("chfw_webhook_endpoint_active", "gauge", "1 if the endpoint receives deliveries.")
    for s in stats:
        out.append(
            f"chfw_webhook_endpoint_active{_labels(s)} {int(s.status is EndpointStatus.ACTIVE)}"
        )
    family(
        "chfw_webhook_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest alert not yet delivered (0 when none).",
    )
    for s in stats:
        age = (now - s.oldest_pending_at).total_seconds() if s.oldest_pending_at else 0.0
        out.append(f"chfw_webhook_oldest_pending_age_seconds{_labels(s)} {max(age, 0.0):.3f}")
    name = "chfw_webhook_delivery_latency_seconds"
    family(name, "histogram", "Alert raised to acknowledged by the endpoint.")
    for s in stats:
        for bound, n in zip(LATENCY_BUCKETS_MS, s.latency_buckets, strict=True):
            out.append(f"{name}_bucket{_labels(s, le=f'{bound / 1000:g}')} {n}")
        out.append(f"{name}_bucket{_labels(s, le='+Inf')} {s.latency_count}")
        out.append(f"{name}_sum{_labels(s)} {s.latency_sum_ms / 1000:.3f}")
        out.append(f"{name}_count{_labels(s)} {s.latency_count}")
    return "\n".join(out) + "\n"


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"},
        401: {"description": "no or unknown API key"},
        403: {"description": "not DCC"},
    },
)
def metrics(caller: DccDep, uow: ReadUowDep, c: ContainerDep) -> PlainTextResponse:
    """Per-endpoint delivery counts and latency, for Prometheus."""
    text = render(svc.endpoint_stats(uow, caller=caller), c.clock.now())
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
