"""State behind supplier Service Requests: replay counters, preferred pilot lists and
schedules, deployment instructions with each supplier's vote per hub, and estate reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, UtcDateTime


class RequestCounterRow(Base):
    """The highest RequestID counter seen per originator (X3). Counters run to 2^64-1, past
    SQLite's signed integers, so they are stored as 20-digit zero-padded text: text order is
    numeric order."""

    __tablename__ = "request_counters"

    originator: Mapped[str] = mapped_column(String(23), primary_key=True)
    last_counter: Mapped[str] = mapped_column(String(20))
    last_request_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PreferredPilotListRow(Base):
    """A supplier's current Preferred Pilot List for a campaign (A04); a new one replaces it."""

    __tablename__ = "preferred_pilot_lists"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    hub_count: Mapped[int] = mapped_column(Integer)
    chosen_by_dcc: Mapped[bool] = mapped_column(Boolean, default=False)


class PreferredPilotHubRow(Base):
    __tablename__ = "preferred_pilot_hubs"

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(23), primary_key=True)


class PilotScheduleRequestRow(Base):
    """A supplier's Preferred Pilot Schedule (A05): kept as a request; the CSP decides (C1)."""

    __tablename__ = "pilot_schedule_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    request_id: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class InstructionRow(Base):
    """One deployment instruction (SR 11.7) as received."""

    __tablename__ = "instructions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[str] = mapped_column(String(40), unique=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    stage: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    request_id: Mapped[str] = mapped_column(String(100))
    all_eligible: Mapped[bool] = mapped_column(Boolean)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)


class InstructionVoteRow(Base):
    """A supplier's standing instruction for one hub and stage, with the roles it held on the
    hub when it gave it (RA04). The latest instruction from a supplier replaces its earlier one."""

    __tablename__ = "instruction_votes"

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    guid: Mapped[str] = mapped_column(String(23), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    instruction_id: Mapped[str] = mapped_column(String(40))
    as_import: Mapped[bool] = mapped_column(Boolean)
    as_gas: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_instruction_votes_supplier", "campaign_id", "supplier_id"),)


class ReportRow(Base):
    """An estate firmware status report (SR 11.8) produced asynchronously."""

    __tablename__ = "reports"

    report_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    request_id: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
