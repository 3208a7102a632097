"""The estate: registering parties and their API keys, importing the hub inventory, and
generating a deterministic sample estate to load."""

from __future__ import annotations

import getpass
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chfw_api.cli import DbUrl, _container, _fail, app, console, out

if TYPE_CHECKING:
    from chfw_api.domain.parties import Caller

parties_app: typer.Typer = typer.Typer(help="Parties and API keys.", no_args_is_help=True)
inventory_app: typer.Typer = typer.Typer(help="Smart Metering Inventory.", no_args_is_help=True)


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
            actor=_operator().code,
        )
        out.print(f"registered {party.kind} {party.code}")
        if key:
            issued = svc.issue_key(
                c.uow(), c.clock, party_code=party.code, label="cli", actor=_operator().code
            )
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
    from chfw_api.services.email_contacts import load_contacts

    document = json.loads(file.read_text())
    created = svc.load_parties(c.uow(), c.clock, document=document)
    contacts = load_contacts(c.uow(), c.clock, document=document)  # issue #14
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
        f"{len(created)} parties registered, {contacts} email contacts"
        + (f"; keys in {keys_file}" if keys_file else "")
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
        issued = svc.issue_key(
            c.uow(), c.clock, party_code=code, label=label, actor=_operator().code
        )
    except DomainError as exc:
        _fail(str(exc))
    out.print(f"key id {issued.id} (shown once): {issued.key}")


@parties_app.command("revoke-key")
def parties_revoke_key(
    key_id: int,
    reason: Annotated[str, typer.Option(help="why: kept in the audit trail (required)")],
    database_url: DbUrl = None,
) -> None:
    """Revoke an API key by its id (never an active DCC party's last live key)."""
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import parties as svc

    c = _container(database_url)
    try:
        info = svc.revoke_key(c.uow(), c.clock, caller=_operator(), key_id=key_id, reason=reason)
    except DomainError as exc:
        _fail(str(exc), getattr(exc, "problems", None))
    out.print(f"key {info.id} of {info.party_code} revoked at {info.revoked_at}")


def _operator() -> Caller:
    """Whoever runs the CLI, as the audit trail names them: `cli:<login>`."""
    from chfw_api.domain.parties import Caller, PartyKind

    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment
        login = "unknown"
    return Caller(party_id=0, kind=PartyKind.DCC, code=f"cli:{login}")


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
