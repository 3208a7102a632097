"""Email contacts (issue #14): DCC manages each party's mailboxes and the notices each wants;
a supplier reads its own (another party's are not found, X2). Every change is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.email_notices import NOTICE_KINDS, OPTION1_KINDS, EmailContact
from chfw_api.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from chfw_api.domain.parties import Caller, Party, PartyKind
from chfw_api.services.unit_of_work import UnitOfWork


def _party(uow: UnitOfWork, code: str, caller: Caller | None = None) -> Party:
    party = uow.parties.get_by_code(code.upper())
    visible = (
        caller is None
        or caller.kind is PartyKind.DCC
        or caller.party_id == getattr(party, "id", None)
    )
    if party is None or not visible:
        raise NotFound(f"party {code} does not exist")
    return party


def _notices(notices: Sequence[str] | None) -> frozenset[str]:
    if notices is None:
        return OPTION1_KINDS
    unknown = sorted(set(notices) - set(NOTICE_KINDS))
    if unknown or not notices:
        reason = (
            f"unknown notice kinds {unknown}" if unknown else "at least one notice kind"
        ) + f"; choose from {sorted(NOTICE_KINDS)}"
        raise ValidationFailed(reason, [Problem(reason=reason, field="notices")])
    return frozenset(notices)


def _audit(
    uow: UnitOfWork, action: str, party: Party, after: dict[str, object], actor: str, now: datetime
) -> None:
    uow.audit.append(
        [
            AuditRecord(
                at=now,
                actor=actor,
                action=f"email_contact.{action}",
                subject=f"party:{party.code}",
                after=after,
            )
        ]
    )


def list_contacts(uow: UnitOfWork, caller: Caller, *, party_code: str) -> list[EmailContact]:
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER)
    with uow:
        party = _party(uow, party_code, caller)
        return uow.emails.contacts([party.id])


def add_contact(
    uow: UnitOfWork,
    clock: Clock,
    *,
    party_code: str,
    address: str,
    name: str = "",
    notices: Sequence[str] | None = None,
    actor: str,
) -> EmailContact:
    """A new mailbox for a party; the Option 1 notices (N70, N75, N78, N79) unless named."""
    address = uow.email_address(address)
    kinds = _notices(notices)
    now = clock.now()
    with uow:
        party = _party(uow, party_code)
        if uow.emails.find_contact(party.id, address) is not None:
            raise Conflict(f"{party.code} already has the email contact {address}")
        contact_id = uow.emails.add_contact(party.id, address, name, kinds, now)
        _audit(uow, "added", party, {"address": address, "notices": sorted(kinds)}, actor, now)
        uow.commit()
    return EmailContact(contact_id, party.id, party.code, address, name, kinds)


def _existing(uow: UnitOfWork, party: Party, contact_id: int) -> EmailContact:
    found = [c for c in uow.emails.contacts([party.id]) if c.id == contact_id]
    if not found:
        raise NotFound(f"party {party.code} has no email contact {contact_id}")
    return found[0]


def change_contact(
    uow: UnitOfWork,
    clock: Clock,
    *,
    party_code: str,
    contact_id: int,
    name: str | None,
    notices: Sequence[str] | None,
    actor: str,
) -> EmailContact:
    """Rename a contact or change the notices it wants (its address is its identity)."""
    now = clock.now()
    with uow:
        party = _party(uow, party_code)
        old = _existing(uow, party, contact_id)
        kinds = old.notices if notices is None else _notices(notices)
        new_name = old.name if name is None else name
        uow.emails.update_contact(contact_id, new_name, kinds)
        _audit(
            uow, "changed", party, {"address": old.address, "notices": sorted(kinds)}, actor, now
        )
        uow.commit()
    return EmailContact(contact_id, party.id, party.code, old.address, new_name, kinds)


def remove_contact(
    uow: UnitOfWork, clock: Clock, *, party_code: str, contact_id: int, actor: str
) -> None:
    """Queued messages to the address stay queued (and are sent): the notice was owed."""
    now = clock.now()
    with uow:
        party = _party(uow, party_code)
        old = _existing(uow, party, contact_id)
        uow.emails.delete_contact(contact_id)
        _audit(uow, "removed", party, {"address": old.address}, actor, now)
        uow.commit()


def load_contacts(uow: UnitOfWork, clock: Clock, *, document: dict[str, Any]) -> int:
    """The `email_contacts` of each supplier in a parties.json not registered yet (idempotent,
    like `load_parties`); returns how many were added."""
    added = 0
    for supplier in document.get("suppliers", []):
        for spec in supplier.get("email_contacts", []):
            address = uow.email_address(spec["address"])
            with uow:
                party = _party(uow, supplier["user_id"])
                exists = uow.emails.find_contact(party.id, address) is not None
            if not exists:
                add_contact(
                    uow,
                    clock,
                    party_code=party.code,
                    address=address,
                    name=spec.get("name", ""),
                    notices=spec.get("notices"),
                    actor="parties.json",
                )
                added += 1
    return added
