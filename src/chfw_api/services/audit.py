"""Checking the audit trail's hash chain (X1)."""

from __future__ import annotations

from chfw_api.domain.audit import ChainReport, verify_chain
from chfw_api.services.unit_of_work import UnitOfWork


def verify(uow: UnitOfWork) -> ChainReport:
    with uow:
        return verify_chain(uow.audit.entries())
