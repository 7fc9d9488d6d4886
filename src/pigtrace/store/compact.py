"""Compact ledger storage: addresses and transaction hashes are stored once, in dictionary tables, and the
ledger rows refer to them by integer ``*_ref`` columns.

Every writer still hands text rows to ``store.warehouse.merge_staged``; this module turns them into refs
(``merge_ledger``). Every reader still queries ``transfers``, ``transactions``, ``approvals`` and
``swaps``: they are views that join the refs back to text (``view_sql``), so their columns are exactly
the data contract's. Code that wants speed over a large warehouse (graphs, traces) may read the
``ledger_*`` base tables and the ``addresses`` / ``tx_hashes`` dictionaries directly.

Refs are global (unique across chains) and handed out by ingest batch, so a ledger table's ref columns
stay within a narrow range per row group and bit-pack to a few bytes a row.
"""

from __future__ import annotations

import duckdb

# Per ledger table: the column holding the transaction hash, and the columns holding addresses.
HASH_COLUMN: dict[str, str] = {
    "transactions": "hash", "transfers": "tx_hash", "approvals": "tx_hash", "swaps": "tx_hash",
}
ADDRESS_COLUMNS: dict[str, list[str]] = {
    "transactions": ["from_address", "to_address"],
    "transfers": ["token", "from_address", "to_address", "initiator"],
    "approvals": ["token", "owner", "spender", "contract", "initiator"],
    "swaps": ["pool", "sender", "recipient", "initiator", "token_in", "token_out"],
}
DICTIONARIES: dict[str, str] = {
    "addresses": "ref BIGINT NOT NULL, chain VARCHAR NOT NULL, address VARCHAR NOT NULL",
    "tx_hashes": "ref BIGINT NOT NULL, chain VARCHAR NOT NULL, hash VARCHAR NOT NULL",
}


def base_table(table: str) -> str:
    return f"ledger_{table}"


def ref_column(table: str, column: str) -> str:
    if column == HASH_COLUMN[table]:
        return "tx_ref"
    return column.removesuffix("_address") + "_ref"


def kind(table: str, column: str) -> str:
    """'hash', 'address' or 'plain': how ``column`` of ``table`` is stored."""
    if column == HASH_COLUMN[table]:
        return "hash"
    return "address" if column in ADDRESS_COLUMNS[table] else "plain"


def split_columns(spec: str) -> list[tuple[str, str]]:
    """'a VARCHAR NOT NULL, b BIGINT' -> [('a', 'VARCHAR NOT NULL'), ('b', 'BIGINT')]."""
    return [tuple(part.strip().split(None, 1)) for part in spec.split(",") if part.strip()]  # type: ignore[misc]


def base_spec(table: str, spec: str) -> str:
    """The base table's column list: text address and hash columns become BIGINT refs."""
    columns = []
    for name, sql_type in split_columns(spec):
        if kind(table, name) != "plain":
            not_null = " NOT NULL" if "NOT NULL" in sql_type else ""
            columns.append(f"{ref_column(table, name)} BIGINT{not_null}")
        else:
            columns.append(f"{name} {sql_type}")
    return ", ".join(columns)


def view_sql(table: str, spec: str) -> str:
    """The view giving ``table`` in its text form, columns in the data contract's order."""
    return f"CREATE OR REPLACE VIEW {table} AS {select_sql(table, spec)}"


def select_sql(table: str, spec: str, refs: tuple[str, ...] = ()) -> str:
    """The query behind ``table``'s view; ``refs``: address columns whose refs are also given, after the
    contract's columns, as INTEGER ``<column>_ref`` (refs are dense dictionary positions)."""
    select, joins = [], []
    for name, _ in split_columns(spec):
        if kind(table, name) == "hash":
            select.append(f"h.hash AS {name}")
        elif kind(table, name) == "address":
            alias = f"a_{name}"
            select.append(f"{alias}.address AS {name}")
            joins.append(f"LEFT JOIN addresses {alias} ON {alias}.ref = b.{ref_column(table, name)}")
        else:
            select.append(f"b.{name}")
    select += [f"b.{ref_column(table, name)}::INTEGER AS {ref_column(table, name)}" for name in refs]
    return (
        f"SELECT {', '.join(select)} FROM {base_table(table)} b "
        f"JOIN tx_hashes h ON h.ref = b.tx_ref {' '.join(joins)}"
    )


def merge_ledger(con: duckdb.DuckDBPyConnection, table: str, rows: str, keys: list[str]) -> int:
    """Insert the text rows of the query ``rows`` (one row per key) into the base table of ``table``,
    skipping keys already stored; returns rows added."""
    ordered = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")  # rows have keys; their order is not kept anyway
    try:
        return _merge(con, table, rows, keys)
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(ordered)}")


def _merge(con: duckdb.DuckDBPyConnection, table: str, rows: str, keys: list[str]) -> int:
    hash_col = HASH_COLUMN[table]
    columns = split_columns_of(con, table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_ledger_batch AS {rows}")
    has_block = "block_number" in {c for c, _ in columns}
    _assign_refs(con, "pt_batch_tx", "tx_hashes", "hash", [hash_col])
    _assign_refs(con, "pt_batch_addr", "addresses", "address", ADDRESS_COLUMNS[table])

    base_cols, select = [], []
    # a batch almost always holds one chain: then the chain need not be compared on every join
    one_chain = con.execute("SELECT count(DISTINCT chain) <= 1 FROM pt_batch_tx").fetchall()[0][0]

    def same_chain(alias: str) -> str:
        return "" if one_chain else f" AND {alias}.chain = s.chain"

    joins = [f"JOIN pt_batch_tx tx ON tx.hash = s.{hash_col}{same_chain('tx')}"]
    for name, _ in columns:
        base_cols.append(name if kind(table, name) == "plain" else ref_column(table, name))
        if kind(table, name) == "hash":
            select.append("tx.ref")
        elif kind(table, name) == "address":
            alias = f"r_{name}"
            select.append(f"{alias}.ref")
            joins.append(f"LEFT JOIN pt_batch_addr {alias} ON {alias}.address = s.{name}{same_chain(alias)}")
        else:
            select.append(f"s.{name}")
    # A ref above the table's largest cannot be stored in it yet: only older refs need the key check.
    newest = con.execute(f"SELECT coalesce(max(tx_ref), 0) FROM {base_table(table)}").fetchall()[0][0]
    collides = ""
    if con.execute(f"SELECT count(*) FILTER (WHERE ref <= {int(newest)}) > 0 FROM pt_batch_tx").fetchall()[0][0]:
        others = [k for k in keys if k not in ("chain", hash_col)]
        match = " AND ".join(["t.chain = s.chain", "t.tx_ref = tx.ref"] + [f"t.{k} = s.{k}" for k in others])
        existing = _block_range(con, base_table(table)) if has_block else base_table(table)
        collides = f"WHERE tx.ref > {int(newest)} OR NOT EXISTS (SELECT 1 FROM {existing} t WHERE {match})"
    added = con.execute(
        f"INSERT INTO {base_table(table)} ({', '.join(base_cols)}) SELECT {', '.join(select)} "
        f"FROM pt_ledger_batch s {' '.join(joins)} {collides}"
    ).fetchall()[0][0]
    for temp in ("pt_ledger_batch", "pt_batch_tx", "pt_batch_addr"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return added


def split_columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _block_range(con: duckdb.DuckDBPyConnection, base: str) -> str:
    """The part of ``base`` the batch can collide with: a row's key fixes its block, so only the batch's
    block range is compared (row groups outside it are skipped by their min/max). This keeps the cost of
    an incremental ingest independent of the warehouse's size."""
    lo, hi, missing = con.execute(
        "SELECT min(block_number), max(block_number), count(*) FILTER (WHERE block_number IS NULL) FROM pt_ledger_batch"
    ).fetchall()[0]
    if missing or lo is None:
        return base
    return f"(SELECT * FROM {base} WHERE block_number BETWEEN {int(lo)} AND {int(hi)})"


def _assign_refs(con: duckdb.DuckDBPyConnection, batch: str, dictionary: str, value: str, columns: list[str]) -> None:
    """``batch``(chain, <value>, ref): every value the batch's ``columns`` name, with its ref in
    ``dictionary``; values not seen before get the next refs and are added to the dictionary."""
    named = " UNION ALL ".join(f"SELECT chain, {c} AS v FROM pt_ledger_batch" for c in columns)
    start = int(con.execute(f"SELECT coalesce(max(ref), 0) FROM {dictionary}").fetchall()[0][0])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {batch} AS
            SELECT n.chain, n.v AS {value}, d.ref
            FROM (SELECT DISTINCT chain, v FROM ({named}) WHERE v IS NOT NULL) n
            LEFT JOIN {dictionary} d ON d.chain = n.chain AND d.{value} = n.v"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {batch} AS
            SELECT chain, {value}, ref FROM {batch} WHERE ref IS NOT NULL
            UNION ALL
            SELECT chain, {value}, {start} + row_number() OVER (ORDER BY chain, {value}) FROM {batch} WHERE ref IS NULL"""
    )
    con.execute(f"INSERT INTO {dictionary} SELECT ref, chain, {value} FROM {batch} WHERE ref > {start}")
