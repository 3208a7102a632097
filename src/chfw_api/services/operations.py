"""Figures for operators: what /metrics exposes beyond the per-process counters, and the
outbox lag /readyz compares with its limit."""

from __future__ import annotations

from datetime import datetime

from chfw_api.domain.operations import OperationsFigures
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.services.unit_of_work import UnitOfWork


def figures(uow: UnitOfWork, *, caller: Caller, now: datetime) -> OperationsFigures:
    """DCC only: campaign names and every supplier's backlog in one place."""
    caller.require(PartyKind.DCC)
    with uow:
        return uow.operations.figures(now)


def outbox_lag_seconds(uow: UnitOfWork, *, now: datetime) -> float:
    """For the readiness probe (no caller: a probe carries no key, and a number says little)."""
    with uow:
        return uow.operations.outbox_lag_seconds(now)
