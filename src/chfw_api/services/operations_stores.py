"""The store behind the operator's figures (/metrics, /readyz)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chfw_api.domain.operations import OperationsFigures


class OperationsStore(Protocol):
    def outbox_lag_seconds(self, now: datetime) -> float: ...
    def figures(self, now: datetime) -> OperationsFigures: ...
