"""Email contacts (issue #14): DCC manages each party's mailboxes and the notices each wants
(Option 1 sends A01, A06/A07, A11 and A12 by email); a supplier reads its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from chfw_api.api.deps import CallerDep, ContainerDep, DccDep, ReadUowDep, UowDep
from chfw_api.api.fields import CSP_ID, RequestBody, rules
from chfw_api.domain.email_notices import NOTICE_KINDS, OPTION1_KINDS, EmailContact
from chfw_api.services import email_contacts as svc

router = APIRouter(prefix="/api/v1", tags=["email contacts"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a DCC key"},
    404: {"description": "no such party, or no such contact of it"},
}
ADDRESS_RULE = "a deliverable-looking address (email-validator: syntax and domain name)"
NOTICES_RULE = "at least one kind"
Code = Annotated[str, Path(pattern=CSP_ID, description="User ID or CSP ID")]
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Notice = Annotated[str, Field(pattern="^(" + "|".join(sorted(NOTICE_KINDS)) + ")$")]
Notices = Annotated[
    list[Notice],
    Field(
        min_length=1,
        max_length=len(NOTICE_KINDS),
        description="the DCC Alerts mirrored by email: "
        + "; ".join(f"{k} {v}" for k, v in sorted(NOTICE_KINDS.items())),
    ),
]
Name = Annotated[str, Field(max_length=200)]


class ContactCreate(RequestBody):
    address: str = Field(min_length=3, max_length=320, description="the mailbox")
    name: Name = ""
    notices: Notices = Field(
        default_factory=lambda: sorted(OPTION1_KINDS),
        description="default: the notices Option 1 sends by email (N70, N75, N78, N79)",
    )


class ContactChange(RequestBody):
    name: Name | None = None
    notices: Notices | None = None


class ContactRead(BaseModel):
    id: int
    party: str
    address: str
    name: str
    notices: list[str]

    @classmethod
    def of(cls, c: EmailContact) -> ContactRead:
        return cls(
            id=c.id, party=c.party_code, address=c.address, name=c.name, notices=sorted(c.notices)
        )


@router.get(
    "/parties/{code}/email-contacts",
    responses={**PROBLEMS, 403: {"description": "a CSP key"}},
)
def list_contacts(code: Code, caller: CallerDep, uow: ReadUowDep) -> list[ContactRead]:
    """A party's email contacts and the notices each receives."""
    return [ContactRead.of(c) for c in svc.list_contacts(uow, caller, party_code=code)]


@router.post(
    "/parties/{code}/email-contacts",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 409: {"description": "the party already has this address"}},
    openapi_extra=rules(address=ADDRESS_RULE),
)
def add_contact(
    code: Code, body: ContactCreate, caller: DccDep, uow: UowDep, c: ContainerDep
) -> ContactRead:
    """Add an email contact to a party (audited)."""
    contact = svc.add_contact(
        uow,
        c.clock,
        party_code=code,
        address=body.address,
        name=body.name,
        notices=body.notices,
        actor=caller.code,
    )
    return ContactRead.of(contact)


@router.patch("/parties/{code}/email-contacts/{contact_id}", responses=PROBLEMS)
def change_contact(
    code: Code,
    contact_id: ContactId,
    body: ContactChange,
    caller: DccDep,
    uow: UowDep,
    c: ContainerDep,
) -> ContactRead:
    """Rename a contact or change the notices it receives (audited)."""
    contact = svc.change_contact(
        uow,
        c.clock,
        party_code=code,
        contact_id=contact_id,
        name=body.name,
        notices=body.notices,
        actor=caller.code,
    )
    return ContactRead.of(contact)


@router.delete(
    "/parties/{code}/email-contacts/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=PROBLEMS,
)
def remove_contact(
    code: Code, contact_id: ContactId, caller: DccDep, uow: UowDep, c: ContainerDep
) -> Response:
    """Remove a contact; emails already queued to it are still sent (audited)."""
    svc.remove_contact(uow, c.clock, party_code=code, contact_id=contact_id, actor=caller.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
