"""The `chfw` command: the Typer `app` and the helpers its command modules share.

The commands live in one module per area (server, estate, jobs, simulation, maintenance);
importing them at the bottom of this file registers them on `app`. `chfw = "chfw_api.cli:app"`
is the console script, and `worker_jobs` is re-exported for the demo and docs/delivery.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from chfw_api.config import Settings

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["DbUrl", "app", "console", "out", "worker_jobs"]

# Annotated because the command modules import these while this module is still loading.
app: typer.Typer = typer.Typer(
    help="CH firmware campaign service (SECMP0024).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console: Console = Console(stderr=True)
out: Console = Console()

DbUrl = Annotated[str | None, typer.Option("--database-url", help="overrides CHFW_DATABASE_URL")]


def _settings(database_url: str | None = None) -> Settings:
    """The settings, or one line per bad variable and exit 1 (never a validation dump)."""
    from pydantic import ValidationError

    try:
        return Settings(database_url=database_url) if database_url else Settings()
    except ValidationError as exc:
        for line in settings_problems(exc):
            console.print(f"[red]error:[/red] {line}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None


def settings_problems(exc: ValidationError) -> list[str]:
    """Each settings error as `CHFW_NAME: reason`; a rule over several variables (loc empty)
    names them itself."""
    lines = []
    for e in exc.errors(include_url=False):
        reason = str(e.get("msg", "")).removeprefix("Value error, ")
        loc = e.get("loc") or ()
        name = f"CHFW_{str(loc[0]).upper()}" if loc else ""
        lines.append(f"{name}: {reason}" if name else reason)
    return lines


def _container(database_url: str | None = None):  # type: ignore[no-untyped-def]
    from chfw_api.bootstrap import build

    return build(_settings(database_url))


def _fail(message: str, problems: list[object] | None = None) -> NoReturn:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    for p in problems or []:
        console.print(f"  {p}")
    raise typer.Exit(1)


# Importing a command module registers its commands, and `chfw --help` lists the top-level
# commands in registration order: keep this import order (serve, worker, sample-estate, tick,
# csp-sim, demo, openapi), then the groups in the add_typer order below.
# isort: off
from chfw_api.cli import server  # noqa: E402, F401
from chfw_api.cli import estate  # noqa: E402
from chfw_api.cli.jobs import worker_jobs  # noqa: E402
from chfw_api.cli import simulation  # noqa: E402, F401
from chfw_api.cli import maintenance  # noqa: E402
from chfw_api.cli import email  # noqa: E402
# isort: on

app.add_typer(maintenance.db_app, name="db")
app.add_typer(estate.parties_app, name="parties")
app.add_typer(estate.inventory_app, name="inventory")
app.add_typer(maintenance.audit_app, name="audit")
app.add_typer(email.email_app, name="email")
