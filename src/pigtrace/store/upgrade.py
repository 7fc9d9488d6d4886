"""`pigtrace upgrade`: convert a warehouse written by an older pigtrace into the current schema.

The conversion writes a new file beside the old one, through the ordinary merge (so the compact ledger
is built exactly as an ingest builds it), and replaces the old file only once the new one is complete:
a failure or an interrupt leaves the old warehouse as it was. Schema 1 held the ledger's addresses and
hashes as text; its other tables carry over column by column.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.store.compact import HASH_COLUMN
from pigtrace.store.schema import SCHEMA_VERSION
from pigtrace.store.warehouse import atomic, connect, merge_staged, stored_version


def upgrade_warehouse(path: str | os.PathLike) -> tuple[int, int]:
    """Convert the warehouse at ``path`` in place; returns (old version, new version)."""
    source = Path(path)
    if not source.exists():
        raise PigtraceError(f"{source}: no warehouse here")
    probe = duckdb.connect(str(source), read_only=True)
    version = stored_version(probe)
    probe.close()
    if version is None or version >= SCHEMA_VERSION:
        return version or SCHEMA_VERSION, SCHEMA_VERSION
    target = source.with_name(source.name + ".upgrading")
    for stale in (target, Path(f"{target}.wal")):
        stale.unlink(missing_ok=True)
    try:
        con = connect(target)
        con.execute("ATTACH ? AS pt_previous (READ_ONLY)", [str(source)])
        with atomic(con):
            _copy(con)
        con.execute("DETACH pt_previous")
        con.execute("CHECKPOINT")
        con.close()
        os.replace(target, source)
    except BaseException:
        for stale in (target, Path(f"{target}.wal")):
            stale.unlink(missing_ok=True)
        raise
    return version, SCHEMA_VERSION


def _copy(con: duckdb.DuckDBPyConnection) -> None:
    old_tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'pt_previous' AND table_name <> 'meta'").fetchall()]
    for table in old_tables:
        if table in HASH_COLUMN:
            merge_staged(con, table, f"pt_previous.main.{table}")
            continue
        new_columns = {r[0] for r in con.execute(f"DESCRIBE main.{table}").fetchall()} if _exists(con, table) else set()
        if not new_columns:
            continue  # a table this pigtrace no longer has
        shared = [r[0] for r in con.execute(f"DESCRIBE pt_previous.main.{table}").fetchall() if r[0] in new_columns]
        columns = ", ".join(f'"{c}"' for c in shared)
        con.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM pt_previous.main.{table}")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?", [table]
    ).fetchall()[0][0])
