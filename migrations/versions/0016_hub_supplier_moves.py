"""hubs: a re-import's changes of supplier written set-based, under their campaigns' rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 07:30:00

A change of a hub's supplier moves its campaign hubs' counts and recomputes their vote flags
(0012). The row trigger does that one hub at a time, about 0.47 ms each on PostgreSQL: a
re-import moving 9,523 of 1,000,000 hubs spent 4.5 s in it. The import now writes its moves
last, holding the moved hubs' campaign rows as every other writer of campaign hubs does (a
deadlock otherwise, issue #12: several processes), so that time is time SRs wait.
`move_hub_suppliers()` does the same three steps for every hub in the temporary table
`hubs_moved` at once, in the row trigger's order (counts moved with the flags as they were,
the suppliers written, then the flags recomputed, the tally update trigger moving those
counts); the row trigger stands aside while it runs (`chfw.moving_suppliers`, local to the
transaction) and still serves every other change of supplier. SQLite keeps its row trigger:
one writer at a time, nothing to wait for.
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


def _move_function() -> str:
    m = _revision("0012_campaign_hub_votes_in_tallies.py")
    set_, changed = m._recompute("ch", "h.import_supplier_id", "h.gas_supplier_id")
    pair = "coalesce({t}.import_supplier_id, 0), coalesce({t}.gas_supplier_id, 0)"
    return f"""
CREATE FUNCTION move_hub_suppliers() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('chfw.moving_suppliers', 'on', true);
  EXECUTE $q$INSERT INTO campaign_hub_tallies ({m.COLUMNS})
    SELECT ch.campaign_id, p.i, p.g, coalesce(ch.import_supplier_id, 0),
      coalesce(ch.gas_supplier_id, 0), ch.model, ch.csp_region, ch.in_pilot, ch.import_voted,
      ch.gas_voted, ch.status, pg_backend_pid(), sum(p.d)
    FROM hubs_moved mv JOIN hubs h ON h.guid = mv.guid JOIN campaign_hubs ch ON ch.guid = mv.guid
    CROSS JOIN LATERAL (VALUES ({pair.format(t="h")}, -1), ({pair.format(t="mv")}, 1))
      AS p (i, g, d)
    GROUP BY {m.GROUPS} HAVING sum(p.d) <> 0 ORDER BY {m.GROUPS} {m.ADD}$q$;
  EXECUTE $q$UPDATE hubs SET import_supplier_id = mv.import_supplier_id,
    gas_supplier_id = mv.gas_supplier_id FROM hubs_moved mv WHERE hubs.guid = mv.guid$q$;
  EXECUTE $q$UPDATE campaign_hubs ch SET {set_} FROM hubs_moved mv, hubs h
    WHERE ch.guid = mv.guid AND h.guid = ch.guid AND {changed}$q$;
  PERFORM set_config('chfw.moving_suppliers', 'off', true);
END $fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS campaign_hub_tallies_supplier ON hubs")
    op.execute(_trigger(f"({_WHEN}) AND {_STANDS_ASIDE}"))
    op.execute(_move_function())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS move_hub_suppliers()")
    op.execute("DROP TRIGGER IF EXISTS campaign_hub_tallies_supplier ON hubs")
    op.execute(_trigger(_WHEN))
