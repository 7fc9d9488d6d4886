"""`pigtrace ingest parquet DIR` / `pigtrace export parquet DIR`: the canonical tables as Parquet, the
exchange format with Spark and other engines. One ``<table>.parquet`` file (or a ``<table>/`` folder of
part files, as Spark writes them) per canonical table; columns are matched by name and cast to the
warehouse's types, so a file with a missing column is reported, not guessed at. Raw amounts (unsigned
128-bit in the warehouse) travel as exact decimal strings, since Parquet readers such as Spark stop at
38-digit decimals and a double would round them. `export parquet` also writes what analysis made
(``RESULTS``: findings, saved cases, rings; JSON columns as text), which `ingest parquet` does not read."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pigtrace.chains.prices import revalue
from pigtrace.errors import IngestError
from pigtrace.progress import Progress, quiet
from pigtrace.store.schema import CANONICAL
from pigtrace.store.warehouse import atomic, ingest_memory, log_ingest, merge_staged


def _sources(root: Path) -> dict[str, list[Path]]:
    if not root.is_dir():
        raise IngestError(f"{root}: not a folder (expected <table>.parquet files: {', '.join(CANONICAL)})")
    found: dict[str, list[Path]] = {}
    for table in CANONICAL:
        single = root / f"{table}.parquet"
        parts = sorted((root / table).rglob("*.parquet")) if (root / table).is_dir() else []
        files = ([single] if single.exists() else []) + parts
        if files:
            found[table] = files
    if not found:
        raise IngestError(f"{root}: no canonical Parquet tables found (expected e.g. transfers.parquet)")
    return found


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()


def ingest_parquet(con: duckdb.DuckDBPyConnection, folder: str | Path, progress: Progress = quiet) -> dict[str, int]:
    """Ingest the canonical Parquet tables in ``folder``; all or nothing. ``progress`` hears each table as
    it is read and merged, then "committing"."""
    root = Path(folder)
    sources = _sources(root)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    added: dict[str, int] = {}
    with ingest_memory(con), atomic(con):
        for table, files in sources.items():
            progress(f"merging {table} ({len(files)} file{'s' if len(files) > 1 else ''})")
            try:  # paths go to DuckDB as values (a relation), never into SQL text
                src = con.read_parquet([str(f) for f in files], hive_partitioning=False)
                present = set(src.columns)
            except duckdb.Error as e:
                raise IngestError(f"{files[0]}: not a readable Parquet file: {str(e).splitlines()[0]}") from None
            wanted = _columns(con, table)
            missing = [c for c, _ in wanted if c not in present]
            if missing:
                raise IngestError(f"{files[0]}: missing column(s) {', '.join(missing)} for table {table}")
            # read straight from the files (no staging copy): Parquet scans are cheap, the copy is not;
            # the column names are the warehouse's own, never the file's
            src.create_view("pt_parquet_src", replace=True)
            select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in wanted)
            rows = f"(SELECT {select} FROM pt_parquet_src)"
            try:
                nulls = con.execute(
                    f"SELECT count(*) FROM {rows} WHERE " + " OR ".join(f'"{k}" IS NULL' for k in _key(table))
                ).fetchall()[0][0]
                if nulls:
                    raise IngestError(f"{files[0]}: {nulls} row(s) with an empty key column ({', '.join(_key(table))})")
                added[table] = merge_staged(con, table, rows)
            except duckdb.Error as e:
                raise IngestError(f"{files[0]}: values do not fit table {table}: {str(e).splitlines()[0]}") from None
            con.execute("DROP VIEW pt_parquet_src")
        revalue(con)  # transfers on days with an imported price take it
        log_ingest(con, "parquet", str(root), "*", started, added)
        progress("committing")
    return added


def _key(table: str) -> list[str]:
    from pigtrace.store.schema import PRIMARY_KEYS

    return PRIMARY_KEYS[table]


# What analysis made, exported beside the canonical tables for other tools (`ingest parquet` reads only
# the canonical ones): findings (reasons and evidence as JSON text), saved cases (their JSON body) and rings.
RESULTS = ["findings", "cases", "rings"]


def export_parquet(con: duckdb.DuckDBPyConnection, folder: str | Path) -> dict[str, int]:
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = {}
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table in CANONICAL + [t for t in RESULTS if t in present]:
        exact = [c for c, t in _columns(con, table) if t in ("UHUGEINT", "JSON")]
        replace = f" REPLACE ({', '.join(f'{c}::VARCHAR AS {c}' for c in exact)})" if exact else ""
        # the target path goes to DuckDB as a value, never into SQL text
        con.sql(f"SELECT *{replace} FROM {table}").write_parquet(str(root / f"{table}.parquet"), compression="zstd")
        written[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return written
