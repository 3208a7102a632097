"""campaign hub votes in the tallies: SR 11.9's split and uninstructed counts from tally rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:00:00

Each campaign hub carries whether its current import and gas supplier have a standing
instruction for the stage that applies to it (`import_voted`, `gas_voted`: pilot votes for pilot
hubs, safe-launch votes for the others), and the tally key carries both flags, so a supplier's
uninstructed hubs and its split hubs waiting on one side are sums over a few tally rows (issue
#12: SR 11.9 read every campaign hub of the supplier joined to `instruction_votes`).

The flags are kept by triggers in the same statement as every change that moves them: a vote
inserted (only ever turns a flag on, set-based, `flag OR new` so concurrent voters on one hub
compose under the row lock) or deleted (recomputed), a change of a hub's suppliers (the counts
move to the new supplier pair first, with the flags as they were, then the flags are recomputed
and the tally update trigger moves them: in that order each step is one exact move), a change
of `in_pilot` (the stage changes; PostgreSQL recomputes in a BEFORE row trigger, SQLite by a
nested update) and a campaign hub inserted (a campaign whose ID already has votes: never in
practice, checked once per statement on PostgreSQL and with one probe per row on SQLite).
The tally triggers of 0006 are rebuilt here with the two flags in the key; their logic is
unchanged. Votes are never updated on their key (upserts change only the other columns).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    "campaign_id, import_supplier_id, gas_supplier_id, notified_import_id, notified_gas_id, "
    "model, csp_region, in_pilot, import_voted, gas_voted, status, shard"
)
COLUMNS = f"{KEY}, hubs"
GROUPS = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
ADD = f"ON CONFLICT ({KEY}) DO UPDATE SET hubs = campaign_hub_tallies.hubs + excluded.hubs"
TALLIED = (
    "status", "in_pilot", "model", "csp_region", "import_supplier_id", "gas_supplier_id",
    "import_voted", "gas_voted",
)  # fmt: skip
VOTED = ("import_voted", "gas_voted")


def _key(r: str, h: str) -> str:
    """The tally key (but the shard) of campaign hub `r` whose inventory row is `h`."""
    return (
        f"{r}.campaign_id, coalesce({h}.import_supplier_id, 0), "
        f"coalesce({h}.gas_supplier_id, 0), coalesce({r}.import_supplier_id, 0), "
        f"coalesce({r}.gas_supplier_id, 0), {r}.model, {r}.csp_region, {r}.in_pilot, "
        f"{r}.import_voted, {r}.gas_voted, {r}.status"
    )


def _voted(r: str, supplier: str) -> str:
    """Whether `supplier` has a vote on campaign hub `r` for the stage of its group."""
    return (
        "EXISTS (SELECT 1 FROM campaigns vc JOIN instruction_votes v "
        f"ON v.campaign_id = vc.campaign_id WHERE vc.id = {r}.campaign_id "
        f"AND v.stage = CASE WHEN {r}.in_pilot THEN 'Pilot' ELSE 'SafeLaunch' END "
        f"AND v.guid = {r}.guid AND v.supplier_id = {supplier})"
    )


def _current(r: str, role: str) -> str:
    return f"(SELECT {role}_supplier_id FROM hubs WHERE guid = {r}.guid)"


def _recompute(r: str, imp: str, gas: str) -> tuple[str, str]:
    """(SET clause, WHERE clause) that recompute the flags of `r`, writing only a change."""
    i, g = _voted(r, imp), _voted(r, gas)
    return (
        f"import_voted = {i}, gas_voted = {g}",
        f"({r}.import_voted <> {i} OR {r}.gas_voted <> {g})",
    )


# --- PostgreSQL ----------------------------------------------------------------------------
def _pg_count(name: str, table: str, sign: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE $q$INSERT INTO campaign_hub_tallies ({COLUMNS})
    SELECT {_key("r", "h")}, pg_backend_pid(), {sign}count(*)
    FROM {table} r LEFT JOIN hubs h ON h.guid = r.guid
    GROUP BY {GROUPS} ORDER BY {GROUPS} {ADD}$q$;
  RETURN NULL;
END $fn$
"""


_CHANGED = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in TALLIED)
_FIELDS = "c, i, g, ni, ng, m, r, p, iv, gv, s"
PG_ON_UPDATE = f"""
CREATE OR REPLACE FUNCTION campaign_hub_tallies_on_update() RETURNS trigger LANGUAGE plpgsql
AS $fn$
BEGIN
  EXECUTE $q$INSERT INTO campaign_hub_tallies ({COLUMNS})
    SELECT {_FIELDS}, pg_backend_pid(), sum(k.d)
    FROM tally_old o JOIN tally_new n ON n.campaign_id = o.campaign_id AND n.guid = o.guid
    LEFT JOIN hubs h ON h.guid = n.guid CROSS JOIN LATERAL (VALUES
      ({_key("o", "h")}, -1), ({_key("n", "h")}, 1)) AS k ({_FIELDS}, d)
    WHERE {_CHANGED}
    GROUP BY {GROUPS} HAVING sum(k.d) <> 0 ORDER BY {GROUPS} {ADD}$q$;
  RETURN NULL;
END $fn$
"""
_PG_SET, _PG_WHERE = _recompute("ch", "NEW.import_supplier_id", "NEW.gas_supplier_id")
PG_ON_SUPPLIER = f"""
CREATE OR REPLACE FUNCTION campaign_hub_tallies_on_supplier() RETURNS trigger LANGUAGE plpgsql
AS $fn$
BEGIN
  INSERT INTO campaign_hub_tallies ({COLUMNS})
  SELECT ch.campaign_id, p.i, p.g, coalesce(ch.import_supplier_id, 0),
         coalesce(ch.gas_supplier_id, 0), ch.model, ch.csp_region, ch.in_pilot,
         ch.import_voted, ch.gas_voted, ch.status, pg_backend_pid(), p.d
  FROM campaign_hubs ch CROSS JOIN (VALUES
      (coalesce(OLD.import_supplier_id, 0), coalesce(OLD.gas_supplier_id, 0), -1),
      (coalesce(NEW.import_supplier_id, 0), coalesce(NEW.gas_supplier_id, 0), 1)) AS p (i, g, d)
  WHERE ch.guid = NEW.guid
  ORDER BY {GROUPS} {ADD};
  UPDATE campaign_hubs ch SET {_PG_SET} WHERE ch.guid = NEW.guid AND {_PG_WHERE};
  RETURN NULL;
END $fn$
"""
_NEW_VOTES = (
    "SELECT t.campaign_id, t.guid, "
    "bool_or(coalesce(h.import_supplier_id = v.supplier_id, false)) AS i, "
    "bool_or(coalesce(h.gas_supplier_id = v.supplier_id, false)) AS g "
    "FROM votes_new v JOIN campaigns c ON c.campaign_id = v.campaign_id "
    "JOIN campaign_hubs t ON t.campaign_id = c.id AND t.guid = v.guid "
    "JOIN hubs h ON h.guid = v.guid "
    "WHERE v.stage = CASE WHEN t.in_pilot THEN 'Pilot' ELSE 'SafeLaunch' END GROUP BY 1, 2"
)
_PG_SET_ALL, _PG_WHERE_ALL = _recompute("ch", "h.import_supplier_id", "h.gas_supplier_id")
PG_VOTE_FUNCTIONS = (
    f"""
CREATE FUNCTION campaign_hub_votes_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE $q$UPDATE campaign_hubs ch SET import_voted = ch.import_voted OR x.i,
    gas_voted = ch.gas_voted OR x.g FROM ({_NEW_VOTES}) x
    WHERE ch.campaign_id = x.campaign_id AND ch.guid = x.guid
    AND ((x.i AND NOT ch.import_voted) OR (x.g AND NOT ch.gas_voted))$q$;
  RETURN NULL;
END $fn$
""",
    f"""
CREATE FUNCTION campaign_hub_votes_on_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE $q$UPDATE campaign_hubs ch SET {_PG_SET_ALL}
    FROM (SELECT DISTINCT c.id, v.guid FROM votes_old v
          JOIN campaigns c ON c.campaign_id = v.campaign_id) x, hubs h
    WHERE ch.campaign_id = x.id AND ch.guid = x.guid AND h.guid = ch.guid
    AND {_PG_WHERE_ALL}$q$;
  RETURN NULL;
END $fn$
""",
    f"""
CREATE FUNCTION campaign_hub_votes_on_new_hubs() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT campaign_id FROM votes_hubs_new) n
             JOIN campaigns c ON c.id = n.campaign_id
             JOIN instruction_votes v ON v.campaign_id = c.campaign_id) THEN
    UPDATE campaign_hubs ch SET {_PG_SET_ALL} FROM votes_hubs_new n, hubs h
    WHERE ch.campaign_id = n.campaign_id AND ch.guid = n.guid AND h.guid = ch.guid
    AND {_PG_WHERE_ALL};
  END IF;
  RETURN NULL;
END $fn$
""",
    f"""
CREATE FUNCTION campaign_hub_votes_on_pilot() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.import_voted := {_voted("NEW", _current("NEW", "import"))};
  NEW.gas_voted := {_voted("NEW", _current("NEW", "gas"))};
  RETURN NEW;
END $fn$
""",
)
PG_VOTE_TRIGGERS = (
    "CREATE TRIGGER campaign_hub_votes_insert AFTER INSERT ON instruction_votes "
    "REFERENCING NEW TABLE AS votes_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_votes_on_insert()",
    "CREATE TRIGGER campaign_hub_votes_delete AFTER DELETE ON instruction_votes "
    "REFERENCING OLD TABLE AS votes_old FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_votes_on_delete()",
    "CREATE TRIGGER campaign_hub_votes_new_hubs AFTER INSERT ON campaign_hubs "
    "REFERENCING NEW TABLE AS votes_hubs_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION campaign_hub_votes_on_new_hubs()",
    "CREATE TRIGGER campaign_hub_votes_pilot BEFORE UPDATE OF in_pilot ON campaign_hubs "
    "FOR EACH ROW WHEN (OLD.in_pilot IS DISTINCT FROM NEW.in_pilot) "
    "EXECUTE FUNCTION campaign_hub_votes_on_pilot()",
)
PG_VOTE_DROP = (
    "DROP TRIGGER IF EXISTS campaign_hub_votes_insert ON instruction_votes",
    "DROP TRIGGER IF EXISTS campaign_hub_votes_delete ON instruction_votes",
    "DROP TRIGGER IF EXISTS campaign_hub_votes_new_hubs ON campaign_hubs",
    "DROP TRIGGER IF EXISTS campaign_hub_votes_pilot ON campaign_hubs",
    *(
        f"DROP FUNCTION IF EXISTS campaign_hub_votes_on_{name}()"
        for name in ("insert", "delete", "new_hubs", "pilot")
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
        f"ch.csp_region, ch.in_pilot, ch.import_voted, ch.gas_voted, ch.status, 0, {sign}1 "
        f"FROM campaign_hubs ch WHERE ch.guid = {row}.guid {ADD};"
    )


def _sqlite_recompute(where: str) -> str:
    """Recompute the flags of the campaign hubs `where` selects (column names unqualified)."""
    t = "campaign_hubs"
    set_, changed = _recompute(t, _current(t, "import"), _current(t, "gas"))
    return f"UPDATE campaign_hubs SET {set_} WHERE {where} AND {changed};"


_SQLITE_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TALLIED)
_OF_CAMPAIGN = "campaign_id = (SELECT id FROM campaigns WHERE campaign_id = {r}.campaign_id)"
_SIDE = "NEW.supplier_id IS (SELECT {role}_supplier_id FROM hubs WHERE guid = NEW.guid)"
_IMP, _GAS = _SIDE.format(role="import"), _SIDE.format(role="gas")
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
    f"{_sqlite_move('OLD', '-')} {_sqlite_move('NEW', '+')} "
    f"{_sqlite_recompute('guid = NEW.guid')} END",
    "CREATE TRIGGER campaign_hub_votes_insert AFTER INSERT ON instruction_votes BEGIN "
    f"UPDATE campaign_hubs SET import_voted = import_voted OR {_IMP}, "
    f"gas_voted = gas_voted OR {_GAS} WHERE {_OF_CAMPAIGN.format(r='NEW')} "
    "AND guid = NEW.guid AND NEW.stage = CASE WHEN in_pilot THEN 'Pilot' ELSE 'SafeLaunch' END "
    f"AND ((NOT import_voted AND {_IMP}) OR (NOT gas_voted AND {_GAS})); END",
    "CREATE TRIGGER campaign_hub_votes_delete AFTER DELETE ON instruction_votes BEGIN "
    f"{_sqlite_recompute(_OF_CAMPAIGN.format(r='OLD') + ' AND guid = OLD.guid')} END",
    "CREATE TRIGGER campaign_hub_votes_new_hubs AFTER INSERT ON campaign_hubs WHEN EXISTS ("
    "SELECT 1 FROM campaigns c JOIN instruction_votes v ON v.campaign_id = c.campaign_id "
    "WHERE c.id = NEW.campaign_id) BEGIN "
    f"{_sqlite_recompute('campaign_id = NEW.campaign_id AND guid = NEW.guid')} END",
    "CREATE TRIGGER campaign_hub_votes_pilot AFTER UPDATE OF in_pilot ON campaign_hubs "
    "WHEN OLD.in_pilot IS NOT NEW.in_pilot BEGIN "
    f"{_sqlite_recompute('campaign_id = NEW.campaign_id AND guid = NEW.guid')} END",
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS campaign_hub_{name}"
    for name in (
        "tallies_insert", "tallies_delete", "tallies_update", "tallies_supplier",
        "votes_insert", "votes_delete", "votes_new_hubs", "votes_pilot",
    )
)  # fmt: skip

BACKFILL = (
    f"INSERT INTO campaign_hub_tallies ({COLUMNS}) SELECT {_key('ch', 'h')}, 0, count(*) "
    f"FROM campaign_hubs ch LEFT JOIN hubs h ON h.guid = ch.guid GROUP BY {GROUPS}"
)


def _tally_table(*extra: "sa.Column[bool]") -> None:
    key = [
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("import_supplier_id", sa.Integer(), nullable=False),
        sa.Column("gas_supplier_id", sa.Integer(), nullable=False),
        sa.Column("notified_import_id", sa.Integer(), nullable=False),
        sa.Column("notified_gas_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("csp_region", sa.String(length=16), nullable=False),
        sa.Column("in_pilot", sa.Boolean(), nullable=False),
        *extra,
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
    ]
    op.create_table(
        "campaign_hub_tallies",
        *key,
        sa.Column("hubs", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*(c.name for c in key), name=op.f("pk_campaign_hub_tallies")),
    )


def _revision_0006() -> ModuleType:
    """The 0006 trigger definitions, which a downgrade restores."""
    path = Path(__file__).with_name("0006_campaign_hub_tallies.py")
    spec = importlib.util.spec_from_file_location("chfw_migration_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    m0006 = _revision_0006()
    for statement in m0006.PG_DROP if pg else SQLITE_DROP:
        op.execute(statement)
    for name in VOTED:
        op.add_column(
            "campaign_hubs",
            sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False),
        )
    # Only hubs with a vote can have a flag set.
    set_, changed = _recompute("ch", "h.import_supplier_id", "h.gas_supplier_id")
    voted = (
        "SELECT DISTINCT c.id, v.guid FROM instruction_votes v "
        "JOIN campaigns c ON c.campaign_id = v.campaign_id"
    )
    op.execute(
        f"UPDATE campaign_hubs ch SET {set_} FROM ({voted}) x, hubs h WHERE ch.campaign_id = x.id "
        f"AND ch.guid = x.guid AND h.guid = ch.guid AND {changed}"
        if pg
        else _sqlite_recompute(f"(campaign_id, guid) IN ({voted})")
    )
    op.drop_table("campaign_hub_tallies")
    _tally_table(*(sa.Column(name, sa.Boolean(), nullable=False) for name in VOTED))
    op.execute(BACKFILL)
    if pg:
        for statement in (
            _pg_count("campaign_hub_tallies_on_insert", "tally_new", ""),
            _pg_count("campaign_hub_tallies_on_delete", "tally_old", "-"),
            PG_ON_UPDATE,
            PG_ON_SUPPLIER,
            *PG_VOTE_FUNCTIONS,
            *m0006.PG_TRIGGERS,
            *PG_VOTE_TRIGGERS,
        ):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    m0006 = _revision_0006()
    for statement in (*PG_VOTE_DROP, *m0006.PG_DROP) if pg else SQLITE_DROP:
        op.execute(statement)
    op.drop_table("campaign_hub_tallies")
    with op.batch_alter_table("campaign_hubs", schema=None) as batch_op:
        for name in VOTED:
            batch_op.drop_column(name)
    _tally_table()
    op.execute(m0006.BACKFILL)
    for statement in (*m0006.PG_FUNCTIONS, *m0006.PG_TRIGGERS) if pg else m0006.SQLITE_TRIGGERS:
        op.execute(statement)
