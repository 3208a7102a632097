"""The periodic jobs `chfw worker` runs beside alert delivery (`worker_jobs()`); the demo runs
them too, so they live outside the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container
    from chfw_api.delivery.runner import PeriodicJob


def worker_jobs() -> list[PeriodicJob]:
    """Periodic jobs `chfw worker` runs beside alert delivery.

    Add one as `PeriodicJob(name, interval_seconds, run)` with `run(container)` a synchronous
    use case (it runs in a thread, one unit of work per run; failures are logged, not fatal).
    """
    from chfw_api.delivery.runner import PeriodicJob
    from chfw_api.gateway.writer import write_pending_files
    from chfw_api.mail.job import send_emails
    from chfw_api.services.automatic_deployment import deploy_at_automatic_time
    from chfw_api.services.campaign_tick import tick as campaign_tick
    from chfw_api.services.estate_status import produce_reports
    from chfw_api.services.hub_tallies import fold_hub_tallies
    from chfw_api.services.instruction_jobs import advance_instruction_jobs
    from chfw_api.services.pilot_lists import PilotSettings
    from chfw_api.services.pilot_selection import select_for_silent_suppliers

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
        # SR 11.8 answers I99 and the supplier waits for N83: a look every half second costs
        # one small read of `reports` when idle; at 2 s the wait was most of a 300,000-hub
        # report's time (bench/national.py).
        PeriodicJob("estate-reports", 0.5, reports),
        PeriodicJob("gateway-files", 1.0, write_pending_files),  # CSP gateway drops (issue #6)
        PeriodicJob("email-notices", 1.0, send_emails),  # SMTP (issue #14)
    ]
