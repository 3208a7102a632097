"""The CSP Management Gateway: CSP uploads, activation results, the file outbox, guardrails."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, BigId, UtcDateTime


class CspUploadRow(Base):
    """One CSP upload (A02 default pilot list, A03 default pilot schedule, A08 safe-launch
    schedule), as validated. Versions count per CSP, campaign and kind; a new version
    supersedes the last and both are kept (`superseded_at` marks the old one)."""

    __tablename__ = "csp_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    csp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    source_format: Mapped[str] = mapped_column(String(8))
    hub_count: Mapped[int] = mapped_column(Integer)
    # {"guids": [...]} for a list; {"periods": [{"start", "end", "label", "guids"}]} otherwise.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("csp_party_id", "campaign_id", "kind", "version"),
        Index("ix_csp_uploads_campaign", "campaign_id", "kind"),
    )


class ActivationResultRow(Base):
    """Every per-hub result a CSP reported, as reported: the history behind a hub's campaign
    status and the enhanced monitoring of pilot hubs (AD11). The unique key makes a result
    posted twice a no-op."""

    __tablename__ = "activation_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    guid: Mapped[str] = mapped_column(String(23))
    outcome: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    firmware_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    csp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("campaign_id", "guid", "outcome", "at"),)


class GatewayFileRow(Base):
    """The outbox of gateway files: a use case stores the body in its own transaction and the
    writer job puts it on disk later, so a crash loses no file and never half-writes one."""

    __tablename__ = "gateway_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    csp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    kind: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    body: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_gateway_files_pending", "written_at", "id"),)


class InstructionPartRow(Base):
    """One part (at most 50,000 hubs) of an instruction sent to one CSP, for its manifest:
    parts may be queued in several transactions (a large instruction completes in chunks)."""

    __tablename__ = "instruction_parts"

    instruction_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    csp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("gateway_files.id"))
    hubs: Mapped[int] = mapped_column(Integer)


class GuardrailRuleRow(Base):
    """A campaign's own failure threshold for one stage and slice dimension, overriding the
    configured default for that pair."""

    __tablename__ = "guardrail_rules"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    max_failure_rate: Mapped[float] = mapped_column(Float)
    min_sample: Mapped[int] = mapped_column(Integer)


class SlicePauseRow(Base):
    """A guardrail that tripped: one slice of a campaign's stage held pending DCC triage.

    The figures at the trip are kept; `lifted_*` records DCC's lift and the figures then, which
    later evaluations subtract so only results after the lift count again."""

    __tablename__ = "slice_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    stage: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str] = mapped_column(String(16))
    slice_value: Mapped[str] = mapped_column(String(64))
    paused_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    max_failure_rate: Mapped[float] = mapped_column(Float)
    min_sample: Mapped[int] = mapped_column(Integer)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_at_lift: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failed_at_lift: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_slice_pauses_campaign", "campaign_id", "lifted_at"),)


__all__ = [
    "ActivationResultRow",
    "CspUploadRow",
    "GatewayFileRow",
    "GuardrailRuleRow",
    "SlicePauseRow",
]
