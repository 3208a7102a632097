"""`GET /metrics`: Prometheus exposition by `prometheus_client` (observability/metrics.py).

Counters and histograms of every process sharing `PROMETHEUS_MULTIPROC_DIR` (or of this one
without it), plus figures read from the database at scrape time: deliveries per endpoint, outbox
lag, campaign hubs by status, guardrail pauses. DCC key only (they name every Service User's
endpoints and every campaign); point Prometheus at it with
`authorization: {credentials: <DCC API key>}`.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep
from chfw_api.observability import metrics as exposition
from chfw_api.observability.metrics import CONTENT_TYPE, render
from chfw_api.services import delivery as svc
from chfw_api.services import operations

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"},
        401: {"description": "no or unknown API key"},
        403: {"description": "not DCC"},
    },
)
def metrics(caller: DccDep, uow: ReadUowDep, c: ContainerDep) -> Response:
    """Service Requests, alerts, deliveries, uploads, outbox lag and rollout, for Prometheus."""
    now = c.clock.now()
    stats = svc.endpoint_stats(uow, caller=caller)
    figures = operations.figures(c.uow(read_only=True), caller=caller, now=now)
    return Response(exposition.exposition(stats, figures, now), media_type=CONTENT_TYPE)


__all__ = ["render", "router"]
