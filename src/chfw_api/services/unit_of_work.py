"""The unit of work the use cases depend on, as a protocol (tests may pass a fake).

The store protocols it aggregates live in one module per area (registry, campaign, request,
delivery and gateway stores); they are re-exported here so `from chfw_api.services.unit_of_work
import XStore` keeps working."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from chfw_api.domain.events import DomainEvent
from chfw_api.domain.parties import SupplierRole as SupplierRole
from chfw_api.services.campaign_stores import (
    CampaignStore,
    DecisionStore,
    EstateStore,
    IncidentStore,
    RecentStore,
)
from chfw_api.services.delivery_stores import (
    DeliveryStore,
    FeedStore,
    OutboxStore,
    SubscriptionStore,
)
from chfw_api.services.email_stores import EmailStore
from chfw_api.services.gateway_stores import ActivationStore, GatewayStore, GuardrailStore
from chfw_api.services.instruction_job_stores import InstructionJobStore
from chfw_api.services.operations_stores import OperationsStore
from chfw_api.services.registry_stores import (
    AuditStore,
    HubStore,
    HubWriter,
    PartyStore,
    ReleaseStore,
)
from chfw_api.services.request_stores import InstructionStore, PilotStore, RequestStore

__all__ = [
    "ActivationStore",
    "AuditStore",
    "CampaignStore",
    "DecisionStore",
    "DeliveryStore",
    "EmailStore",
    "EstateStore",
    "FeedStore",
    "GatewayStore",
    "GuardrailStore",
    "HubStore",
    "HubWriter",
    "IncidentStore",
    "InstructionStore",
    "OperationsStore",
    "OutboxStore",
    "PartyStore",
    "PilotStore",
    "RecentStore",
    "ReleaseStore",
    "RequestStore",
    "SubscriptionStore",
    "SupplierRole",
    "UnitOfWork",
]


class UnitOfWork(Protocol):
    """`with uow:` opens a transaction; only `commit()` keeps it, leaving the block rolls back."""

    @property
    def parties(self) -> PartyStore: ...
    @property
    def hubs(self) -> HubStore: ...
    @property
    def releases(self) -> ReleaseStore: ...
    @property
    def audit(self) -> AuditStore: ...
    @property
    def outbox(self) -> OutboxStore: ...
    @property
    def campaigns(self) -> CampaignStore: ...
    @property
    def requests(self) -> RequestStore: ...
    @property
    def pilot(self) -> PilotStore: ...
    @property
    def instructions(self) -> InstructionStore: ...
    @property
    def instruction_jobs(self) -> InstructionJobStore: ...
    @property
    def estate(self) -> EstateStore: ...
    @property
    def incidents(self) -> IncidentStore: ...
    @property
    def decisions(self) -> DecisionStore: ...
    @property
    def subscriptions(self) -> SubscriptionStore: ...
    @property
    def deliveries(self) -> DeliveryStore: ...
    @property
    def feed(self) -> FeedStore: ...
    # CSP Management Gateway (issue #6)
    @property
    def gateway(self) -> GatewayStore: ...
    @property
    def activation(self) -> ActivationStore: ...
    @property
    def guardrails(self) -> GuardrailStore: ...
    # DCC operator dashboard (issue #7)
    @property
    def recent(self) -> RecentStore: ...
    @property
    def operations(self) -> OperationsStore: ...  # /metrics and /readyz (#15)
    # Email notices (issue #14)
    @property
    def emails(self) -> EmailStore: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def certificate_problem(self, pem: str) -> str | None:
        """A port: why a supplier's signing certificate could never verify a request (not
        ECDSA P-256, unreadable), or None; the DUIS adapter answers (wired by bootstrap)."""

    def email_address(self, address: str) -> str:
        """A port: the address as it will be used, or `ValidationFailed` naming it and why it
        cannot be one; the mail adapter answers (email-validator, wired by bootstrap)."""

    def record(self, event: DomainEvent) -> None:
        """Note that `event` happened; its consequences (`services.consequences`) run in this
        transaction before it commits."""

    def dispatch(self) -> None:
        """Run the consequences of the events recorded so far now (for a use case that reports
        what a handler did, e.g. files queued); `commit()` runs the rest."""

    def commit(self) -> None:
        """Dispatch the recorded events (and those their handlers record), then commit."""

    def rollback(self) -> None: ...
