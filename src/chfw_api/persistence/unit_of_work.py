"""The SQLAlchemy unit of work: one session, one transaction, repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from chfw_api.domain.alerts import AlertEnvelope
from chfw_api.persistence.database import IMMEDIATE
from chfw_api.persistence.repositories.activation import ActivationRepository
from chfw_api.persistence.repositories.audit import AuditRepository
from chfw_api.persistence.repositories.campaigns import CampaignRepository
from chfw_api.persistence.repositories.deliveries import DeliveryRepository
from chfw_api.persistence.repositories.estate import EstateRepository
from chfw_api.persistence.repositories.gateway import GatewayRepository
from chfw_api.persistence.repositories.guardrails import GuardrailRepository
from chfw_api.persistence.repositories.hubs import HubRepository
from chfw_api.persistence.repositories.incidents import DecisionRepository, IncidentRepository
from chfw_api.persistence.repositories.instruction_jobs import InstructionJobRepository
from chfw_api.persistence.repositories.instructions import InstructionRepository
from chfw_api.persistence.repositories.outbox import AlertRenderer, OutboxRepository
from chfw_api.persistence.repositories.parties import PartyRepository
from chfw_api.persistence.repositories.pilot import PilotRepository
from chfw_api.persistence.repositories.recent import RecentRepository
from chfw_api.persistence.repositories.releases import ReleaseRepository
from chfw_api.persistence.repositories.service_requests import ServiceRequestRepository
from chfw_api.persistence.repositories.subscriptions import FeedRepository, SubscriptionRepository


def _no_renderer(envelope: AlertEnvelope) -> bytes:
    raise RuntimeError("this unit of work was built without an alert renderer")


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

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        read_only: bool = False,
        render: AlertRenderer | None = None,
        originator: str = "90-B3-D5-1F-30-00-00-02",
    ) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._render = render or _no_renderer
        self._originator = originator
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
        self.gateway = GatewayRepository(self._session)
        self.activation = ActivationRepository(self._session)
        self.guardrails = GuardrailRepository(self._session)
        self.recent = RecentRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
