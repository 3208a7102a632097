"""The periodic campaign jobs: `worker_jobs()` is what `chfw worker` runs on a timer, and
`chfw tick` runs the campaign steps and automatic deployment once, on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chfw_api.cli import DbUrl, _container, app, out

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container
    from chfw_api.delivery.runner import PeriodicJob


def worker_jobs() -> list[PeriodicJob]:
    """Periodic jobs `chfw worker` runs beside alert delivery.

    Add one as `PeriodicJob(name, interval_seconds, run)` with `run(container)` a synchronous
    use case (it runs in a thread, one unit of work per run; failures are logged, not fatal).
    """
    from chfw_api.delivery.runner import PeriodicJob
    from chfw_api.services.automatic_deployment import deploy_at_automatic_time
    from chfw_api.services.campaigns import tick as campaign_tick
    from chfw_api.services.estate_status import produce_reports
    from chfw_api.services.gateway_outbound import write_pending_files
    from chfw_api.services.hub_tallies import fold_hub_tallies
    from chfw_api.services.instruction_jobs import advance_instruction_jobs
    from chfw_api.services.pilot_lists import PilotSettings, select_for_silent_suppliers

    def tick(c: Container) -> object:
        return campaign_tick(c.uow, c.clock)

    def pilots(c: Container) -> object:
        s = c.settings
        settings = PilotSettings(s.pilot_max_size, s.pilot_minimum_per_supplier)
        return select_for_silent_suppliers(c.uow, c.clock, settings=settings)

    def reports(c: Container) -> object:
        return produce_reports(c.uow, c.clock, directory=c.settings.reports_dir)

    def automatic(c: Container) -> object:
        return deploy_at_automatic_time(c.uow, c.clock)

    def tallies(c: Container) -> object:
        return fold_hub_tallies(c.uow)

    def instructions(c: Container) -> object:
        return advance_instruction_jobs(c.uow, c.clock.now, chunk=c.settings.instruction_chunk_hubs)

    return [
        PeriodicJob("campaign-tick", 5.0, tick),
        PeriodicJob("hub-tallies-fold", 60.0, tallies),  # reads stay small (issue #12)
        PeriodicJob("instruction-chunks", 1.0, instructions),  # large SR 11.7s (issue #12)
        PeriodicJob("automatic-deployment-br36", 30.0, automatic),
        PeriodicJob("pilot-selection-ad09", 60.0, pilots),
        PeriodicJob("estate-reports", 2.0, reports),
        PeriodicJob("gateway-files", 1.0, write_pending_files),  # CSP gateway drops (issue #6)
    ]


@app.command()
def tick(database_url: DbUrl = None) -> None:
    """Perform every automatic campaign step that has fallen due, then forward hubs nobody
    instructed whose automatic time has come (BR3.6); the worker runs both."""
    from chfw_api.services.automatic_deployment import deploy_at_automatic_time
    from chfw_api.services.campaigns import tick as run_tick

    c = _container(database_url)
    report = run_tick(c.uow, c.clock)
    out.print(f"{report.events} events on {report.campaigns} campaigns")
    auto = deploy_at_automatic_time(c.uow, c.clock)
    for campaign_id, hubs in auto.forwarded.items():
        out.print(f"{campaign_id}: {hubs:,} uninstructed hubs sent to their CSPs (BR3.6)")
    if auto.held or auto.orphaned:
        out.print(f"held by guardrail pauses: {auto.held:,}; no CSP for region: {auto.orphaned:,}")
