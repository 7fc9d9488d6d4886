"""What the clustering heuristics need to know about an address before it may link it, as DuckDB temp
tables of address refs (``addresses.ref``) built once per run straight from the compact ledger tables
(``ledger_*``), so no heuristic joins text addresses:

- ``pt_cl_services(ref)``: services, never merged with anyone: every entity of the warehouse's
  ``entities`` table (pigtrace.entities) but exchange deposit accounts: labelled services (OTC desks and
  mixers included; a scam label never makes an address one), unlabelled exchange hot wallets and
  forwarders, token contracts, DEX pools and routers, the zero address, contracts that pull their callers'
  tokens.
- ``pt_cl_exchange(ref)``: exchange hot wallets and forwarders, labelled or recognised by behaviour.
- ``pt_cl_deposits(ref)``: exchange deposit accounts (entities of kind ``exchange_deposit``).
- ``pt_cl_value`` (a view, so a large ledger is not copied): the value-bearing transfers the heuristics
  read (ERC-20/TRC-20 and native coin, a positive amount, sender and receiver known and different).

This is the clustering's view of the same services the detectors and tracing use (``entities.current``:
the stored table when it is up to date, else computed for this run).
"""

from __future__ import annotations

import duckdb

from pigtrace.entities import table as entities

VALUE_KINDS = "('erc20', 'trc20', 'native')"
TABLES = ("pt_cl_services", "pt_cl_exchange", "pt_cl_deposits")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW pt_cl_value AS
            SELECT chain, tx_ref, block_number, log_index, kind, token_ref, from_ref, to_ref, initiator_ref, amount, usd
            FROM ledger_transfers
            WHERE kind IN {VALUE_KINDS} AND (amount > 0 OR amount_text IS NOT NULL)
              AND from_ref IS NOT NULL AND to_ref IS NOT NULL AND from_ref <> to_ref"""
    )
    rel = entities.current(con)
    for table, where in (("pt_cl_exchange", "e.kind = 'exchange_hot_wallet'"),
                         ("pt_cl_services", "e.kind <> 'exchange_deposit'"),
                         ("pt_cl_deposits", "e.kind = 'exchange_deposit'")):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
                        SELECT a.ref FROM {rel} e JOIN addresses a ON a.chain = e.chain AND a.address = e.address
                        WHERE {where}""")


def drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS pt_cl_value")
    for table in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")
