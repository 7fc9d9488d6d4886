"""Opening the warehouse, creating its schema, and writing batches all-or-nothing.

Writers stage rows in temporary tables and merge them with ``merge_staged``: rows whose primary key is
already present are skipped, so ingesting the same data twice changes nothing. Everything one ingest
writes happens inside one transaction (``atomic``), so a failure leaves the database as it was.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.store import compact
from pigtrace.store.schema import ADDED_COLUMNS, PRIMARY_KEYS, SCHEMA_VERSION, TABLES

DEFAULT_DB = "pigtrace.duckdb"
_extra_tables: dict[str, str] = {}


def register_tables(tables: dict[str, str]) -> None:
    """Let a layer (labels, findings, cases) add its tables to the schema created on connect."""
    _extra_tables.update(tables)


def db_path(path: str | os.PathLike | None = None) -> str:
    return str(path or os.environ.get("PIGTRACE_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create if needed) the warehouse at ``path``; ':memory:' works for tests."""
    target = db_path(path)
    if read_only and target != ":memory:" and not Path(target).exists():
        raise PigtraceError(f"{target}: no warehouse here yet (run `pigtrace ingest ...` or `pigtrace demo` first)")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as e:
        raise PigtraceError(f"{target}: cannot open the warehouse: {e}") from None
    avoid_wrong_results(con)
    _require_current(con, target)
    if not read_only:
        ensure_schema(con)
    return con


def dict_rows(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    """The rows of an executed query as dicts by column name."""
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def avoid_wrong_results(con: duckdb.DuckDBPyConnection) -> None:
    """Turn off DuckDB optimizers known to return wrong rows on this warehouse's views. DuckDB 2.0's
    ``common_subplan`` merges the two halves of ``SELECT from_address FROM transfers UNION ALL SELECT
    to_address FROM transfers`` (with the same WHERE) into one, so the second half returns the senders too."""
    known = {r[0] for r in con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    if "common_subplan" in known:
        con.execute("SET disabled_optimizers = 'common_subplan'")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing (a warehouse of an older schema is converted by ``store.upgrade``)."""
    avoid_wrong_results(con)
    for name, columns in {**compact.DICTIONARIES, **TABLES, **_extra_tables}.items():
        if name in compact.HASH_COLUMN:
            con.execute(f"CREATE TABLE IF NOT EXISTS {compact.base_table(name)} ({compact.base_spec(name, columns)})")
            if not _exists(con, name):
                con.execute(compact.view_sql(name, columns))
        else:
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    for table, column, sql_type in ADDED_COLUMNS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}")
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name])
                .fetchall()[0][0] or con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name])
                .fetchall()[0][0])


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version a warehouse was written with; None for a new, empty file."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta'").fetchall()[0][0]:
        return None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(row[0][0]) if row else None


def _require_current(con: duckdb.DuckDBPyConnection, target: str) -> None:
    version = stored_version(con)
    if version is not None and version < SCHEMA_VERSION:
        con.close()
        raise PigtraceError(
            f"{target}: warehouse written by an older pigtrace (schema {version}, now {SCHEMA_VERSION}); "
            "run `pigtrace upgrade` once to convert it"
        )


@contextmanager
def no_progress_bar(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB draws a progress bar on stdout for queries over two seconds; stdout is for results (JSON, CSV)."""
    shown = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {bool(shown)}")


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            # the first error is the one to report: DuckDB may have ended the transaction itself (a database it
            # invalidated, a disk that filled up), and the failed rollback would hide why
            pass
        raise
    else:
        con.execute("COMMIT")


INGEST_MEMORY = os.environ.get("PIGTRACE_INGEST_MEMORY", "1GB")


@contextmanager
def ingest_memory(con: duckdb.DuckDBPyConnection, limit: str = INGEST_MEMORY) -> Iterator[None]:
    """Cap DuckDB's memory while ingesting: big folders then stream and spill instead of growing.

    ``limit`` (PIGTRACE_INGEST_MEMORY) is a size of at least 64MB (KB, MB, GB, TB or KiB ... TiB) or a share
    of the machine's memory (1% to 100%); anything else is refused before it reaches SQL."""
    import re

    size = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|%)\s*", limit or "", re.IGNORECASE)
    number, unit = (float(size.group(1)), size.group(2).upper()) if size else (0.0, "")
    scale = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    if not (unit == "%" and 1 <= number <= 100 or unit in scale and number * scale[unit] >= 64e6):
        raise PigtraceError(f"PIGTRACE_INGEST_MEMORY {limit!r}: expected a memory size such as 512MB, 2GB or "
                            "75% (of the machine's memory), at least 64MB")
    previous = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{previous}'")


def merge_staged(con: duckdb.DuckDBPyConnection, table: str, staged: str, unique: bool = False) -> int:
    """Insert rows of relation/table ``staged`` into ``table`` unless their key exists; returns rows added.

    Duplicates inside the staged batch collapse to one row per key too, unless the caller already
    guarantees ``unique`` keys. The checks cost a hash aggregate and an anti-join; the row-numbering
    dedup only runs when the batch has duplicates.
    """
    keys = PRIMARY_KEYS[table]
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    col_list = ", ".join(cols)
    key_list = ", ".join(keys)
    join = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    dupes = not unique and con.execute(
        f"SELECT count(*) FROM (SELECT hash({key_list}) h FROM {staged} GROUP BY h HAVING count(*) > 1)"
    ).fetchall()[0][0]
    dedup = f"QUALIFY row_number() OVER (PARTITION BY {key_list}) = 1" if dupes else ""
    if table in compact.HASH_COLUMN:
        return compact.merge_ledger(con, table, f"SELECT {col_list} FROM {staged} s {dedup}", keys)
    target_empty = con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM {table} LIMIT 1)").fetchall()[0][0]
    where = "" if target_empty else f"WHERE NOT EXISTS (SELECT 1 FROM {_existing(con, table, staged, cols)} t WHERE {join})"
    return con.execute(
        f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM {staged} s {where} {dedup}"
    ).fetchall()[0][0]


def _existing(con: duckdb.DuckDBPyConnection, table: str, staged: str, cols: list[str]) -> str:
    """The part of ``table`` a staged batch can collide with. A row's key fixes its block, so only the
    batch's block range is compared (row groups outside it are skipped by their min/max); this keeps
    the cost of an incremental ingest independent of the warehouse's size."""
    block = "number" if table == "blocks" else "block_number" if "block_number" in cols else None
    if block is None:
        return table
    lo, hi, missing = con.execute(
        f"SELECT min({block}), max({block}), count(*) FILTER (WHERE {block} IS NULL) FROM {staged}"
    ).fetchall()[0]
    if missing or lo is None:
        return table
    return f"(SELECT * FROM {table} WHERE {block} BETWEEN {int(lo)} AND {int(hi)})"


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> int:
    """Merge Python rows (dicts keyed by column name; missing columns are NULL) into ``table``; returns
    rows added."""
    if not rows:
        return 0
    import pyarrow as pa  # here, not at the top: reading commands never load it

    types = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
    wide = {c for c, t in types if t in ("UHUGEINT", "HUGEINT")}
    arrow = pa.Table.from_pylist([{c: _exact(r.get(c)) if c in wide else r.get(c) for c, _ in types} for r in rows])
    con.from_arrow(arrow).project(", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in types)).create("pt_insert_rows")
    try:
        if table in PRIMARY_KEYS:
            return merge_staged(con, table, "pt_insert_rows")
        return con.execute(f"INSERT INTO {table} SELECT * FROM pt_insert_rows").fetchall()[0][0]
    finally:
        con.execute("DROP TABLE IF EXISTS pt_insert_rows")


def _exact(v):
    """128-bit integers travel to DuckDB as decimal text (Arrow has no 128-bit integer column)."""
    return str(v) if isinstance(v, int) else v


def dedupe(con: duckdb.DuckDBPyConnection, table: str, keys: list[str]) -> None:
    """Keep one row per key in a staging table (cheap check first; rewrite only when needed)."""
    key_list = ", ".join(keys)
    if con.execute(
        f"SELECT count(*) FROM (SELECT hash({key_list}) h FROM {table} GROUP BY h HAVING count(*) > 1)"
    ).fetchall()[0][0]:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} "
            f"QUALIFY row_number() OVER (PARTITION BY {key_list}) = 1"
        )


def log_ingest(con, source: str, location: str, chain: str, started: datetime, rows: dict[str, int]) -> None:
    next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM ingest_log").fetchall()[0][0]
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?)",
        [next_id, source, location, chain, started, datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(rows)],
    )


def table_counts(con) -> dict[str, int]:
    from pigtrace.store.schema import CANONICAL

    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in CANONICAL}
