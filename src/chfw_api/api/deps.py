"""FastAPI dependencies as Annotated aliases: the container, the unit of work, the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chfw_api.bootstrap import Container
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.observability import logs as log_context
from chfw_api.services import parties as party_service
from chfw_api.services.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="API key bound to one party: chfw_...")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow()


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def get_read_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow(read_only=True)


ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]


def get_caller(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    key = credentials.credentials if credentials is not None else None
    caller = party_service.authenticate(container.uow(read_only=True), key=key)
    log_context.note(party=caller.code)  # its code, never its key
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_dcc(caller: CallerDep) -> Caller:
    caller.require(PartyKind.DCC)
    return caller


DccDep = Annotated[Caller, Depends(require_dcc)]


def require_csp(caller: CallerDep) -> Caller:
    """For endpoints that read a large body: the role is checked before a byte is parsed."""
    caller.require(PartyKind.CSP)
    return caller


CspDep = Annotated[Caller, Depends(require_csp)]
