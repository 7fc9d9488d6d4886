"""The warehouse's ``labels`` table: replacing a pack, listing packs, reading a pack's rows.

User packs (imported TagPacks, origin 'user'), refreshed packs (``labels update``, origin 'update') and
shipped packs (origin 'shipped') sit side by side in one table; ``pack`` and ``origin`` keep where every
label came from. Writing a pack replaces all of that pack's rows in one transaction.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pigtrace.labels.packs import LABEL_COLUMNS, LABEL_SCHEMA
from pigtrace.store.warehouse import atomic


def replace_pack(con: duckdb.DuckDBPyConnection, pack: str, rows: list[dict], origin: str = "user") -> int:
    """Make ``pack`` hold exactly ``rows`` (duplicates by (chain, address, label) collapse); returns rows."""
    table = pa.Table.from_pylist([{**r, "pack": pack, "origin": origin} for r in rows], schema=LABEL_SCHEMA)
    cols = ", ".join(LABEL_COLUMNS)
    con.register("_staged_labels", table)
    try:
        with atomic(con):
            con.execute("DELETE FROM labels WHERE pack = ?", [pack])
            con.execute(
                f"""INSERT INTO labels ({cols}) SELECT {cols} FROM _staged_labels
                    QUALIFY row_number() OVER (PARTITION BY chain, address, label) = 1"""
            )
            n = con.execute("SELECT count(*) FROM labels WHERE pack = ?", [pack]).fetchall()[0][0]
    finally:
        con.unregister("_staged_labels")
    return n


def list_packs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cur = con.execute(
        """SELECT pack, any_value(origin) AS origin, count(*) AS labels, count(DISTINCT address) AS addresses,
                  string_agg(DISTINCT chain, ',' ORDER BY chain) AS chains, max(lastmod) AS lastmod
           FROM labels GROUP BY pack ORDER BY origin, pack"""
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def pack_rows(con: duckdb.DuckDBPyConnection, pack: str) -> list[dict]:
    cols = ", ".join(LABEL_COLUMNS)
    cur = con.execute(f"SELECT {cols} FROM labels WHERE pack = ? ORDER BY chain, address, label", [pack])
    return [dict(zip(LABEL_COLUMNS, r)) for r in cur.fetchall()]
