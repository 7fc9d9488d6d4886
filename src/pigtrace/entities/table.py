"""The persisted ``entities`` table: build it, and give consumers the entities of the warehouse as it is now.

Place in the flow: entities/labelled + entities/behaviour -> **entities/table** -> detect/flow_services,
trace/endpoints, cli (``pigtrace entities``). ``build`` is the first step of ``pigtrace analyze``; it
replaces the table in one transaction and records in ``meta`` the ledger and label state it was built
from (``state_key``). ``current`` returns the name of a relation with the current entities: the table
when its state matches, else (labels imported or data ingested since, a warehouse never analysed, one
opened read-only, an older warehouse without the table) the same rules computed into the temp table
``pt_entities`` for this connection, never written.
"""

from __future__ import annotations

import duckdb

from pigtrace.entities.behaviour import accounts, structural
from pigtrace.entities.labelled import labelled
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import atomic

RULES = 1  # bump when a rule changes: tables built by older rules are then recomputed
STATE_KEY = "entities_state"
TEMP = "pt_entities"
COLUMNS = "chain, address, kind, entity, source, category, score, reasons"


def state_key(con: duckdb.DuckDBPyConnection) -> str:
    """What the entities depend on: the ledger (latest ingest, row counts) and the labels."""
    row = con.execute(
        """SELECT (SELECT coalesce(max(id), 0) FROM ingest_log), (SELECT count(*) FROM ledger_transfers),
                  (SELECT count(*) FROM ledger_swaps), (SELECT count(*) FROM ledger_transactions),
                  (SELECT count(*) FROM tokens), (SELECT count(*) FROM labels),
                  (SELECT coalesce(sum(hash(chain, address, label, category, actor, concepts, abuse)), 0) FROM labels)"""
    ).fetchall()[0]
    return f"rules={RULES}:ingest={row[0]}:transfers={row[1]}:swaps={row[2]}:transactions={row[3]}:tokens={row[4]}" \
           f":labels={row[5]}:{row[6]}"


def compute(con: duckdb.DuckDBPyConnection, into: str = TEMP) -> None:
    """Apply every rule and create the temp table ``into`` with the entities' columns."""
    labelled(con)
    structural(con)
    accounts(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
            SELECT a.chain, a.address, e.kind, e.entity, e.source, e.category, round(e.score, 4) AS score,
                   to_json(e.reasons) AS reasons
            FROM (SELECT *, 'label' AS source FROM pt_en_labelled
                  UNION ALL SELECT *, 'behaviour' FROM pt_en_structural
                  UNION ALL SELECT *, 'behaviour' FROM pt_en_accounts) e
            JOIN addresses a ON a.ref = e.ref"""
    )
    for t in ("pt_en_labelled", "pt_en_structural", "pt_en_accounts"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def build(con: duckdb.DuckDBPyConnection, progress: Progress = quiet) -> dict[str, int]:
    """Recompute the entities and replace the ``entities`` table; returns the count per kind."""
    progress("services and exchange accounts")
    key = state_key(con)
    compute(con, "pt_entities_new")
    with atomic(con):
        con.execute("DELETE FROM entities")
        con.execute(f"INSERT INTO entities ({COLUMNS}) SELECT {COLUMNS} FROM pt_entities_new")
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [STATE_KEY, key])
    con.execute("DROP TABLE pt_entities_new")
    con.execute(f"DROP TABLE IF EXISTS {TEMP}")
    con.execute(f"DROP TABLE IF EXISTS {TEMP}_state")
    return dict(con.execute("SELECT kind, count(*) FROM entities GROUP BY kind ORDER BY kind").fetchall())


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """The stored table exists and was built from the ledger and labels as they are now."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND table_name = 'entities'"
                       " AND database_name = current_database()").fetchall()[0][0]:
        return False
    row = con.execute("SELECT value FROM meta WHERE key = ?", [STATE_KEY]).fetchall()
    return bool(row) and row[0][0] == state_key(con)


def current(con: duckdb.DuckDBPyConnection) -> str:
    """Name of a relation holding the warehouse's current entities (``COLUMNS``): ``entities`` when it is
    up to date, else ``pt_entities``, computed now for this connection (and kept while the ledger and
    labels stay as they are)."""
    if is_current(con):
        return "entities"
    key = state_key(con)
    has = con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '{TEMP}_state'").fetchall()
    if not has[0][0] or con.execute(f"SELECT any_value(key) FROM {TEMP}_state").fetchall()[0][0] != key:
        compute(con, TEMP)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {TEMP}_state AS SELECT ?::VARCHAR AS key", [key])
    return TEMP
