"""`chfw tick` runs the campaign steps and automatic deployment once, on demand. What `chfw worker`
runs on a timer, `worker_jobs()`, is `chfw_api.worker_jobs`'s (re-exported), so the demo can run
the jobs without importing the CLI."""

from __future__ import annotations

from chfw_api.cli import DbUrl, _container, app, out
from chfw_api.worker_jobs import worker_jobs

__all__ = ["tick", "worker_jobs"]


@app.command()
def tick(database_url: DbUrl = None) -> None:
    """Perform every automatic campaign step that has fallen due, then forward hubs nobody
    instructed whose automatic time has come (BR3.6); the worker runs both."""
    from chfw_api.services.automatic_deployment import deploy_at_automatic_time
    from chfw_api.services.campaign_tick import tick as run_tick

    c = _container(database_url)
    report = run_tick(c.uow, c.clock)
    out.print(f"{report.events} events on {report.campaigns} campaigns")
    auto = deploy_at_automatic_time(c.uow, c.clock)
    for campaign_id, hubs in auto.forwarded.items():
        out.print(f"{campaign_id}: {hubs:,} uninstructed hubs sent to their CSPs (BR3.6)")
    if auto.held or auto.orphaned:
        out.print(f"held by guardrail pauses: {auto.held:,}; no CSP for region: {auto.orphaned:,}")
