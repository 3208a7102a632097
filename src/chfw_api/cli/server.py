"""The long-running processes: `chfw serve` (the HTTP API) and `chfw worker` (alert delivery
and the periodic jobs of `chfw_api.cli.jobs`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from chfw_api.cli import DbUrl, _container, _fail, app, console

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container
    from chfw_api.duis.alert_signing import BodySigner


def _alert_signer(container: Container) -> BodySigner | None:
    """The DCC alert signer, loaded before any work starts; a key or certificate that cannot
    be used is one line on stderr and exit 1."""
    try:
        return container.alert_body_signer
    except ValueError as exc:
        container.dispose()
        _fail(str(exc))


def _observe(service: str) -> bool:
    """Tracing as the `OTEL_*` variables say (off unless an exporter is configured); metrics
    shared through `PROMETHEUS_MULTIPROC_DIR` when it is set (docs/operations.md). These are
    the standard variables of OpenTelemetry and prometheus_client, read by those libraries, so
    they are not CHFW_ settings. True when tracing is on."""
    import os

    from chfw_api.observability import tracing

    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        os.makedirs(shared, exist_ok=True)
    return tracing.configure(os.environ, service=service)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    database_url: DbUrl = None,
) -> None:
    """Serve the HTTP API (migrating the database first unless CHFW_AUTO_MIGRATE=false)."""
    import uvicorn

    from chfw_api.api import logging as api_logging
    from chfw_api.api.app import create_app
    from chfw_api.persistence.migrations import upgrade

    container = _container(database_url)
    api_logging.configure(container.settings.log_level)
    _observe("chfw-api")
    _alert_signer(container)  # the pull feed signs too: a bad key stops here, not per request
    if container.settings.auto_migrate:
        upgrade(container.engine)
    uvicorn.run(
        create_app(container),
        host=host or container.settings.host,
        port=port or container.settings.port,
        log_config=None,
        proxy_headers=False,
    )


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option(help="run each job once, deliver everything due, then exit")
    ] = False,
    max_seconds: Annotated[
        float | None, typer.Option(min=0, help="stop after this many seconds")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Deliver DCC Alerts as signed webhooks (run as many as you like) and run periodic jobs."""
    from chfw_api.api import logging as api_logging
    from chfw_api.cli.jobs import worker_jobs
    from chfw_api.delivery.runner import run, serve_worker

    container = _container(database_url)
    api_logging.configure(container.settings.log_level)
    if _observe("chfw-worker"):
        from chfw_api.observability import tracing

        tracing.instrument_engine(container.engine)
    sign_body = _alert_signer(container)
    report = run(
        serve_worker(
            container,
            jobs=worker_jobs(),
            once=once,
            max_seconds=max_seconds,
            sign_body=sign_body,
            freeze_gc=True,
        )
    )
    container.dispose()
    console.print(
        f"worker {report.requests:,} requests: {report.delivered:,} delivered, "
        f"{report.retried:,} to retry, {report.dead:,} dead, {report.released:,} released"
    )
