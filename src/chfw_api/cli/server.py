"""The long-running processes: `chfw serve` (the HTTP API) and `chfw worker` (alert delivery
and the periodic jobs of `chfw_api.cli.jobs`)."""

from __future__ import annotations

from typing import Annotated

import typer

from chfw_api.cli import DbUrl, _container, app, console


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
    report = run(
        serve_worker(
            container,
            jobs=worker_jobs(),
            once=once,
            max_seconds=max_seconds,
            sign_body=container.alert_body_signer,
            freeze_gc=True,
        )
    )
    container.dispose()
    console.print(
        f"worker {report.requests:,} requests: {report.delivered:,} delivered, "
        f"{report.retried:,} to retry, {report.dead:,} dead, {report.released:,} released"
    )
