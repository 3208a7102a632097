"""hubs: a re-import's changes of supplier written set-based, under their campaigns' rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 07:30:00

A change of a hub's supplier moves its campaign hubs' counts and recomputes their vote flags
(0012). The row trigger does that one hub at a time, about 0.47 ms each on PostgreSQL: a
re-import moving 9,523 of 1,000,000 hubs spent 4.5 s in it. The import now writes its moves
last, and the part that touches campaign hubs under the moved hubs' campaign rows, as every
other writer of campaign hubs does (a deadlock otherwise, issue #12: several processes), so
that part's time is time SRs wait. Over the temporary table `hubs_moved` (each moved hub's
GUID and its suppliers before and after), set-based:
- `write_hub_suppliers()` writes the suppliers, the row trigger standing aside
  (`chfw.moving_suppliers`, local to the transaction; it still serves every other change of
  supplier). Before the campaign rows: other writers of those campaign hubs see the old
  suppliers until the import commits, and key their counts by them.
- `move_hub_supplier_counts()`, under the campaign rows: each moved hub's campaign hubs'
  counts moved from the old supplier pair to the new with the flags as they are, then the
  flags recomputed (the tally update trigger moving those counts), as the row trigger did.
SQLite keeps its row trigger: one writer at a time, nothing to wait for.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _revision(name: str) -> ModuleType:
    """An earlier revision's definitions (the tally key, the flag recompute), reused."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"chfw_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_WHEN = (
    "OLD.import_supplier_id IS DISTINCT FROM NEW.import_supplier_id OR "
    "OLD.gas_supplier_id IS DISTINCT FROM NEW.gas_supplier_id"
)
_STANDS_ASIDE = "current_setting('chfw.moving_suppliers', true) IS DISTINCT FROM 'on'"


def _trigger(when: str) -> str:
    return (
        "CREATE TRIGGER campaign_hub_tallies_supplier AFTER UPDATE OF import_supplier_id, "
        f"gas_supplier_id ON hubs FOR EACH ROW WHEN ({when}) "
        "EXECUTE FUNCTION campaign_hub_tallies_on_supplier()"
    )


def _move_functions() -> tuple[str, str]:
    """(write the suppliers, move the counts and flags) over `hubs_moved`: each moved hub's
    GUID, its suppliers before (`old_*`) and after."""
    m = _revision("0012_campaign_hub_votes_in_tallies.py")
    set_, changed = m._recompute("ch", "h.import_supplier_id", "h.gas_supplier_id")
    old = "coalesce(mv.old_import_supplier_id, 0), coalesce(mv.old_gas_supplier_id, 0)"
    new = "coalesce(mv.import_supplier_id, 0), coalesce(mv.gas_supplier_id, 0)"
    write = """
CREATE FUNCTION write_hub_suppliers() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('chfw.moving_suppliers', 'on', true);
  EXECUTE $q$UPDATE hubs SET import_supplier_id = mv.import_supplier_id,
    gas_supplier_id = mv.gas_supplier_id FROM hubs_moved mv WHERE hubs.guid = mv.guid$q$;
  PERFORM set_config('chfw.moving_suppliers', 'off', true);
END $fn$
"""
    count = f"""
CREATE FUNCTION move_hub_supplier_counts() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE $q$INSERT INTO campaign_hub_tallies ({m.COLUMNS})
    SELECT ch.campaign_id, p.i, p.g, coalesce(ch.import_supplier_id, 0),
      coalesce(ch.gas_supplier_id, 0), ch.model, ch.csp_region, ch.in_pilot, ch.import_voted,
      ch.gas_voted, ch.status, pg_backend_pid(), sum(p.d)
    FROM hubs_moved mv JOIN campaign_hubs ch ON ch.guid = mv.guid
    CROSS JOIN LATERAL (VALUES ({old}, -1), ({new}, 1)) AS p (i, g, d)
    GROUP BY {m.GROUPS} HAVING sum(p.d) <> 0 ORDER BY {m.GROUPS} {m.ADD}$q$;
  EXECUTE $q$UPDATE campaign_hubs ch SET {set_} FROM hubs_moved mv, hubs h
    WHERE ch.guid = mv.guid AND h.guid = ch.guid AND {changed}$q$;
END $fn$
"""
    return write, count


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS campaign_hub_tallies_supplier ON hubs")
    op.execute(_trigger(f"({_WHEN}) AND {_STANDS_ASIDE}"))
    for function in _move_functions():
        op.execute(function)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS write_hub_suppliers()")
    op.execute("DROP FUNCTION IF EXISTS move_hub_supplier_counts()")
    op.execute("DROP TRIGGER IF EXISTS campaign_hub_tallies_supplier ON hubs")
    op.execute(_trigger(_WHEN))
