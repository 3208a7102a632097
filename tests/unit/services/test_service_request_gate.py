"""The Service Request gate against the in-memory unit of work: who may send (E1, E2, E3), the
signature a registered certificate makes mandatory, the replay counter (X3), and the ResponseID."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chfw_api.domain.clock import FakeClock
from chfw_api.domain.errors import DomainError
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.parties import Caller, Party, PartyKind, PartyStatus
from chfw_api.domain.releases import Severity
from chfw_api.domain.service_request_results import (
    IncidentRaised,
    Refusal,
    ServiceRequestRefused,
)
from chfw_api.domain.service_requests import RaiseIncident, ServiceReference
from chfw_api.services.pilot_lists import PilotSettings
from chfw_api.services.service_request_gate import GateAnswer, pass_gate, response_id
from tests.unit.services.estate import (
    ALPHA,
    ALPHA_HUBS,
    BETA,
    BETA_HUBS,
    DCC,
    T0,
    a_campaign,
    caller,
    header,
    world,
)
from tests.unit.services.fakes import FakeUnitOfWork


class BadSignature(DomainError):
    code = "bad-signature"


class Signatures:
    """The adapter's signature check, as the gate sees it: which certificates it was asked to
    verify with, and whether they verify."""

    def __init__(self, *, valid: bool = True) -> None:
        self.valid = valid
        self.asked: list[str] = []

    def __call__(self, certificate_pem: str) -> None:
        self.asked.append(certificate_pem)
        if not self.valid:
            raise BadSignature("the signature does not verify")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def uow(clock: FakeClock) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(world())
    cid = a_campaign(uow, clock, with_pilot=False)
    for g in (ALPHA_HUBS[2], BETA_HUBS[2]):
        uow.world.in_campaign(cid)[g].status = HubStatus.ACTIVATED
    clock.advance(timedelta(days=1))
    return uow


def _incident(
    party: Party = ALPHA, counter: int = 7, campaign_id: str = "CMP-000001"
) -> RaiseIncident:
    return RaiseIncident(
        header=header(party, ServiceReference.RAISE_INCIDENT, counter),
        campaign_id=campaign_id,
        severity=Severity.HIGH,
        description="hubs drop off the network",
    )


def _send(
    uow: FakeUnitOfWork,
    clock: FakeClock,
    command: RaiseIncident,
    *,
    by: Party | Caller = ALPHA,
    signatures: Signatures | None = None,
) -> GateAnswer:
    return pass_gate(
        uows=uow,
        clock=clock,
        caller=by if isinstance(by, Caller) else caller(by),
        command=command,
        check_signature=signatures or Signatures(valid=False),
        pilot=PilotSettings(),
        dcc_user_id=DCC.code,
    )


def _refusal(uow: FakeUnitOfWork, clock: FakeClock, command: RaiseIncident, **kw: Any) -> Refusal:
    with pytest.raises(ServiceRequestRefused) as refused:
        _send(uow, clock, command, **kw)
    return refused.value.refusal


def test_an_unsigned_supplier_request_runs_and_is_answered_with_its_counter(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    signatures = Signatures(valid=False)  # never asked: Alpha has no certificate
    answer = _send(uow, clock, _incident(counter=7), signatures=signatures)
    assert isinstance(answer.result, IncidentRaised)
    assert answer.result.incident_id in uow.world.incidents
    assert answer.response_id == f"{DCC.code}:{ALPHA.code}:7"
    assert uow.world.counters == {ALPHA.code: 7}
    assert signatures.asked == []


# covers: X3
def test_a_replayed_counter_acts_once(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    _send(uow, clock, _incident(counter=7))
    assert _refusal(uow, clock, _incident(counter=7)) is Refusal.REPLAYED
    assert _refusal(uow, clock, _incident(counter=6)) is Refusal.REPLAYED
    assert len(uow.world.incidents) == 1
    _send(uow, clock, _incident(counter=8))
    assert len(uow.world.incidents) == 2


def test_the_counter_is_spent_even_when_the_command_is_then_refused(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    unknown = _incident(counter=9, campaign_id="CMP-000077")
    assert _refusal(uow, clock, unknown) is Refusal.CAMPAIGN_UNKNOWN
    assert uow.world.counters == {ALPHA.code: 9}
    assert _refusal(uow, clock, _incident(counter=9)) is Refusal.REPLAYED
    assert uow.world.incidents == {}


def test_a_registered_certificate_makes_the_signature_mandatory(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    refused = Signatures(valid=False)
    with pytest.raises(BadSignature):
        _send(uow, clock, _incident(BETA, counter=3), by=BETA, signatures=refused)
    assert refused.asked == [BETA.signing_certificate_pem]
    assert uow.world.counters == {}  # a forged request does not burn the supplier's counter
    accepted = Signatures(valid=True)
    answer = _send(uow, clock, _incident(BETA, counter=3), by=BETA, signatures=accepted)
    assert accepted.asked == [BETA.signing_certificate_pem]
    assert answer.response_id == f"{DCC.code}:{BETA.code}:3"


@pytest.mark.parametrize(
    ("sender", "refusal"),
    [
        (caller(BETA), Refusal.UNKNOWN_USER),  # the RequestID names Alpha (E1)
        (Caller(1, PartyKind.DCC, ALPHA.code), Refusal.ROLE_NOT_ALLOWED),  # E2
        (Caller(2, PartyKind.SUPPLIER, ALPHA.code, PartyStatus.SUSPENDED), Refusal.USER_NOT_ACTIVE),
    ],
)
def test_who_may_send_is_checked_before_the_counter(
    uow: FakeUnitOfWork, clock: FakeClock, sender: Caller, refusal: Refusal
) -> None:
    assert _refusal(uow, clock, _incident(counter=5), by=sender) is refusal
    assert uow.world.counters == {}
    assert uow.world.incidents == {}


def test_the_response_id_names_dcc_the_supplier_and_the_counter() -> None:
    alpha = caller(ALPHA)
    assert response_id(dcc_user_id=DCC.code, caller=alpha, request_id=None) is None
    assert (
        response_id(dcc_user_id=DCC.code, caller=alpha, request_id=f"{ALPHA.code}:{DCC.code}:42")
        == f"{DCC.code}:{ALPHA.code}:42"
    )
    csp = Caller(9, PartyKind.CSP, "CSP-N")  # not a User ID: DCC stands in
    assert response_id(dcc_user_id=DCC.code, caller=csp, request_id="x:y:3") == (
        f"{DCC.code}:{DCC.code}:3"
    )
