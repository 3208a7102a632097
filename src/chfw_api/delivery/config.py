"""How a delivery worker is tuned (from Settings) and what it reports when it stops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chfw_api.domain.retry import RetryPolicy

if TYPE_CHECKING:
    from chfw_api.config import Settings


@dataclass(frozen=True)
class WorkerConfig:
    claim_size: int = 1000
    endpoint_claim_requests: int = 1000
    concurrency: int = 128
    endpoint_concurrency: int = 16
    lease_seconds: float = 120.0
    timeout: float = 10.0
    connect_timeout: float = 5.0
    poll_seconds: float = 0.5
    allowed_networks: tuple[str, ...] = ()
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_settings(cls, s: Settings) -> WorkerConfig:
        return cls(
            claim_size=s.delivery_claim_size,
            endpoint_claim_requests=s.delivery_endpoint_claim_requests,
            concurrency=s.delivery_concurrency,
            endpoint_concurrency=s.delivery_endpoint_concurrency,
            lease_seconds=s.delivery_lease_seconds,
            timeout=s.webhook_timeout_seconds,
            connect_timeout=s.webhook_connect_timeout_seconds,
            poll_seconds=s.delivery_poll_seconds,
            allowed_networks=tuple(s.webhook_allowed_networks),
            policy=RetryPolicy(tuple(s.webhook_retry_schedule), s.webhook_retry_jitter),
        )


@dataclass
class WorkerReport:
    requests: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    claims: int = 0
