"""`chfw demo`: set everything up, play the campaign, check it, summarise it, write the report.

Everything lives under `<out>/demo/` (database, gateway folders, clock file, estate, logs) and
is made afresh on each run; the report goes to `<out>/report.html`.
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from chfw_api.demo import launch, mail, pilot, processes
from chfw_api.demo.api import Api, DemoError
from chfw_api.demo.backoffice import BackOffice, BackOfficeCounts
from chfw_api.demo.clock import OffsetFileClock
from chfw_api.demo.csps import Network
from chfw_api.demo.estate import Estate, generate
from chfw_api.demo.script import NEW_VERSION, Demo
from chfw_api.demo.tracking import Event, StageRecord, Tracker

WEBHOOK_BATCH = 200


@dataclass(frozen=True)
class Options:
    hubs: int = 100_000
    database_url: str | None = None
    seed: int = 1
    out: Path = Path("var")
    suppliers: int = 6
    split_share: float = 0.44  # of dual-fuel hubs: about a third of all hubs are split
    mode: processes.Mode = "subprocess"
    quiet: bool = False
    host: str = "127.0.0.1"  # where the API listens; port 0 picks a free one
    port: int = 0


@dataclass
class DemoResult:
    options: Options
    work: Path
    database_url: str
    campaign_id: str
    estate: Estate
    stages: list[StageRecord]
    events: list[Event]
    offices: list[BackOfficeCounts]
    endpoint_stats: list[dict[str, Any]]
    campaign: dict[str, Any]
    outbox_by_code: dict[str, int]
    checks: dict[str, Any]
    rollout: list[tuple[datetime, str, str]]  # (activation time, outcome, stage) per hub
    arrivals: list[tuple[float, int]]  # real second -> alerts received
    elapsed: float
    sr_codes: list[tuple[str, str, str]] = field(default_factory=list)
    report: Path | None = None
    api_url: str = ""
    audit_entries: int = 0
    t0: datetime = datetime.min
    emails: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> supplier -> n

    @property
    def milestones(self) -> list[Event]:
        return [e for e in self.events if e.label]


def _fresh(options: Options) -> tuple[Path, str]:
    work = options.out / "demo"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    url = options.database_url or f"sqlite:///{work.resolve()}/chfw.db"
    return work, url


def _settings(work: Path, url: str) -> dict[str, Any]:
    return {
        "database_url": url,
        "clock_file": str((work / "clock").resolve()),
        "gateway_root": str((work / "gateway").resolve()),
        "reports_dir": str((work / "reports").resolve()),
        "webhook_allowed_networks": ["127.0.0.0/8"],
        "max_body_bytes": 512 * 1024 * 1024,
        "log_level": "WARNING",
        # Leases are timed on the shared clock, which jumps days at a time: a lease of a year
        # keeps a jump from handing alerts still in flight to a second claim (duplicates).
        "delivery_lease_seconds": 365 * 86_400,
    }


def _bootstrap(settings: dict[str, Any], estate: Estate) -> dict[str, str]:
    """Migrate, register the estate's parties and issue their API keys (what `chfw db upgrade`
    and `chfw parties load` do): the one step that cannot go through the API, which needs a
    DCC key to begin with."""
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.persistence.migrations import upgrade
    from chfw_api.services import parties as svc

    c = build(Settings(**settings))
    try:
        upgrade(c.engine)
        if svc.list_parties(c.uow()):
            raise DemoError("the database already holds parties: give the demo an empty one")
        created = svc.load_parties(
            c.uow(), c.clock, document=json.loads(estate.parties_json.read_text())
        )
        return {p.code: svc.issue_key(c.uow(), c.clock, party_code=p.code).key for p in created}
    finally:
        c.dispose()


def run_demo(options: Options, console: Console | None = None) -> DemoResult:
    console = console or Console(stderr=True, quiet=options.quiet)
    work, url = _fresh(options)
    settings = _settings(work, url)
    clock = OffsetFileClock(settings["clock_file"])
    started = time.time()
    with ExitStack() as stack:
        track = stack.enter_context(Tracker(clock, console, quiet=options.quiet))
        with track.stage("Estate (sample CSV)", total=options.hubs) as bar:
            estate = generate(
                work / "estate",
                hubs=options.hubs,
                suppliers=options.suppliers,
                split_share=options.split_share,
                seed=options.seed,
                version=NEW_VERSION,
            )
            bar.update(options.hubs)
        with track.stage("Database + parties + keys"):
            keys = _bootstrap(settings, estate)
            mail.load_contacts(settings, estate.parties_json)  # email notices (issue #14)
        mailbox = mail.start(options.out, settings)  # var/mail/, a Maildir
        stack.callback(mailbox.stop)
        with track.stage(f"API + worker ({options.mode})"):
            services = processes.start(
                settings,
                mode=options.mode,
                logs=work / "logs",
                host=options.host,
                port=options.port,
            )
            stack.callback(services.stop)
        api = Api(services.api_url, keys=keys, dcc=estate.dcc)
        stack.callback(api.close)
        offices = [
            stack.enter_context(BackOffice(code, name, clock))
            for code, name in estate.suppliers.items()
        ]
        with track.stage("Webhook endpoints", total=len(offices)) as bar:
            for office in offices:
                made = api.call(
                    office.user_id,
                    "POST",
                    "/api/v1/webhooks/endpoints",
                    json={
                        "url": office.url,
                        "codes": ["*"],
                        "batch_size": WEBHOOK_BATCH,
                        "description": f"{office.name} back office",
                    },
                ).json()
                office.secret = made["secret"]
                bar.advance()
        with track.stage("Inventory import (HTTP, CSV)", total=estate.total_hubs) as bar:
            with estate.hubs_csv.open("rb") as body:
                report = api.dcc(
                    "POST",
                    "/api/v1/inventory/imports",
                    content=body,
                    headers={"Content-Type": "text/csv"},
                )
            bar.update(report["rows"])
        csps = Network(api, clock, Path(settings["gateway_root"]), list(estate.csps), options.seed)
        csps.start(failure_rate=0.0, rates={})
        demo = Demo(api, clock, estate, csps, track)
        demo.offices = {o.user_id: o for o in offices}
        csps.on_pause = lambda p: track.event(
            "DCC",
            f"guardrail paused the {p['stage']} {p['dimension']} slice {p['slice']} "
            f"({p['failed']} of {p['total']} failed); DCC reviews it and lifts the pause",
        )
        demo.notify()
        demo.csp_pilot_proposals()
        demo.certificates()
        demo.preferred_lists()
        pilot.instruct(demo)
        pilot.run(demo)
        batches = launch.schedule(demo)
        launch.instruct(demo, batches)
        launch.roll_out(demo, batches)
        launch.finish(demo)
        stats = _drain(demo, offices, services)
        with track.stage("Email notices (drain)"):
            emails_queued = mail.drain(mailbox, settings)
        checks, entries, outbox = _final_checks(demo, settings, offices, stats)
        checks["emails_received_equals_outbox"] = (emails_queued, len(mailbox.received))
        campaign = demo.campaign()
        arrivals = _arrivals(offices, started)
    return DemoResult(
        options=options,
        work=work,
        database_url=url,
        campaign_id=demo.campaign_id,
        estate=estate,
        stages=track.stages,
        events=track.events,
        offices=[o.snapshot() for o in offices],
        endpoint_stats=stats,
        campaign=campaign,
        outbox_by_code=outbox,
        checks=checks,
        rollout=_rollout(demo),
        arrivals=arrivals,
        elapsed=time.time() - started,
        sr_codes=demo.sr_codes,
        api_url=services.api_url,
        audit_entries=entries,
        t0=demo.t0,
        emails=mail.counts(mailbox, estate.suppliers),
    )


def _drain(demo: Demo, offices: list[BackOffice], services: processes.Services) -> list[Any]:
    """Wait until the worker has delivered every alert (nothing pending or awaiting a retry)."""
    with demo.track.stage("Alert delivery (drain)") as bar:
        deadline = time.monotonic() + 900
        while True:
            services.check_alive()
            stats: list[dict[str, Any]] = demo.api.dcc("GET", "/api/v1/webhooks/stats")
            total = sum(s["pending"] + s["failed"] + s["delivered"] + s["dead"] for s in stats)
            delivered = sum(s["delivered"] for s in stats)
            bar.update(delivered, total)
            received = sum(o.alerts for o in offices)
            if all(s["pending"] == 0 and s["failed"] == 0 for s in stats) and received >= delivered:
                return stats
            if time.monotonic() > deadline:
                raise DemoError(f"alerts still queued after 15 minutes: {stats}")
            time.sleep(0.25)


def _final_checks(
    demo: Demo, settings: dict[str, Any], offices: list[BackOffice], stats: list[dict[str, Any]]
) -> tuple[dict[str, Any], int, dict[str, int]]:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.services.audit import verify

    checks = dict(demo.checks)
    c = build(Settings(**settings))
    try:
        chain = verify(c.uow(read_only=True))
        with c.uow(read_only=True) as uow:
            codes = sorted({code for o in offices for code in o.by_code} | {"N63", "N82"})
            outbox = {code: uow.outbox.count(code=code) for code in codes}
            outbox_total = uow.outbox.count()
    finally:
        c.dispose()
    if not chain.ok:
        raise DemoError(f"audit chain broken at {chain.first_break}: {chain.reason}")
    checks["audit_chain"] = f"intact, {chain.entries:,} entries"
    delivered = {s["party"]: s["delivered"] for s in stats}
    checks["received_equals_delivered"] = all(
        o.alerts == delivered.get(o.user_id, -1) for o in offices
    )
    received_by_code: dict[str, int] = {}
    for o in offices:
        for code, n in o.by_code.items():
            received_by_code[code] = received_by_code.get(code, 0) + n
    checks["received_equals_outbox_per_code"] = (
        received_by_code == {k: v for k, v in outbox.items() if v}
        and sum(received_by_code.values()) == outbox_total
    )
    checks["bad_signatures"] = sum(o.bad_signatures for o in offices)
    checks["dead_letters"] = sum(s["dead"] for s in stats)
    expected = _expected_hub_alerts(demo)
    checks["hub_alerts_to_current_suppliers"] = all(
        o.by_code.get(code, 0) == expected[code].get(o.user_id, 0)
        for o in offices
        for code in ("N63", "N82")
    )
    counts = demo.campaign()["hubs_by_status"]
    checks["every_hub_finished"] = set(counts) <= {"activated", "failed"}
    return checks, chain.entries, outbox


def _expected_hub_alerts(demo: Demo) -> dict[str, dict[str, int]]:
    """N63/N82 per supplier as the CSPs' outcomes say: one per current supplier of each hub."""
    out: dict[str, dict[str, int]] = {"N63": {}, "N82": {}}
    for guid, (_, outcome, _) in demo.network.outcomes().items():
        code = "N63" if outcome == "activated" else "N82"
        for s in demo.estate.hub(guid).suppliers:
            out[code][s] = out[code].get(s, 0) + 1
    return out


def _rollout(demo: Demo) -> list[tuple[datetime, str, str]]:
    return sorted(demo.network.outcomes().values())


def _arrivals(offices: list[BackOffice], started: float) -> list[tuple[float, int]]:
    total: dict[float, int] = {}
    for o in offices:
        for second, n in o.by_second.items():
            key = round(o.started - started + second)
            total[key] = total.get(key, 0) + n
    return sorted(total.items())
