"""Keeping stored and published artefacts consistent with the code: database migrations
(`chfw db`), the audit trail's hash chain (`chfw audit verify`) and the OpenAPI document
(`chfw openapi`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chfw_api.cli import DbUrl, _container, _fail, app, console, out
from chfw_api.config import PROJECT_ROOT

db_app: typer.Typer = typer.Typer(help="Database migrations.", no_args_is_help=True)
audit_app: typer.Typer = typer.Typer(help="The audit trail.", no_args_is_help=True)


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


@audit_app.command("verify")
def audit_verify(database_url: DbUrl = None) -> None:
    """Check the audit trail's hash chain; exit 1 at the first tampered entry."""
    from chfw_api.services.audit import verify

    report = verify(_container(database_url).uow(read_only=True))
    if not report.ok:
        _fail(f"audit chain broken at entry {report.first_break}: {report.reason}")
    out.print(f"audit chain intact: {report.entries:,} entries")


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
