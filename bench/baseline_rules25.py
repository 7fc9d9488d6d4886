"""The 25-line baseline of issue 8: "several distinct small senders, fewer payments out than in".

An account is flagged ``scam_collection`` when at least ``k`` distinct senders paid it a small amount
(native coin, at most ``small_wei``) and it made fewer outgoing payments than it received
(``features(con, small_wei)`` once per cut, then ``flag(con, k)``). It reads only
the warehouse's ``transfers`` table (any chain, native coin only), knows no label and no detector, and
is the yardstick pigtrace's behaviour-only detectors should beat on real data (bench/real_xblock.py).
"""

from __future__ import annotations

import duckdb


def features(con: duckdb.DuckDBPyConnection, small_wei: int) -> None:
    """Temp table ``pt_baseline_features``: per receiving account, payments in and out and the distinct
    senders of small amounts."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_baseline_features AS
            WITH pay AS (
                SELECT chain, from_address AS src, to_address AS dst, amount FROM transfers
                WHERE token = 'native' AND from_address IS NOT NULL AND to_address IS NOT NULL
                  AND from_address <> to_address),
            ins AS (
                SELECT chain, dst AS address, count(*) AS n_in,
                       count(DISTINCT src) FILTER (WHERE amount <= {int(small_wei)}) AS small_senders
                FROM pay GROUP BY ALL),
            outs AS (SELECT chain, src AS address, count(*) AS n_out FROM pay GROUP BY ALL)
            SELECT i.*, coalesce(o.n_out, 0) AS n_out
            FROM ins i LEFT JOIN outs o ON o.chain = i.chain AND o.address = i.address"""
    )


def flag(con: duckdb.DuckDBPyConnection, k: int, table: str = "pt_baseline_flags") -> int:
    """Temp table ``table(chain, address, role, score)``: the accounts of ``pt_baseline_features`` with at
    least ``k`` distinct small senders and fewer payments out than in; returns how many."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT chain, address, 'scam_collection' AS role, 1.0 AS score FROM pt_baseline_features
            WHERE small_senders >= {int(k)} AND n_out < n_in"""
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
