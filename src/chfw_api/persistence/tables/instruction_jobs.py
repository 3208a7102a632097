"""A large SR 11.7 completed in chunks by the worker (issue #12: whole-estate writes in bounded
chunks, each its own short transaction, resumable after a crash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, UtcDateTime


class InstructionJobRow(Base):
    """Where a chunked instruction stands. `after_guid` is the last GUID done: each chunk
    advances it in the same transaction as the chunk's votes, plans and CSP files, so a crash
    loses at most the chunk in flight, which is then redone (never done twice)."""

    __tablename__ = "instruction_jobs"

    instruction_id: Mapped[str] = mapped_column(
        ForeignKey("instructions.instruction_id"), primary_key=True
    )
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    stage: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    request_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))  # running | done | stopped
    # True: the supplier named the hubs (their GUIDs wait in `instruction_job_guids`);
    # False: AllEligible, the supplier's hubs read from the campaign a chunk at a time.
    named: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    after_guid: Mapped[str | None] = mapped_column(String(23), nullable=True)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    # planned activation (ISO) -> hubs, summed over the chunks, for the closing N80
    planned: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # rejection reason code -> hubs
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_instruction_jobs_state", "state", "updated_at"),)


class InstructionJobGuidRow(Base):
    """A GUID of a large named instruction that the worker has still to do. The request wrote
    the GUIDs it accepted here; each chunk deletes the ones it did in its own transaction, so
    what is left is what a restart continues with."""

    __tablename__ = "instruction_job_guids"

    instruction_id: Mapped[str] = mapped_column(
        ForeignKey("instruction_jobs.instruction_id"), primary_key=True
    )
    guid: Mapped[str] = mapped_column(String(23), primary_key=True)
