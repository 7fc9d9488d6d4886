"""Swaps on Tron recognised from TRC-20 transfers, for `pigtrace ingest trongrid` (its last step before the
ingest log).

TronGrid's transfer pages carry no Swap event, but a SunSwap-style pair shows itself in the transfers of
one transaction: it receives one token and sends another out. A ``swaps`` row is written for every
(transaction, address) with exactly one TRC-20 transfer in and one out, of two different tokens, neither
of them the address's own token (a liquidity burn) and the address not the zero address (mint/burn).

The swapper looks the same from the other side (it sends one token and receives the other), so the
transaction's signer is never a pool. Where the signer is unknown (bare pages and no account history),
or not among the candidates (a relayer signed), and a transaction has several candidates, the ones that
have swapped with the fewest distinct senders over the whole chain are dropped: a pool trades with many
parties, a user with a few pools. A transaction whose candidates tie gives no swap.

Swaps are derived from the stored ledger, not from one batch, so the set is recomputed for the chain on
every ingest and the stored set is brought to it (rows no longer derived are deleted, new ones added):
the result depends only on what the warehouse holds, whatever the order the pages came in. It works on
the compact ledger's integer refs, which already exist for every address involved, and writes
``ledger_swaps`` directly.
"""

from __future__ import annotations

import duckdb

from pigtrace.chains.addresses import tron_hex_to_base58

PROTOCOL = "tron_pair_transfers"
ZERO = tron_hex_to_base58("41" + "00" * 20)


def recognise_swaps(con: duckdb.DuckDBPyConnection, chain: str = "tron") -> tuple[int, int]:
    """Bring the chain's transfer-derived swaps up to date; returns (rows added, rows removed)."""
    zero = con.execute("SELECT ref FROM addresses WHERE chain = ? AND address = ?", [chain, ZERO]).fetchall()
    zero_ref = int(zero[0][0]) if zero else -1
    con.execute(_SQL.format(zero_ref=zero_ref, protocol=PROTOCOL), {"chain": chain})
    columns = ("chain, tx_ref, log_index, block_number, time, pool_ref, protocol, sender_ref, recipient_ref, "
               "initiator_ref, token_in_ref, amount_in, token_out_ref, amount_out")
    removed = con.execute(
        f"""DELETE FROM ledger_swaps s WHERE s.chain = $chain AND s.protocol = '{PROTOCOL}'
            AND NOT EXISTS (SELECT 1 FROM pt_tron_swaps n WHERE n.tx_ref = s.tx_ref AND n.log_index = s.log_index
                AND ({', '.join('n.' + c for c in columns.split(', '))})
                    IS NOT DISTINCT FROM ({', '.join('s.' + c for c in columns.split(', '))}))""",
        {"chain": chain},
    ).fetchall()[0][0]
    added = con.execute(
        f"""INSERT INTO ledger_swaps ({columns})
            SELECT {columns} FROM pt_tron_swaps n
            WHERE NOT EXISTS (SELECT 1 FROM ledger_swaps s WHERE s.chain = n.chain AND s.tx_ref = n.tx_ref
                              AND s.log_index = n.log_index)"""
    ).fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS pt_tron_swaps")
    return int(added), int(removed)


_SQL = """CREATE OR REPLACE TEMP TABLE pt_tron_swaps AS
WITH legs AS (
    SELECT tx_ref, to_ref AS node, 1 AS dir, token_ref, amount, from_ref AS party, log_index, block_number, time
    FROM ledger_transfers WHERE chain = $chain AND kind = 'trc20' AND amount > 0
    UNION ALL
    SELECT tx_ref, from_ref, -1, token_ref, amount, to_ref, log_index, block_number, time
    FROM ledger_transfers WHERE chain = $chain AND kind = 'trc20' AND amount > 0),
candidates AS (
    SELECT tx_ref, node,
           min(token_ref) FILTER (dir = 1) AS token_in, min(amount) FILTER (dir = 1) AS amount_in,
           min(token_ref) FILTER (dir = -1) AS token_out, min(amount) FILTER (dir = -1) AS amount_out,
           min(party) FILTER (dir = 1) AS sender, min(party) FILTER (dir = -1) AS recipient,
           min(log_index) FILTER (dir = -1) AS log_index, max(block_number) AS block_number, min(time) AS time
    FROM legs GROUP BY tx_ref, node
    HAVING count(*) FILTER (dir = 1) = 1 AND count(*) FILTER (dir = -1) = 1
       AND token_in <> token_out AND node NOT IN (token_in, token_out, {zero_ref})),
signed AS (
    SELECT c.*, x.from_ref AS initiator,
           coalesce(bool_or(c.node = x.from_ref) OVER (PARTITION BY c.tx_ref), false) AS signer_swapped
    FROM candidates c
    LEFT JOIN ledger_transactions x ON x.chain = $chain AND x.tx_ref = c.tx_ref),
kept AS (SELECT * FROM signed WHERE node IS DISTINCT FROM initiator),
breadth AS (SELECT node, count(DISTINCT sender) AS senders FROM kept GROUP BY node),
ranked AS (
    SELECT k.*, b.senders, count(*) OVER w AS n, min(b.senders) OVER w AS least
    FROM kept k JOIN breadth b USING (node)
    WINDOW w AS (PARTITION BY k.tx_ref))
SELECT $chain AS chain, tx_ref, log_index, block_number, time, node AS pool_ref, '{protocol}' AS protocol,
       sender AS sender_ref, recipient AS recipient_ref, initiator AS initiator_ref,
       token_in AS token_in_ref, amount_in, token_out AS token_out_ref, amount_out
FROM ranked
WHERE n = 1 OR signer_swapped OR senders > least"""
