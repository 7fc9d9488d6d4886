"""`pigtrace status`: what the warehouse holds, per chain and table, for a person checking an ingest."""

from __future__ import annotations

import duckdb


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
