"""`pigtrace status`: what the warehouse holds, per chain and table, for a person checking an ingest, and
(``--verify``) whether every block of table data in the file can still be read."""

from __future__ import annotations

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.progress import Progress, quiet


def summarize(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        """SELECT chain, 'transactions' AS tbl, count(*) AS n, min(time) AS t0, max(time) AS t1 FROM transactions GROUP BY chain
           UNION ALL SELECT chain, 'transfers', count(*), min(time), max(time) FROM transfers GROUP BY chain
           UNION ALL SELECT chain, 'approvals', count(*), min(time), max(time) FROM approvals GROUP BY chain
           UNION ALL SELECT chain, 'swaps', count(*), min(time), max(time) FROM swaps GROUP BY chain
           UNION ALL SELECT chain, 'blocks', count(*), min(time), max(time) FROM blocks GROUP BY chain
           UNION ALL SELECT chain, 'findings', count(*), min(first_seen), max(last_seen) FROM findings GROUP BY chain
           UNION ALL SELECT chain, 'labels', count(*), NULL, NULL FROM labels GROUP BY chain
           ORDER BY 1, 2"""
    ).fetchall()
    return [{"chain": c, "table": t, "rows": n, "from": t0, "to": t1} for c, t, n, t0, t1 in rows]


def read_every_table(con: duckdb.DuckDBPyConnection, progress: Progress = quiet) -> dict[str, int]:
    """Read every value of every table, so DuckDB reads every block holding table data and checks its
    checksum; returns rows per table. A block that cannot be read raises PigtraceError naming the table.

    Not read: blocks no table uses any more (free space), and the primary-key indexes of the small tables,
    which are read when the table is next written."""
    rows = {}
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND database_name = current_database() ORDER BY 1, 2"
    ).fetchall():
        progress(f"reading table {table}")
        name = f"{_quoted(schema)}.{_quoted(table)}"
        columns = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
        every_value = ", ".join(f"bit_xor(hash({_quoted(c)}))" for c in columns)  # the values must be decoded
        try:
            rows[table] = con.execute(f"SELECT count(*), {every_value} FROM {name}").fetchone()[0]
        except duckdb.Error as e:
            if "interrupt" in str(e).lower():
                raise
            raise PigtraceError(
                f"{_file(con)}: the warehouse file is damaged: table {table} cannot be read in full "
                f"({str(e).strip().splitlines()[0]}); restore it from a copy or build it again (`pigtrace ingest ...`)"
            ) from None
    return rows


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _file(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
