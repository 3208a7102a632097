"""The `chfw` command: serve, worker, db, parties, inventory, sample-estate, openapi."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chfw_api.config import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container
    from chfw_api.delivery.runner import PeriodicJob

app = typer.Typer(
    help="CH firmware campaign service (SECMP0024).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
parties_app = typer.Typer(help="Parties and API keys.", no_args_is_help=True)
inventory_app = typer.Typer(help="Smart Metering Inventory.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(parties_app, name="parties")
app.add_typer(inventory_app, name="inventory")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)
out = Console()

DbUrl = Annotated[str | None, typer.Option("--database-url", help="overrides CHFW_DATABASE_URL")]


def _settings(database_url: str | None = None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def _container(database_url: str | None = None):  # type: ignore[no-untyped-def]
    from chfw_api.bootstrap import build

    return build(_settings(database_url))


def _fail(message: str, problems: list[object] | None = None) -> None:
    console.print(f"[red]error:[/red] {message}")
    for p in problems or []:
        console.print(f"  {p}")
    raise typer.Exit(1)


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

    return [
        PeriodicJob("campaign-tick", 5.0, tick),
        PeriodicJob("automatic-deployment-br36", 30.0, automatic),
        PeriodicJob("pilot-selection-ad09", 60.0, pilots),
        PeriodicJob("estate-reports", 2.0, reports),
        PeriodicJob("gateway-files", 1.0, write_pending_files),  # CSP gateway drops (issue #6)
    ]


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


@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None, revision: str = "head") -> None:
    """Migrate the database to a revision (default head)."""
    from chfw_api.persistence.migrations import current_revision, upgrade

    container = _container(database_url)
    upgrade(container.engine, revision)
    console.print(f"database at revision {current_revision(container.engine)}")


@db_app.command("check")
def db_check(database_url: DbUrl = None) -> None:
    """Fail if the models and the migrations disagree (run on a database at head)."""
    from chfw_api.persistence.migrations import drift, upgrade

    container = _container(database_url)
    upgrade(container.engine)
    diffs = drift(container.engine)
    if diffs:
        _fail("models and migrations disagree; generate a migration", diffs)
    console.print("models and migrations agree")


@parties_app.command("create")
def parties_create(
    kind: Annotated[str, typer.Argument(help="supplier, csp or dcc")],
    code: Annotated[str, typer.Argument(help="User ID (EUI-64) or CSP ID")],
    name: Annotated[str, typer.Option()],
    role: Annotated[list[str] | None, typer.Option(help="IS/GS, repeatable")] = None,
    region: Annotated[list[str] | None, typer.Option(help="North/Central/South")] = None,
    key: Annotated[bool, typer.Option(help="also issue an API key")] = True,
    database_url: DbUrl = None,
) -> None:
    """Register a party (and print its first API key)."""
    from chfw_api.domain.errors import DomainError
    from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
    from chfw_api.services import parties as svc

    c = _container(database_url)
    try:
        party = svc.register_party(
            c.uow(),
            c.clock,
            kind=PartyKind(kind),
            code=code,
            name=name,
            roles=[SupplierRole(r) for r in role or []],
            regions=[CspRegion(r) for r in region or []],
        )
        out.print(f"registered {party.kind} {party.code}")
        if key:
            issued = svc.issue_key(c.uow(), c.clock, party_code=party.code, label="cli")
            out.print(f"API key (shown once): {issued.key}")
    except (DomainError, ValueError) as exc:
        _fail(str(exc), getattr(exc, "problems", None))


@parties_app.command("load")
def parties_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    keys_file: Annotated[
        Path | None, typer.Option(help="write new parties' API keys here (mode 0600)")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Register every party of a parties.json not registered yet, issuing each an API key."""
    from chfw_api.services import parties as svc

    c = _container(database_url)
    created = svc.load_parties(c.uow(), c.clock, document=json.loads(file.read_text()))
    keys: dict[str, str] = {}
    if keys_file is not None and keys_file.exists():
        keys = json.loads(keys_file.read_text())
    for party in created:
        keys[party.code] = svc.issue_key(c.uow(), c.clock, party_code=party.code, label="load").key
    if keys_file is not None:
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        keys_file.touch(mode=0o600)
        keys_file.write_text(json.dumps(keys, indent=2))
    out.print(
        f"{len(created)} parties registered" + (f"; keys in {keys_file}" if keys_file else "")
    )
    if keys_file is None:
        for code, k in keys.items():
            out.print(f"{code}\t{k}")


@parties_app.command("list")
def parties_list(database_url: DbUrl = None) -> None:
    """List parties."""
    from chfw_api.services import parties as svc

    c = _container(database_url)
    table = Table("kind", "code", "name", "status", "roles", "regions")
    for p in svc.list_parties(c.uow()):
        table.add_row(
            p.kind, p.code, p.name, p.status, ",".join(sorted(p.roles)), ",".join(sorted(p.regions))
        )
    out.print(table)


@parties_app.command("issue-key")
def parties_issue_key(code: str, label: str = "", database_url: DbUrl = None) -> None:
    """Issue an API key for a party; shown once."""
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import parties as svc

    c = _container(database_url)
    try:
        issued = svc.issue_key(c.uow(), c.clock, party_code=code, label=label)
    except DomainError as exc:
        _fail(str(exc))
    out.print(f"key id {issued.id} (shown once): {issued.key}")


@parties_app.command("revoke-key")
def parties_revoke_key(key_id: int, database_url: DbUrl = None) -> None:
    """Revoke an API key by its id."""
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import parties as svc

    c = _container(database_url)
    try:
        info = svc.revoke_key(c.uow(), c.clock, key_id=key_id)
    except DomainError as exc:
        _fail(str(exc))
    out.print(f"key {info.id} of {info.party_code} revoked at {info.revoked_at}")


@inventory_app.command("import")
def inventory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    database_url: DbUrl = None,
) -> None:
    """Import or update hubs from a CSV file: all rows or none, every bad row reported."""
    from chfw_api.domain.errors import ValidationFailed
    from chfw_api.domain.parties import Caller, PartyKind
    from chfw_api.services import inventory as svc

    c = _container(database_url)
    operator = Caller(party_id=0, kind=PartyKind.DCC, code="cli")
    size = file.stat().st_size
    with (
        Progress(
            TextColumn("importing {task.fields[name]}"),
            BarColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=not sys.stderr.isatty(),
        ) as progress,
        file.open("rb") as raw,
    ):
        task = progress.add_task("import", total=size, name=file.name, rows=0)

        def tick(rows: int) -> None:
            progress.update(task, completed=raw.tell(), rows=rows)

        try:
            report = svc.import_hubs_csv(
                c.uow(),
                c.clock,
                caller=operator,
                stream=io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""),
                error_cap=c.settings.import_error_cap,
                progress=tick,
            )
        except ValidationFailed as exc:
            progress.stop()
            console.print(f"[red]{exc.detail}[/red]")
            for p in exc.problems:
                console.print(f"  {p.location}: {p.field or ''} {p.reason}")
            if exc.total and exc.total > len(exc.problems):
                console.print(f"  ... and {exc.total - len(exc.problems)} more")
            raise typer.Exit(1) from None
    out.print(f"{report.rows:,} rows: {report.created:,} created, {report.updated:,} updated")


@app.command("sample-estate")
def sample_estate(
    hubs: Annotated[int, typer.Option(min=0)] = 10_000,
    suppliers: Annotated[int, typer.Option(min=1, max=255)] = 6,
    split_share: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.3,
    seed: int = 1,
    out_dir: Annotated[Path, typer.Option("--out")] = Path("var/sample"),
) -> None:
    """Write a deterministic estate: hubs.csv and parties.json."""
    from chfw_api.estate import write_sample_estate

    summary = write_sample_estate(
        out_dir, hubs=hubs, suppliers=suppliers, split_share=split_share, seed=seed
    )
    out.print(
        f"{summary.hubs:,} hubs ({summary.split_supplier:,} split supplier, "
        f"{summary.electricity_only:,} electricity-only, {summary.gas_only:,} gas-only) "
        f"for {summary.suppliers} suppliers -> {summary.hubs_csv}, {summary.parties_json}"
    )


@audit_app.command("verify")
def audit_verify(database_url: DbUrl = None) -> None:
    """Check the audit trail's hash chain; exit 1 at the first tampered entry."""
    from chfw_api.services.audit import verify

    report = verify(_container(database_url).uow(read_only=True))
    if not report.ok:
        _fail(f"audit chain broken at entry {report.first_break}: {report.reason}")
    out.print(f"audit chain intact: {report.entries:,} entries")


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


@app.command("csp-sim")
def csp_sim(
    csp: Annotated[str, typer.Option(help="the CSP ID whose outbound folder to read")],
    api_key: Annotated[str, typer.Option(envvar="CHFW_CSP_SIM_API_KEY", help="the CSP's API key")],
    api_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8000",
    gateway_root: Annotated[Path | None, typer.Option(help="default: CHFW_GATEWAY_ROOT")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    failure_rate: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option(help="region:North=0.1 or model:KC-200=0.3 (repeatable)"),
    ] = None,
    reason: Annotated[list[str] | None, typer.Option(help="failure reason codes")] = None,
    clock: Annotated[str, typer.Option(help="real, or simulated (jumps to each event)")] = "real",
    once: Annotated[bool, typer.Option(help="one step: read files, post what is due")] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.05)] = 1.0,
) -> None:
    """Simulate a CSP: read its gateway folder, distribute and activate at the instructed
    times, fail some, and post the results back through the inbound API."""
    import httpx

    from chfw_api.domain.clock import FakeClock, SystemClock
    from chfw_api.gateway.simulator import CspSimulator, SimConfig

    s = _settings()
    rates = {}
    for item in rate or []:
        name, _, value = item.partition("=")
        rates[name.strip()] = float(value)
    config = SimConfig(
        csp_id=csp,
        gateway_root=gateway_root or s.gateway_root,
        seed=s.csp_sim_seed if seed is None else seed,
        failure_rate=s.csp_sim_failure_rate if failure_rate is None else failure_rate,
        rates=rates,
        reasons=tuple(reason or ()) or ("Timeout", "ImageVerifyFailed", "HubUnreachable"),
        distribution_lead=timedelta(seconds=s.csp_sim_distribution_lead_seconds),
        batch_size=s.csp_sim_batch_size,
    )
    fake = FakeClock(datetime.now(UTC)) if clock == "simulated" else None
    with httpx.Client(base_url=api_url, timeout=60.0) as client:
        sim = CspSimulator(config, client=client, api_key=api_key, clock=fake or SystemClock())

        def show(r: object) -> None:
            if getattr(r, "posted", 0) or getattr(r, "files", 0):
                console.print(f"csp-sim {csp}: {r}")

        if once:
            show(sim.step())
            return
        total = sim.run(advance=fake.set if fake else None, poll_seconds=poll_seconds, on_step=show)
    out.print(f"csp-sim {csp} done: {total}")


@app.command()
def demo(
    hubs: Annotated[int, typer.Option(min=200, help="hubs in the generated estate")] = 100_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="an empty database (default: a fresh SQLite file in <out>/demo)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="estate and CSP failures")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="work folder and report")] = Path("var"),
    mode: Annotated[str, typer.Option(help="subprocess or thread (API and worker)")] = (
        "subprocess"
    ),
) -> None:
    """Play a whole campaign end to end on an accelerated clock, through the real interfaces;
    print a summary and write <out>/report.html (docs/demo.md)."""
    from chfw_api.demo.main import main

    raise typer.Exit(main(hubs=hubs, database_url=database_url, seed=seed, out=out_dir, mode=mode))


@app.command()
def openapi(
    out_file: Annotated[Path, typer.Option("--out")] = PROJECT_ROOT / "openapi" / "openapi.json",
    check: Annotated[bool, typer.Option(help="fail if the file differs from the code")] = False,
) -> None:
    """Write (or check) the OpenAPI document generated from the code."""
    from chfw_api.api.openapi_doc import render

    text = render()
    if check:
        current = out_file.read_text() if out_file.exists() else ""
        if current != text:
            _fail(f"{out_file} is out of date; run `chfw openapi` and commit it")
        console.print(f"{out_file} matches the code")
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text)
    console.print(f"wrote {out_file}")


if __name__ == "__main__":
    app()
