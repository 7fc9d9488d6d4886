"""The ``clusters`` table, the shared result of clustering that ``pigtrace cluster``, cases, reports and the API
read: one row per address that some heuristic linked to another one, with the heuristic that joined it and
the address it was linked to. An address not in the table is a cluster of its own. The table is replaced
as a whole, in one transaction, each time clustering runs; the run's settings are kept in ``meta``.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from pigtrace.chains.addresses import chain_family, guess_chain, normalize
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.store.warehouse import atomic, register_tables
from pigtrace.store.warehouse import dict_rows

TABLES = {
    # cluster_id: the smallest address ref among the members (stable while the warehouse only grows).
    "clusters": """
        chain VARCHAR NOT NULL, address VARCHAR NOT NULL, cluster_id BIGINT NOT NULL, heuristic VARCHAR NOT NULL,
        joined_via VARCHAR""",
}
RUN_KEY = "clusters_run"

register_tables(TABLES)


def replace(con: duckdb.DuckDBPyConnection, members: pa.Table, names: list[str], run: dict[str, Any]) -> int:
    """Replace the table with ``members`` (ref, cluster_id, heuristic: index into ``names``, via: a ref);
    returns rows written."""
    con.register("pt_cl_members", members)
    try:
        with atomic(con):
            con.execute("DELETE FROM clusters")
            con.execute(
                """INSERT INTO clusters
                   SELECT a.chain, a.address, m.cluster_id, list_extract(?::VARCHAR[], m.heuristic + 1), v.address
                   FROM pt_cl_members m JOIN addresses a ON a.ref = m.ref JOIN addresses v ON v.ref = m.via
                   ORDER BY m.cluster_id, a.address""",
                [names],
            )
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [RUN_KEY, json.dumps(run)])
    finally:
        con.unregister("pt_cl_members")
    return len(members)


def require_built(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The settings of the latest clustering run; an error when there was none."""
    has_table = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'clusters'").fetchone()[0]
    row = con.execute("SELECT value FROM meta WHERE key = ?", [RUN_KEY]).fetchall() if has_table else []
    if not row:
        raise PigtraceError("no clusters yet: run `pigtrace cluster` first")
    return json.loads(row[0][0])



def largest(con: duckdb.DuckDBPyConnection, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` largest clusters: id, chain, size, how many members each heuristic joined, the first
    member (the one the id names) and a label some member carries."""
    return dict_rows(con.execute(
        """WITH top AS (
               SELECT cluster_id, any_value(chain) AS chain, count(*) AS size FROM clusters
               GROUP BY cluster_id ORDER BY size DESC, cluster_id LIMIT ?),
           joins AS (
               SELECT c.cluster_id, c.heuristic, count(*) AS n FROM clusters c SEMI JOIN top USING (cluster_id)
               GROUP BY ALL),
           named AS (
               SELECT c.cluster_id, min(l.label) AS label FROM clusters c SEMI JOIN top USING (cluster_id)
               JOIN labels l ON l.chain = c.chain AND l.address = c.address GROUP BY c.cluster_id)
           SELECT t.cluster_id, t.chain, t.size,
                  (SELECT string_agg(j.heuristic || ' ' || j.n, ', ' ORDER BY j.n DESC, j.heuristic) FROM joins j
                   WHERE j.cluster_id = t.cluster_id) AS joined_by,
                  a.address, n.label
           FROM top t JOIN addresses a ON a.ref = t.cluster_id LEFT JOIN named n USING (cluster_id)
           ORDER BY t.size DESC, t.cluster_id""",
        [limit],
    ))


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Per heuristic: addresses it joined, and clusters holding at least one of them."""
    rows = con.execute(
        "SELECT heuristic, count(*), count(DISTINCT cluster_id) FROM clusters GROUP BY heuristic").fetchall()
    return {h: {"addresses": n, "clusters": c} for h, n, c in rows}


def resolve(con: duckdb.DuckDBPyConnection, address: str, chain: str | None) -> tuple[str, str]:
    """(chain, canonical address) of ``address`` as the warehouse holds it; an error naming it when the
    ledger never saw it, or when it is on several chains and ``chain`` does not say which."""
    family = chain_family(chain) if chain is not None else guess_chain(address)
    if family not in ("evm", "tron"):
        raise PigtraceError(f"{address!r}: not an EVM or Tron address")
    try:
        text = normalize(address, chain or ("tron" if family == "tron" else "ethereum"))
    except InvalidAddress as e:
        raise PigtraceError(f"{address!r}: {e}") from None
    found = [c for (c,) in con.execute(
        "SELECT chain FROM addresses WHERE address = ? AND (? IS NULL OR chain = ?) ORDER BY chain",
        [text, chain, chain]).fetchall()]
    if not found:
        where = f" on {chain}" if chain else ""
        raise PigtraceError(f"{text}: not in the warehouse{where} (no transfer, transaction or approval names it)")
    if len(found) > 1:
        raise PigtraceError(f"{text}: on several chains ({', '.join(found)}); say which with --chain")
    return found[0], text


def members(con: duckdb.DuckDBPyConnection, chain: str, address: str) -> list[dict[str, Any]]:
    """Every member of ``address``'s cluster with the heuristic that joined it, the address it was linked
    to and its labels; empty when no heuristic linked the address to another."""
    return dict_rows(con.execute(
        """WITH mine AS (SELECT cluster_id FROM clusters WHERE chain = ? AND address = ?)
           SELECT c.cluster_id, c.chain, c.address, c.heuristic, c.joined_via,
                  (SELECT string_agg(DISTINCT l.label, '; ' ORDER BY l.label) FROM labels l
                   WHERE l.chain = c.chain AND l.address = c.address) AS label
           FROM clusters c SEMI JOIN mine USING (cluster_id)
           ORDER BY c.address = ? DESC, c.heuristic, c.address""",
        [chain, address, address],
    ))
