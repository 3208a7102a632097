"""campaign hub tallies: counts kept exact by triggers; campaign_hubs indexed by GUID

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:20:00

Why triggers, and the shard column: see chfw_api/persistence/tables/tallies.py.
PostgreSQL counts each campaign_hubs statement once, set-based, from its transition tables
(EXECUTE, so each statement is planned with its own row counts); a change of supplier moves
the hub's counts between supplier pairs, one row trigger per changed hub. SQLite counts with row
triggers (one writer at a time, one shard). Hubs are never deleted and campaign_hubs never
changes its key (campaign_id, guid); the triggers rely on both.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    "campaign_id, import_supplier_id, gas_supplier_id, notified_import_id, notified_gas_id, "
    "model, csp_region, in_pilot, status, shard"
)
COLUMNS = f"{KEY}, hubs"
GROUPS = "1, 2, 3, 4, 5, 6, 7, 8, 9"
ADD = f"ON CONFLICT ({KEY}) DO UPDATE SET hubs = campaign_hub_tallies.hubs + excluded.hubs"
# Columns of campaign_hubs whose change moves a hub between tallies.
TALLIED = ("status", "in_pilot", "model", "csp_region", "import_supplier_id", "gas_supplier_id")


def _key(r: str, h: str) -> str:
    """The tally key (but the shard) of campaign hub `r` whose inventory row is `h`."""
    return (
        f"{r}.campaign_id, coalesce({h}.import_supplier_id, 0), "
        f"coalesce({h}.gas_supplier_id, 0), coalesce({r}.import_supplier_id, 0), "
        f"coalesce({r}.gas_supplier_id, 0), {r}.model, {r}.csp_region, {r}.in_pilot, "
        f"{r}.status"
    )


# --- PostgreSQL: statement triggers over transition tables ---------------------------------------
def _pg_count(name: str, table: str, sign: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE 'INSERT INTO campaign_hub_tallies ({COLUMNS}) '
    'SELECT {_key("r", "h")}, pg_backend_pid(), {sign}count(*) '
    'FROM {table} r LEFT JOIN hubs h ON h.guid = r.guid '
    'GROUP BY {GROUPS} ORDER BY {GROUPS} {ADD}';
  RETURN NULL;
END $fn$
"""


_CHANGED = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in TALLIED)
_FIELDS = "c, i, g, ni, ng, m, r, p, s"
PG_ON_UPDATE = f"""
CREATE FUNCTION campaign_hub_tallies_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE 'INSERT INTO campaign_hub_tallies ({COLUMNS}) '
    'SELECT {_FIELDS}, pg_backend_pid(), sum(k.d) '
    'FROM tally_old o JOIN tally_new n ON n.campaign_id = o.campaign_id AND n.guid = o.guid '
    'LEFT JOIN hubs h ON h.guid = n.guid CROSS JOIN LATERAL (VALUES '
    '  ({_key("o", "h")}, -1), ({_key("n", "h")}, 1)) AS k ({_FIELDS}, d) '
    'WHERE {_CHANGED} '
    'GROUP BY {GROUPS} HAVING sum(k.d) <> 0 ORDER BY {GROUPS} {ADD}';
  RETURN NULL;
END $fn$
"""
PG_ON_SUPPLIER = f"""
CREATE FUNCTION campaign_hub_tallies_on_supplier() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO campaign_hub_tallies ({COLUMNS})
  SELECT ch.campaign_id, p.i, p.g, coalesce(ch.import_supplier_id, 0),
         coalesce(ch.gas_supplier_id, 0), ch.model, ch.csp_region, ch.in_pilot, ch.status,
         pg_backend_pid(), p.d
  FROM campaign_hubs ch CROSS JOIN (VALUES
      (coalesce(OLD.import_supplier_id, 0), coalesce(OLD.gas_supplier_id, 0), -1),
      (coalesce(NEW.import_supplier_id, 0), coalesce(NEW.gas_supplier_id, 0), 1)) AS p (i, g, d)
  WHERE ch.guid = NEW.guid
  ORDER BY {GROUPS} {ADD};
  RETURN NULL;
END $fn$
"""
PG_FUNCTIONS = (
    _pg_count("campaign_hub_tallies_on_insert", "tally_new", ""),
    _pg_count("campaign_hub_tallies_on_delete", "tally_old", "-"),
    PG_ON_UPDATE,
    PG_ON_SUPPLIER,
)
PG_TRIGGERS = (
    "CREATE TRIGGER campaign_hub_tallies_insert AFTER INSERT ON campaign_hubs "
    "REFERENCING NEW TABLE AS tally_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_tallies_on_insert()",
    "CREATE TRIGGER campaign_hub_tallies_delete AFTER DELETE ON campaign_hubs "
    "REFERENCING OLD TABLE AS tally_old FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_tallies_on_delete()",
    "CREATE TRIGGER campaign_hub_tallies_update AFTER UPDATE ON campaign_hubs "
    "REFERENCING OLD TABLE AS tally_old NEW TABLE AS tally_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_tallies_on_update()",
    "CREATE TRIGGER campaign_hub_tallies_supplier AFTER UPDATE OF import_supplier_id, "
    "gas_supplier_id ON hubs FOR EACH ROW WHEN ("
    "OLD.import_supplier_id IS DISTINCT FROM NEW.import_supplier_id OR "
    "OLD.gas_supplier_id IS DISTINCT FROM NEW.gas_supplier_id) "
    "EXECUTE FUNCTION campaign_hub_tallies_on_supplier()",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS campaign_hub_tallies_insert ON campaign_hubs",
    "DROP TRIGGER IF EXISTS campaign_hub_tallies_delete ON campaign_hubs",
    "DROP TRIGGER IF EXISTS campaign_hub_tallies_update ON campaign_hubs",
    "DROP TRIGGER IF EXISTS campaign_hub_tallies_supplier ON hubs",
    *(
        f"DROP FUNCTION IF EXISTS campaign_hub_tallies_on_{name}()"
        for name in ("insert", "delete", "update", "supplier")
    ),
)


# --- SQLite: row triggers, shard 0 -----------------------------------------------------------
def _sqlite_count(row: str, sign: str) -> str:
    return (
        f"INSERT INTO campaign_hub_tallies ({COLUMNS}) SELECT {_key(row, 'h')}, 0, {sign}1 "
        f"FROM (SELECT 1) LEFT JOIN hubs h ON h.guid = {row}.guid WHERE true {ADD};"
    )


def _sqlite_move(row: str, sign: str) -> str:
    return (
        f"INSERT INTO campaign_hub_tallies ({COLUMNS}) SELECT ch.campaign_id, "
        f"coalesce({row}.import_supplier_id, 0), coalesce({row}.gas_supplier_id, 0), "
        "coalesce(ch.import_supplier_id, 0), coalesce(ch.gas_supplier_id, 0), ch.model, "
        f"ch.csp_region, ch.in_pilot, ch.status, 0, {sign}1 FROM campaign_hubs ch "
        f"WHERE ch.guid = {row}.guid {ADD};"
    )


_SQLITE_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TALLIED)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER campaign_hub_tallies_insert AFTER INSERT ON campaign_hubs BEGIN "
    f"{_sqlite_count('NEW', '+')} END",
    "CREATE TRIGGER campaign_hub_tallies_delete AFTER DELETE ON campaign_hubs BEGIN "
    f"{_sqlite_count('OLD', '-')} END",
    f"CREATE TRIGGER campaign_hub_tallies_update AFTER UPDATE OF {', '.join(TALLIED)} "
    f"ON campaign_hubs WHEN {_SQLITE_CHANGED} BEGIN "
    f"{_sqlite_count('OLD', '-')} {_sqlite_count('NEW', '+')} END",
    "CREATE TRIGGER campaign_hub_tallies_supplier AFTER UPDATE OF import_supplier_id, "
    "gas_supplier_id ON hubs WHEN OLD.import_supplier_id IS NOT NEW.import_supplier_id "
    "OR OLD.gas_supplier_id IS NOT NEW.gas_supplier_id BEGIN "
    f"{_sqlite_move('OLD', '-')} {_sqlite_move('NEW', '+')} END",
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS campaign_hub_tallies_{name}"
    for name in ("insert", "delete", "update", "supplier")
)

BACKFILL = (
    f"INSERT INTO campaign_hub_tallies ({COLUMNS}) SELECT {_key('ch', 'h')}, 0, count(*) "
    f"FROM campaign_hubs ch LEFT JOIN hubs h ON h.guid = ch.guid GROUP BY {GROUPS}"
)


def upgrade() -> None:
    key = [
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("import_supplier_id", sa.Integer(), nullable=False),
        sa.Column("gas_supplier_id", sa.Integer(), nullable=False),
        sa.Column("notified_import_id", sa.Integer(), nullable=False),
        sa.Column("notified_gas_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("csp_region", sa.String(length=16), nullable=False),
        sa.Column("in_pilot", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
    ]
    op.create_table(
        "campaign_hub_tallies",
        *key,
        sa.Column("hubs", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*(c.name for c in key), name=op.f("pk_campaign_hub_tallies")),
    )
    with op.batch_alter_table("campaign_hubs", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_hubs_guid", ["guid"], unique=False)
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    drops = PG_DROP if op.get_bind().dialect.name == "postgresql" else SQLITE_DROP
    for statement in drops:
        op.execute(statement)
    with op.batch_alter_table("campaign_hubs", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_hubs_guid")
    op.drop_table("campaign_hub_tallies")
