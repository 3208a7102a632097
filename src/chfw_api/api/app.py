"""The FastAPI application factory: nothing is built until `create_app` is called."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from chfw_api import __version__
from chfw_api.api import problems
from chfw_api.api.access import add_access
from chfw_api.api.middleware import BodyLimit, RequestContext
from chfw_api.api.openapi_links import add_links
from chfw_api.api.openapi_schema import document_errors
from chfw_api.api.openapi_webhooks import add_webhooks
from chfw_api.api.routes import (
    campaigns,
    csp,
    csp_oversight,
    dashboard,
    eligible_hubs,
    email_contacts,
    email_outbox,
    feed,
    health,
    incidents,
    inventory,
    metrics,
    parties,
    releases,
    service_requests,
    subscriptions,
)
from chfw_api.bootstrap import Container
from chfw_api.observability import tracing

DESCRIPTION = """\
SECMP0024 Communications Hub firmware management, Option 1: DUIS-style Service Requests from
Suppliers, DCC Alerts as signed webhooks, and the CSP Management Gateway. JSON endpoints are the
DCC operator, CSP and subscription APIs; errors are RFC 9457 `application/problem+json`.
Authenticate with `Authorization: Bearer <API key>`.
"""


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="chfw", version=__version__, description=DESCRIPTION)
    app.state.container = container
    problems.install(app)
    generate = app.openapi

    def openapi() -> dict[str, Any]:  # errors as served; links; who may call what; alerts
        if app.openapi_schema is None:
            app.openapi_schema = add_webhooks(add_access(add_links(document_errors(generate()))))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for module in (
        health,
        parties,
        inventory,
        releases,
        campaigns,
        eligible_hubs,
        incidents,
        service_requests,
        csp,  # CSP Management Gateway (issue #6)
        csp_oversight,
        dashboard,  # DCC operator dashboard (issue #7)
        subscriptions,  # webhook endpoints, dead letters, delivery stats (issue #5)
        feed,  # pull feed of alerts (issue #5)
        metrics,  # Prometheus /metrics (issue #5)
        email_contacts,  # email notices (issue #14)
        email_outbox,
    ):
        app.include_router(module.router)
    settings = container.settings

    def limit_for(path: str) -> int | None:
        if path == inventory.IMPORT_PATH:
            return settings.max_import_body_bytes
        if path == service_requests.SERVICE_PATH:
            return None  # the route reads within max_body_bytes itself and answers E110003
        return settings.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(RequestContext)
    tracing.instrument_app(app)  # no-ops unless tracing is on (observability/tracing.py)
    tracing.instrument_engine(container.engine)
    return app
