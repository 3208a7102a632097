"""The SQLAlchemy unit of work: one session, one transaction, repositories bound to it."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from chfw_api.domain.alerts import AlertEnvelope
from chfw_api.domain.email_render import Sender
from chfw_api.domain.events import DomainEvent
from chfw_api.persistence.database import IMMEDIATE
from chfw_api.persistence.repositories.activation import ActivationRepository
from chfw_api.persistence.repositories.audit import AuditRepository
from chfw_api.persistence.repositories.campaigns import CampaignRepository
from chfw_api.persistence.repositories.deliveries import DeliveryRepository
from chfw_api.persistence.repositories.email import EmailRepository
from chfw_api.persistence.repositories.estate import EstateRepository
from chfw_api.persistence.repositories.gateway import FileRenderer, GatewayRepository
from chfw_api.persistence.repositories.guardrails import GuardrailRepository
from chfw_api.persistence.repositories.hubs import HubRepository
from chfw_api.persistence.repositories.incidents import DecisionRepository, IncidentRepository
from chfw_api.persistence.repositories.instruction_jobs import InstructionJobRepository
from chfw_api.persistence.repositories.instructions import InstructionRepository
from chfw_api.persistence.repositories.operations import OperationsRepository
from chfw_api.persistence.repositories.outbox import AlertRenderer, OutboxRepository
from chfw_api.persistence.repositories.parties import PartyRepository
from chfw_api.persistence.repositories.pilot import PilotRepository
from chfw_api.persistence.repositories.recent import RecentRepository
from chfw_api.persistence.repositories.releases import ReleaseRepository
from chfw_api.persistence.repositories.service_requests import ServiceRequestRepository
from chfw_api.persistence.repositories.subscriptions import FeedRepository, SubscriptionRepository


def _no_renderer(envelope: AlertEnvelope) -> bytes:
    raise RuntimeError("this unit of work was built without an alert renderer")


def _no_consequences(event: DomainEvent, uow: SqlAlchemyUnitOfWork) -> None:
    raise RuntimeError(f"this unit of work was built without the handler table ({event.name})")


class SqlAlchemyUnitOfWork:
    parties: PartyRepository
    hubs: HubRepository
    releases: ReleaseRepository
    audit: AuditRepository
    campaigns: CampaignRepository
    incidents: IncidentRepository
    decisions: DecisionRepository
    outbox: OutboxRepository
    requests: ServiceRequestRepository
    pilot: PilotRepository
    instructions: InstructionRepository
    estate: EstateRepository
    subscriptions: SubscriptionRepository
    deliveries: DeliveryRepository
    feed: FeedRepository
    # CSP Management Gateway (issue #6)
    gateway: GatewayRepository
    activation: ActivationRepository
    guardrails: GuardrailRepository
    # DCC operator dashboard (issue #7)
    recent: RecentRepository
    operations: OperationsRepository
    # Email notices (issue #14)
    emails: EmailRepository

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        read_only: bool = False,
        render: AlertRenderer | None = None,
        originator: str = "90-B3-D5-1F-30-00-00-02",
        handle: Callable[[DomainEvent, SqlAlchemyUnitOfWork], None] = _no_consequences,
        render_file: FileRenderer | None = None,
        certificate_problem: Callable[[str], str | None] | None = None,
        email_address: Callable[[str], str] | None = None,
        email_sender: Sender | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._render = render or _no_renderer
        self._originator = originator
        self._handle = handle  # services.consequences.handle: the one handler table
        self._render_file = render_file
        self._certificate_problem = certificate_problem
        self._email_address = email_address
        self._events: deque[DomainEvent] = deque()
        self._email_sender = email_sender or Sender("chfw-notices@dcc.example")
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._session = self._session_factory()
        if not self._read_only:
            # Begin now, as a writer (BEGIN IMMEDIATE on SQLite; a no-op option elsewhere).
            self._session.connection(execution_options={IMMEDIATE: True})
        self.parties = PartyRepository(self._session)
        self.hubs = HubRepository(self._session)
        self.releases = ReleaseRepository(self._session)
        self.audit = AuditRepository(self._session)
        self.campaigns = CampaignRepository(self._session)
        self.incidents = IncidentRepository(self._session)
        self.decisions = DecisionRepository(self._session)
        self.outbox = OutboxRepository(
            self._session, render=self._render, originator=self._originator
        )
        self.requests = ServiceRequestRepository(self._session)
        self.pilot = PilotRepository(self._session)
        self.instructions = InstructionRepository(self._session)
        self.instruction_jobs = InstructionJobRepository(self._session)
        self.estate = EstateRepository(self._session)
        self.subscriptions = SubscriptionRepository(self._session)
        self.deliveries = DeliveryRepository(self._session)
        self.feed = FeedRepository(self._session)
        self.gateway = (
            GatewayRepository(self._session, render=self._render_file)
            if self._render_file
            else GatewayRepository(self._session)
        )
        self.activation = ActivationRepository(self._session)
        self.guardrails = GuardrailRepository(self._session)
        self.recent = RecentRepository(self._session)
        self.operations = OperationsRepository(self._session)
        self.emails = EmailRepository(self._session, self._email_sender)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._events.clear()  # what was not committed did not happen
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None

    def certificate_problem(self, pem: str) -> str | None:
        if self._certificate_problem is None:
            raise RuntimeError("this unit of work was built without a certificate check")
        return self._certificate_problem(pem)

    def email_address(self, address: str) -> str:
        if self._email_address is None:
            raise RuntimeError("this unit of work was built without an email address check")
        return self._email_address(address)

    def record(self, event: DomainEvent) -> None:
        """Note that `event` happened; its consequences run when this unit of work commits."""
        self._events.append(event)

    def dispatch(self) -> None:
        """Run the handlers of every event recorded so far, in order, and of the events they
        record in turn, inside this transaction."""
        while self._events:
            self._handle(self._events.popleft(), self)

    def commit(self) -> None:
        self.dispatch()
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
