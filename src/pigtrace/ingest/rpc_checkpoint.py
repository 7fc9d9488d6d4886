"""Where an `ingest rpc` run over one block range stands: the ``rpc_checkpoints`` table.

One row per (node URL without credentials, chain, from_block, to_block); ``next_block`` is the first
block not yet committed. It is written in the same transaction as the chunk it follows, so it never
claims a block the warehouse lacks. A run of the same range resumes at ``next_block``; once the range is
complete (``next_block = to_block + 1``) the next run of that range reads it again from the start, and
rows already stored are skipped by their keys.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb


def resume_block(con: duckdb.DuckDBPyConnection, url: str, chain: str, first: int, last: int) -> int:
    """First block this run must read: where an unfinished run of the same range stopped, else ``first``."""
    row = con.execute(
        "SELECT next_block FROM rpc_checkpoints WHERE url = ? AND chain = ? AND from_block = ? AND to_block = ?",
        [url, chain, first, last],
    ).fetchone()
    if row is None or not (first < row[0] <= last):
        return first
    return row[0]


def save(con: duckdb.DuckDBPyConnection, url: str, chain: str, first: int, last: int, next_block: int) -> None:
    """Record that blocks before ``next_block`` are committed. Call inside the chunk's transaction."""
    con.execute(
        "INSERT OR REPLACE INTO rpc_checkpoints VALUES (?, ?, ?, ?, ?, ?)",
        [url, chain, first, last, next_block, datetime.now(timezone.utc).replace(tzinfo=None)],
    )
