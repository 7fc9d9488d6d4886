"""Properties every simulated world must keep, shared by the simulator's tests."""

from __future__ import annotations


def negative_balances(con, truth: dict) -> list[tuple]:
    """(token, address, lowest balance) of every address that at some point spent more of a token than it
    had received, in ledger order; services (off-ledger balances) and scam-issued fake tokens exempt."""
    exempt = [s["address"] for s in truth["services"]]
    tokens = {t[0] for t in con.execute("SELECT address FROM tokens").fetchall()}
    fake_tokens = [r["address"] for r in truth["roles"] if r["address"] in tokens]
    con.execute("CREATE OR REPLACE TEMP TABLE exempt AS SELECT unnest(?::VARCHAR[]) AS address", [exempt])
    con.execute("CREATE OR REPLACE TEMP TABLE fake_tokens AS SELECT unnest(?::VARCHAR[]) AS address", [fake_tokens])
    return con.execute(
        """WITH legs AS (
               SELECT t.token, t.from_address AS address, -t.amount::HUGEINT AS delta, t.block_number,
                      x.transaction_index, t.log_index
               FROM transfers t JOIN transactions x ON x.hash = t.tx_hash
               UNION ALL
               SELECT t.token, t.to_address, t.amount::HUGEINT, t.block_number, x.transaction_index, t.log_index
               FROM transfers t JOIN transactions x ON x.hash = t.tx_hash),
           running AS (
               SELECT token, address, sum(delta) OVER (PARTITION BY token, address
                      ORDER BY block_number, transaction_index, log_index, delta DESC
                      ROWS UNBOUNDED PRECEDING) AS balance
               FROM legs
               WHERE address NOT IN (SELECT address FROM exempt) AND token NOT IN (SELECT address FROM fake_tokens))
           SELECT token, address, min(balance) FROM running GROUP BY 1, 2 HAVING min(balance) < 0"""
    ).fetchall()
