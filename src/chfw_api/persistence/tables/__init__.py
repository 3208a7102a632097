"""Typed SQLAlchemy models, one module per concept; import them from here."""

from chfw_api.persistence.tables.alerts import AlertRow
from chfw_api.persistence.tables.audit import AuditRow
from chfw_api.persistence.tables.base import Base, BigId, UtcDateTime
from chfw_api.persistence.tables.campaigns import (
    CampaignHubRow,
    CampaignRow,
    CampaignSupplierRow,
    DecisionRow,
    IncidentRow,
)
from chfw_api.persistence.tables.inventory import HubRow
from chfw_api.persistence.tables.parties import ApiKeyRow, CspRegionRow, PartyRow
from chfw_api.persistence.tables.releases import FirmwareReleaseRow

__all__ = [
    "AlertRow",
    "ApiKeyRow",
    "AuditRow",
    "Base",
    "BigId",
    "CampaignHubRow",
    "CampaignRow",
    "CampaignSupplierRow",
    "CspRegionRow",
    "DecisionRow",
    "FirmwareReleaseRow",
    "HubRow",
    "IncidentRow",
    "PartyRow",
    "UtcDateTime",
]
