"""RFC 9457 problem+json: the one table mapping domain errors to HTTP."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from chfw_api.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidIdentifier,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://chfw.example/problems/"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
log = logging.getLogger("chfw.api")

# Most specific first.
STATUS_FOR: list[tuple[type[DomainError], int, str]] = [
    (Unauthenticated, 401, "Unauthenticated"),
    (Forbidden, 403, "Forbidden"),
    (NotFound, 404, "Not found"),
    (IllegalTransition, 409, "Illegal transition"),
    (Conflict, 409, "Conflict"),
    (ValidationFailed, 422, "Validation failed"),
    (InvalidIdentifier, 422, "Invalid identifier"),
    (DomainError, 400, "Bad request"),
]


def problem(
    status: int, title: str, detail: str, *, type_: str = "about:blank", **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="chfw"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(exc: DomainError) -> JSONResponse:
    status, title = next((s, t) for cls, s, t in STATUS_FOR if isinstance(exc, cls))
    extra: dict[str, Any] = dict(exc.extra)
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            {k: v for k, v in vars(p).items() if v is not None} for p in exc.problems
        ]
        extra["total_errors"] = exc.total
    return problem(status, title, exc.detail, type_=TYPE_BASE + exc.code, **extra)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_validation_problem(e) for e in exc.errors()]
        return problem(
            422,
            "Validation failed",
            "the request does not match the documented schema",
            type_=TYPE_BASE + "validation-failed",
            errors=errors,
            total_errors=len(errors),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, _reason(exc.status_code), str(exc.detail))
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred; it has been logged")


def _validation_problem(error: Any) -> dict[str, str]:
    """One request validation error as a problem item: where (`body.results.3.guid`), the
    member it names (`guid`, as a domain refusal names it) and why."""
    loc = [str(p) for p in error.get("loc", ())]
    item = {"location": ".".join(loc), "reason": str(error.get("msg", ""))}
    names = [p for p in loc[1:] if not p.isdigit()]
    if names:
        item["field"] = names[-1]
    return item


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (RFC 9110 `Allow` on a 405).

    Starlette answers a 405 from the first route whose path matches, and without the other
    routes' methods; a resource such as a webhook endpoint is several routes.
    """
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
