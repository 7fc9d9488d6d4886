"""What the clustering heuristics need to know about an address before it may link it, as DuckDB temp
tables of address refs (``addresses.ref``) built once per run straight from the compact ledger tables
(``ledger_*``), so no heuristic joins text addresses:

- ``pt_cl_services(ref)``: services, never merged with anyone: addresses labelled as a service (the
  categories ``detect.flow_services`` treats as services, OTC desks and mixers included; a label that calls
  the address a scam never makes it one), token contracts, DEX pools, the routers swaps are sent to, the zero
  address, and contracts that pull tokens from whoever calls them (bridge and vault deposits).
- ``pt_cl_exchange(ref)``: addresses labelled as exchanges (hot wallets).
- ``pt_cl_deposits(ref)``: exchange deposit accounts: addresses that are not services and send at least
  half of what they send (by USD and by count) to labelled exchange addresses -- the exchange sweeping its
  customer's deposit address to its hot wallet (the rule ``detect.flow_services`` uses, on refs).
- ``pt_cl_value`` (a view, so a large ledger is not copied): the value-bearing transfers the heuristics
  read (ERC-20/TRC-20 and native coin, a positive amount, sender and receiver known and different).

This is the clustering's view of the same services the detectors use; labels are read from ``labels``
joined to the ``addresses`` dictionary, so a labelled address that never appears in the ledger plays no part.
"""

from __future__ import annotations

import duckdb

from pigtrace.detect.flow_services import (
    EXCHANGE_CATEGORIES,
    OTC_CATEGORIES,
    SERVICE_CATEGORIES,
    ZERO,
    label_match,
)

VALUE_KINDS = "('erc20', 'trc20', 'native')"
TOKEN_KINDS = "('erc20', 'trc20')"
TABLES = ("pt_cl_services", "pt_cl_exchange", "pt_cl_deposits")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW pt_cl_value AS
            SELECT chain, tx_ref, block_number, log_index, kind, token_ref, from_ref, to_ref, initiator_ref, amount, usd
            FROM ledger_transfers
            WHERE kind IN {VALUE_KINDS} AND (amount > 0 OR amount_text IS NOT NULL)
              AND from_ref IS NOT NULL AND to_ref IS NOT NULL AND from_ref <> to_ref"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_cl_exchange AS
            SELECT DISTINCT a.ref FROM labels l JOIN addresses a ON a.chain = l.chain AND a.address = l.address
            WHERE {label_match(EXCHANGE_CATEGORIES)}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_cl_services AS
            SELECT DISTINCT ref FROM (
                SELECT a.ref FROM labels l JOIN addresses a ON a.chain = l.chain AND a.address = l.address
                WHERE {label_match(SERVICE_CATEGORIES + OTC_CATEGORIES)}
                UNION ALL SELECT a.ref FROM tokens k JOIN addresses a ON a.chain = k.chain AND a.address = k.address
                UNION ALL SELECT DISTINCT token_ref FROM ledger_transfers WHERE kind <> 'native'
                UNION ALL SELECT DISTINCT pool_ref FROM ledger_swaps
                UNION ALL SELECT DISTINCT x.to_ref FROM ledger_swaps s JOIN ledger_transactions x ON x.tx_ref = s.tx_ref
                    WHERE x.to_ref IS DISTINCT FROM s.recipient_ref AND x.to_ref IS DISTINCT FROM s.initiator_ref
                UNION ALL SELECT ref FROM addresses WHERE address = '{ZERO}'
                UNION ALL SELECT DISTINCT t.to_ref FROM ledger_transfers t
                    JOIN ledger_transactions x ON x.tx_ref = t.tx_ref WHERE t.kind IN {TOKEN_KINDS} AND x.to_ref = t.to_ref AND t.from_ref = x.from_ref)
            WHERE ref IS NOT NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_cl_deposits AS
           WITH outs AS (
               SELECT v.from_ref AS ref, v.usd, x.ref IS NOT NULL AS swept
               FROM pt_cl_value v LEFT JOIN pt_cl_exchange x ON x.ref = v.to_ref)
           SELECT ref FROM outs
           WHERE ref NOT IN (SELECT ref FROM pt_cl_services)
           GROUP BY ref
           HAVING count(*) FILTER (WHERE swept) > 0
              AND coalesce(sum(usd) FILTER (WHERE swept), 0) >= 0.5 * coalesce(sum(usd), 0)
              AND count(*) FILTER (WHERE swept) >= 0.5 * count(*)"""
    )


def drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS pt_cl_value")
    for table in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")
