"""The warehouse's ``labels`` table: replacing a pack, listing packs, reading a pack's rows.

User packs (imported TagPacks, origin 'user'), refreshed packs (``labels update``, origin 'update') and
shipped packs (origin 'shipped') sit side by side in one table; ``pack`` and ``origin`` keep where every
label came from. Writing a pack replaces all of that pack's rows in one transaction.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pyarrow as pa

from pigtrace.labels.packs import LABEL_COLUMNS, LABEL_SCHEMA
from pigtrace.store.warehouse import atomic, register_tables
from pigtrace.store.warehouse import dict_rows

# An imported TagPack's header as written (title, creator, description, is_public, tag defaults; JSON) and,
# when the pack came from one file, that file's text: `labels export` gives back what was imported.
TABLES = {"label_packs": "pack VARCHAR PRIMARY KEY, header JSON, document VARCHAR"}
register_tables(TABLES)


def _json_value(v):
    return v.isoformat() if isinstance(v, (date, datetime)) else str(v)


def replace_pack(con: duckdb.DuckDBPyConnection, pack: str, rows: list[dict], origin: str = "user",
                 header: dict | None = None, document: str | None = None) -> int:
    """Make ``pack`` hold exactly ``rows`` (duplicates by (chain, address, label) collapse); returns rows.
    ``header``/``document``: the TagPack's header and file text, kept for export (a pack replaced without
    them forgets any kept before)."""
    table = pa.Table.from_pylist([{**r, "pack": pack, "origin": origin} for r in rows], schema=LABEL_SCHEMA)
    cols = ", ".join(LABEL_COLUMNS)
    con.register("_staged_labels", table)
    try:
        with atomic(con):
            con.execute("DELETE FROM labels WHERE pack = ?", [pack])
            con.execute(f"CREATE TABLE IF NOT EXISTS label_packs ({TABLES['label_packs']})")  # opened before import
            con.execute("DELETE FROM label_packs WHERE pack = ?", [pack])
            if header is not None or document is not None:
                con.execute("INSERT INTO label_packs VALUES (?, ?, ?)",
                            [pack, json.dumps(header or {}, default=_json_value), document])
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
    return dict_rows(cur)


def pack_rows(con: duckdb.DuckDBPyConnection, pack: str) -> list[dict]:
    cols = ", ".join(LABEL_COLUMNS)
    cur = con.execute(f"SELECT {cols} FROM labels WHERE pack = ? ORDER BY chain, address, label", [pack])
    return [dict(zip(LABEL_COLUMNS, r)) for r in cur.fetchall()]


def pack_source(con: duckdb.DuckDBPyConnection, pack: str) -> tuple[dict | None, str | None]:
    """(header, document) kept when ``pack`` was imported; (None, None) when none was kept (or the warehouse,
    read-only and older, has no table for them)."""
    try:
        got = con.execute("SELECT header, document FROM label_packs WHERE pack = ?", [pack]).fetchall()
    except duckdb.Error:
        return None, None
    if not got:
        return None, None
    return (json.loads(got[0][0]) if got[0][0] else None), got[0][1]
