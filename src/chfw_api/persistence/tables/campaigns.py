"""Campaigns, their eligible-hub snapshots, per-supplier summaries, incidents and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.domain.hub_status import HubStatus
from chfw_api.persistence.tables.base import Base, UtcDateTime


class CampaignRow(Base):
    """One campaign aggregate; `version` guards against lost updates (optimistic locking)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(40), unique=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("firmware_releases.id"), index=True)
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(8))
    operational_or_security: Mapped[bool] = mapped_column(Boolean)
    targeting: Mapped[dict[str, Any]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(24), index=True)
    resume_stage: Mapped[str | None] = mapped_column(String(24), nullable=True)
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    automatic_deployment_date: Mapped[datetime] = mapped_column(UtcDateTime())
    stage_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pilot_planned: Mapped[bool] = mapped_column(Boolean)
    pilot_start: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    pilot_end: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    pilot_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    pilot_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    safe_launch_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    safe_launch_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    safe_launch_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    eligible_hubs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_decision: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version_counter: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_counter}


class CampaignHubRow(Base):
    """A hub eligible for a campaign, as it stood at notification (the eligible snapshot).

    Supplier columns are the suppliers at notification; instructions record the supplier at
    the time of each decision separately (RA04).
    """

    __tablename__ = "campaign_hubs"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    guid: Mapped[str] = mapped_column(String(23), primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    csp_region: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[str] = mapped_column(String(8))
    import_supplier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gas_supplier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    in_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    in_default_list: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether the hub's current import / gas supplier has a standing instruction for the stage
    # of the hub's group (pilot or safe launch): kept by triggers (migration 0012) so SR 11.9's
    # split and uninstructed counts are tally sums (persistence/tables/tallies.py).
    import_voted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    gas_voted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default=HubStatus.ELIGIBLE.value)
    planned_activation_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    result_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        Index("ix_campaign_hubs_status", "campaign_id", "status"),
        # With the GUID, a supplier's keyset page (guid > after ORDER BY guid LIMIT n) is an
        # index range scan that reads only the page, not all its hubs in the campaign.
        Index("ix_campaign_hubs_import", "campaign_id", "import_supplier_id", "guid"),
        Index("ix_campaign_hubs_gas", "campaign_id", "gas_supplier_id", "guid"),
        # A hub's campaigns, for the change-of-supplier tally trigger and per-hub reports.
        Index("ix_campaign_hubs_guid", "guid"),
        # The pilot group (at most a few hundred hubs) and the CSP's Default Pilot List, read
        # by SR 11.9, AD11 monitoring and pilot selection: partial indexes hold only those
        # rows, so the reads cost their size; without them each scanned the campaign
        # (0.8 s per SR 11.9 at 10,000,000 hubs).
        Index(
            "ix_campaign_hubs_pilot",
            "campaign_id",
            "guid",
            postgresql_where=text("in_pilot"),
            sqlite_where=text("in_pilot"),
        ),
        Index(
            "ix_campaign_hubs_default_list",
            "campaign_id",
            "guid",
            postgresql_where=text("in_default_list"),
            sqlite_where=text("in_default_list"),
        ),
    )


class CampaignSupplierRow(Base):
    """Each supplier's share of a campaign (BR1.3): its eligible hubs as IS and as GS."""

    __tablename__ = "campaign_suppliers"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    eligible_as_import: Mapped[int] = mapped_column(Integer, default=0)
    eligible_as_gas: Mapped[int] = mapped_column(Integer, default=0)


class IncidentRow(Base):
    """A supplier's incident (BR6.2) and DCC's triage of it (BR6.3, BR6.4)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(40), unique=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    severity: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    guids: Mapped[list[str]] = mapped_column(JSON)
    emergency_stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DecisionRow(Base):
    """Every rollout decision (BR6.3-6.5): who, when, why, the incident, the effect."""

    __tablename__ = "rollout_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pending_effect: Mapped[str] = mapped_column(String(16))
    before_stage: Mapped[str] = mapped_column(String(24))
    after_stage: Mapped[str] = mapped_column(String(24))
    new_end: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
