"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from chfw_api.api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable",
    responses={503: {"description": "database unreachable"}},
)
def readyz(container: ContainerDep) -> JSONResponse:
    try:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports, it never raises
        return JSONResponse(
            {"status": "unavailable", "detail": type(exc).__name__},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
