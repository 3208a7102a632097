"""The Service Request gate (X2, X3): a verified supplier command in, its result and ResponseID out.

The HTTP adapter has already parsed the XML and mapped it to a typed command; everything that
decides whether and how the command runs happens here, in this order, because each step relies
on the one before: the originator must be the caller and an active supplier (E1, E2, E3); a
supplier with a registered certificate must have signed the request; the counter is consumed;
only then does the command run.

The counter is consumed in a transaction of its own, committed before the command runs, so a
replay acts on nothing even when the first request was refused for another reason (X3). The
checks before it only read, so they take no write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chfw_api.domain.clock import Clock
from chfw_api.domain.parties import Caller
from chfw_api.domain.service_request_results import ServiceResult
from chfw_api.domain.service_requests import ServiceRequest
from chfw_api.services.pilot_lists import PilotSettings
from chfw_api.services.service_requests import authorise, consume_counter, execute
from chfw_api.services.unit_of_work import UnitOfWork

SUPPLIER_ID_LENGTH = 23
"""An EUI-64 User ID's length; other callers (a CSP's code) are not named in a ResponseID."""


class UnitsOfWork(Protocol):
    """Makes a fresh unit of work per transaction; read-only ones take no write lock."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class SignatureCheck(Protocol):
    """Verifies the request's XML signature against a certificate (PEM), raising a
    `DomainError` or the adapter's own rejection when it does not verify. The adapter that
    parsed the request provides it, bound to the document and the time of receipt."""

    def __call__(self, certificate_pem: str) -> None: ...


@dataclass(frozen=True)
class GateAnswer:
    """What the command produced and the ResponseID its answer carries."""

    result: ServiceResult
    response_id: str | None


def response_id(*, dcc_user_id: str, caller: Caller, request_id: str | None) -> str | None:
    """DCC : the caller : the request's counter. None when no RequestID could be found: a
    counter is 1 to 2^64-1 and there is none to echo, so the header leaves ResponseID out."""
    if request_id is None:
        return None
    to = caller.code if len(caller.code) == SUPPLIER_ID_LENGTH else dcc_user_id
    return f"{dcc_user_id}:{to}:{request_id.rsplit(':', 1)[-1]}"


def pass_gate(
    *,
    uows: UnitsOfWork,
    clock: Clock,
    caller: Caller,
    command: ServiceRequest,
    check_signature: SignatureCheck,
    pilot: PilotSettings,
    dcc_user_id: str,
) -> GateAnswer:
    """Run `command` for `caller` if the gate lets it through; a refusal raises
    (`ServiceRequestRefused` or another `DomainError`) having changed nothing but, once the
    signature has verified, the consumed counter."""
    header = command.header
    sender = authorise(uows(read_only=True), caller=caller, header=header)
    if sender.certificate_pem is not None:
        check_signature(sender.certificate_pem)
    consume_counter(uows(), clock, header=header)
    result = execute(uows(), clock, caller=caller, command=command, pilot=pilot)
    return GateAnswer(
        result, response_id(dcc_user_id=dcc_user_id, caller=caller, request_id=header.request_id)
    )
