"""`chfw email`: parties' email contacts, the email outbox's dead letters and replay, and a
send on demand (the worker sends on its own every second)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from chfw_api.cli import DbUrl, _container, _fail, out

email_app: typer.Typer = typer.Typer(
    help="Email notices: contacts, dead letters.", no_args_is_help=True
)


@email_app.command("add-contact")
def add_contact(
    party: str,
    address: str,
    name: str = "",
    notice: Annotated[
        list[str] | None, typer.Option(help="a notice kind (N70...); repeat; default Option 1's")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Add an email contact to a party."""
    from chfw_api.cli.estate import _operator
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import email_contacts as svc

    c = _container(database_url)
    try:
        contact = svc.add_contact(
            c.uow(),
            c.clock,
            party_code=party,
            address=address,
            name=name,
            notices=notice or None,
            actor=_operator().code,
        )
    except DomainError as exc:
        _fail(exc.detail, getattr(exc, "problems", None))
    out.print(f"contact {contact.id}: {contact.address} gets {', '.join(sorted(contact.notices))}")


@email_app.command("contacts")
def contacts(party: str, database_url: DbUrl = None) -> None:
    """List a party's email contacts."""
    from chfw_api.cli.estate import _operator
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import email_contacts as svc

    c = _container(database_url)
    try:
        found = svc.list_contacts(c.uow(), _operator(), party_code=party)
    except DomainError as exc:
        _fail(exc.detail)
    for x in found:  # one line each, tab-separated: easy to read and to script
        out.print(f"{x.id}\t{x.address}\t{x.name}\t{','.join(sorted(x.notices))}", soft_wrap=True)


@email_app.command("remove-contact")
def remove_contact(party: str, contact_id: int, database_url: DbUrl = None) -> None:
    """Remove an email contact (emails already queued to it are still sent)."""
    from chfw_api.cli.estate import _operator
    from chfw_api.domain.errors import DomainError
    from chfw_api.services import email_contacts as svc

    c = _container(database_url)
    try:
        svc.remove_contact(
            c.uow(), c.clock, party_code=party, contact_id=contact_id, actor=_operator().code
        )
    except DomainError as exc:
        _fail(exc.detail)
    out.print(f"contact {contact_id} removed")


@email_app.command("dead-letters")
def dead_letters(database_url: DbUrl = None) -> None:
    """Emails given up on, oldest first, with their last error."""
    from chfw_api.services.email_delivery import dead_letters as read

    c = _container(database_url)
    table = Table("id", "notice", "campaign", "party", "address", "attempts", "last error")
    for d in read(c.uow(read_only=True)):
        table.add_row(
            str(d.id),
            d.code,
            d.campaign_id or "",
            d.party_code,
            d.address,
            str(d.attempts),
            d.last_error or "",
        )
    out.print(table)


@email_app.command("replay")
def replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="dead letters to replay; none: all")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Send dead letters again (same Message-ID, fresh retry schedule)."""
    from chfw_api.cli.estate import _operator
    from chfw_api.services.email_delivery import replay_dead_letters

    c = _container(database_url)
    n = replay_dead_letters(c.uow(), c.clock, ids=ids or None, actor=_operator().code)
    out.print(f"{n} emails due again")


@email_app.command("send")
def send(database_url: DbUrl = None) -> None:
    """Send every email due now with the configured SMTP server (CHFW_SMTP_HOST...)."""
    from chfw_api.mail.job import send_emails

    report = send_emails(_container(database_url))
    if report is None:
        _fail("no SMTP server configured: set CHFW_SMTP_HOST")
    out.print(f"{report.sent} sent, {report.retrying} to retry, {report.dead} dead")
