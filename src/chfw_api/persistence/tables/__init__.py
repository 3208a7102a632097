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
from chfw_api.persistence.tables.delivery import (
    DeliveryRow,
    FeedCursorRow,
    WebhookEndpointCodeRow,
    WebhookEndpointRow,
)
from chfw_api.persistence.tables.email import EmailContactRow, EmailOutboxRow
from chfw_api.persistence.tables.gateway import (
    ActivationResultRow,
    CspUploadRow,
    GatewayFileRow,
    GuardrailRuleRow,
    InstructionPartRow,
    SlicePauseRow,
)
from chfw_api.persistence.tables.instruction_jobs import InstructionJobGuidRow, InstructionJobRow
from chfw_api.persistence.tables.inventory import HubRow
from chfw_api.persistence.tables.parties import ApiKeyRow, CspRegionRow, PartyRow
from chfw_api.persistence.tables.releases import FirmwareReleaseRow
from chfw_api.persistence.tables.service_requests import (
    InstructionRow,
    InstructionVoteRow,
    PilotScheduleRequestRow,
    PreferredPilotHubRow,
    PreferredPilotListRow,
    ReportRow,
    RequestCounterRow,
)
from chfw_api.persistence.tables.tallies import NO_SUPPLIER, CampaignHubTallyRow

__all__ = [
    "NO_SUPPLIER",
    "ActivationResultRow",
    "AlertRow",
    "ApiKeyRow",
    "AuditRow",
    "Base",
    "BigId",
    "CampaignHubRow",
    "CampaignHubTallyRow",
    "CampaignRow",
    "CampaignSupplierRow",
    "CspRegionRow",
    "CspUploadRow",
    "DecisionRow",
    "DeliveryRow",
    "EmailContactRow",
    "EmailOutboxRow",
    "FeedCursorRow",
    "FirmwareReleaseRow",
    "GatewayFileRow",
    "GuardrailRuleRow",
    "HubRow",
    "IncidentRow",
    "InstructionJobGuidRow",
    "InstructionJobRow",
    "InstructionPartRow",
    "InstructionRow",
    "InstructionVoteRow",
    "PartyRow",
    "PilotScheduleRequestRow",
    "PreferredPilotHubRow",
    "PreferredPilotListRow",
    "ReportRow",
    "RequestCounterRow",
    "SlicePauseRow",
    "UtcDateTime",
    "WebhookEndpointCodeRow",
    "WebhookEndpointRow",
]
