"""Campaign hubs counted by what the reads group on, kept exact by database triggers.

Why triggers: campaign hub statuses are written by many set-based paths (instructions, CSP
results, automatic deployment, pilot composition, campaign creation) and the suppliers of a hub
change with the inventory; counting in the database, in the same statement as each change,
cannot miss a path and costs what the change costs, so dashboards, `GET campaign`, progress
alerts and the guardrail figures read a few hundred rows instead of recounting millions (issue
#12, reads cost what they return). Migration 0006 holds the triggers; 0012 adds the vote flags.

Two supplier pairs: the hub's suppliers now (`import_supplier_id`, `gas_supplier_id`, from the
inventory: what a supplier sees, X2) and as notified (`notified_*`, the campaign snapshot: the
guardrails' supplier slices). A row is a partial count: on PostgreSQL each connection adds into
its own `shard` (`pg_backend_pid()`), so concurrent transactions never wait on one another's
counter rows and cannot deadlock on them; the worker folds shards into shard 0. SQLite has one
writer at a time and uses shard 0 only. Supplier 0 stands for "none" (a key cannot be NULL).

The vote flags (`import_voted`, `gas_voted`, copied from the campaign hub): whether the hub's
current import / gas supplier has instructed it for its group's stage. With them a supplier's
uninstructed hubs and its split hubs waiting on one side (SR 11.9, the DCC dashboard, BR3.7's
"remaining") are sums over tally rows; triggers on `instruction_votes`, on a change of supplier
and on `in_pilot` keep the flags in the same statement as the change (migration 0012).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base

NO_SUPPLIER = 0


class CampaignHubTallyRow(Base):
    """How many hubs of one campaign share these suppliers, model, region, pilot flag, vote
    flags and status (a partial count: sum over `shard`)."""

    __tablename__ = "campaign_hub_tallies"

    # No foreign key: its check would take a key-share lock on the campaign row in every
    # trigger, queueing every hub change behind whoever holds that row (found by bench/soak.py).
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_supplier_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gas_supplier_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notified_import_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notified_gas_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    csp_region: Mapped[str] = mapped_column(String(16), primary_key=True)
    in_pilot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    import_voted: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    gas_voted: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    hubs: Mapped[int] = mapped_column(BigInteger)
