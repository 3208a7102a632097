"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from chfw_api.api.deps import ContainerDep
from chfw_api.services import operations

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and the workers keep up with the outbox",
    responses={
        503: {
            "description": "database unreachable, or a due webhook delivery has waited longer "
            "than CHFW_READY_MAX_OUTBOX_LAG_SECONDS (the workers are down or behind)"
        }
    },
)
def readyz(container: ContainerDep) -> JSONResponse:
    limit = container.settings.ready_max_outbox_lag_seconds
    try:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        lag = (
            operations.outbox_lag_seconds(container.uow(read_only=True), now=container.clock.now())
            if limit is not None
            else 0.0
        )
    except Exception as exc:  # readiness reports, it never raises
        return JSONResponse(
            {"status": "unavailable", "detail": type(exc).__name__},
            status_code=503,
        )
    if limit is not None and lag > limit:
        return JSONResponse(
            {"status": "unavailable", "detail": "outbox lag", "outbox_lag_seconds": round(lag, 3)},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
