"""Shared ground for the flow detectors: which addresses are services, which are exchange deposit
accounts, and the value transfers the detectors read. Everything is a DuckDB temp table built once per
analysis (``prepare``) and reused by fake_platform, laundering and cash_out.

- ``pt_value``: value-bearing transfers (USD known and positive; ERC-20 or native), one per row.
- ``pt_services``: addresses that are services, never findings: labelled exchanges, DEXes, bridges,
  mixers, OTC desks, payment processors and other infrastructure (labels/taxonomy), token contracts, DEX pools and the
  routers swap transactions call, the zero address, and contracts that pull tokens from whoever calls
  them (bridge deposits, vaults: the caller's tokens move to the very address the caller called).
- ``pt_exchange``: labelled exchange addresses (hot wallets).
- ``pt_deposits``: exchange deposit accounts: non-service addresses that send most of what they send to
  a labelled exchange address (the exchange sweeping its customer's deposit address to its hot wallet).
- ``pt_swap_returns``: (tx, address) pairs where the address paid a service and got paid back by one in
  the same transaction (a swap); the returned leg is conversion, not new money, so the taint walk skips it.
"""

from __future__ import annotations

import duckdb

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.labels import taxonomy

# Services (labels/taxonomy.SERVICE_CATEGORIES) plus mixers, gambling and marketplaces: infrastructure a
# trace ends at. OTC desks and guarantee marketplaces end a trace too but are judged by cash_out.
SERVICE_CATEGORIES = tuple(sorted(taxonomy.SERVICE_CATEGORIES | {"mixing_service", "gambling", "marketplace"}))
OTC_CATEGORIES = ("otc_desk", "guarantee_marketplace")
EXCHANGE_CATEGORIES = ("exchange",)
ZERO = "0x0000000000000000000000000000000000000000"


def label_match(categories: tuple[str, ...]) -> str:
    """SQL predicate on ``labels``: category or concepts name one of ``categories``, and the label does
    not also call the address a scam (a scam label never makes an address a service)."""
    cats = ", ".join(f"'{c}'" for c in categories)
    scam = ", ".join(f"'{c}'" for c in sorted(taxonomy.HIGH_CONCEPTS | taxonomy.SEVERE_CONCEPTS))
    abuse = ", ".join(f"'{c}'" for c in sorted(taxonomy.ABUSE_CATEGORIES))
    return (f"(category IN ({cats}) OR list_has_any(coalesce(concepts, []::VARCHAR[]), [{cats}]))"
            f" AND NOT list_has_any(coalesce(concepts, []::VARCHAR[]), [{scam}])"
            f" AND coalesce(category, '') NOT IN ({abuse})")


def prepare(ctx: AnalysisContext) -> None:
    """Create the shared temp tables once per analysis."""
    if ctx.cache.get("flow_prepared"):
        return
    con = ctx.con
    labels = ctx.labels()  # without abuse labels in behaviour-only mode
    chain_filter = "AND chain = ?" if ctx.chain else ""
    params = [ctx.chain] if ctx.chain else []
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_value AS
            SELECT chain, tx_hash, log_index, time, token, from_address AS src, to_address AS dst, usd,
                   amount, initiator
            FROM transfers
            WHERE usd > 0 AND kind IN ('erc20', 'trc20', 'native') AND from_address IS NOT NULL
              AND to_address IS NOT NULL AND from_address <> to_address {chain_filter}""",
        params,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_services AS
            SELECT chain, address, min(kind) AS kind FROM (
                SELECT chain, address, 'labelled ' || coalesce(category, 'service') AS kind FROM {labels}
                WHERE {label_match(SERVICE_CATEGORIES + OTC_CATEGORIES)}
                UNION ALL SELECT chain, address, 'token contract' FROM tokens
                UNION ALL SELECT DISTINCT chain, token, 'token contract' FROM transfers WHERE token <> 'native'
                UNION ALL SELECT DISTINCT chain, pool, 'DEX pool' FROM swaps WHERE pool IS NOT NULL
                UNION ALL SELECT DISTINCT t.chain, t.to_address, 'swap router' FROM swaps s
                    JOIN transactions t ON t.chain = s.chain AND t.hash = s.tx_hash
                    WHERE t.to_address IS NOT NULL AND t.to_address <> coalesce(s.recipient, '')
                      AND t.to_address <> coalesce(s.initiator, '')
                UNION ALL SELECT DISTINCT chain, '{ZERO}', 'zero address' FROM transfers
                UNION ALL SELECT DISTINCT t.chain, t.to_address, 'contract that pulls tokens' FROM transfers t
                    JOIN transactions x ON x.chain = t.chain AND x.hash = t.tx_hash
                    WHERE t.kind IN ('erc20', 'trc20') AND x.to_address = t.to_address AND t.from_address = x.from_address
            ) GROUP BY chain, address"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_exchange AS
            SELECT DISTINCT chain, address FROM {labels} WHERE {label_match(EXCHANGE_CATEGORIES)}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_otc_labelled AS
            SELECT DISTINCT chain, address FROM {labels} WHERE {label_match(OTC_CATEGORIES)}"""
    )
    # A deposit account sends at least half of what it sends (by USD, or by count when no USD is known)
    # to exchange hot wallets: that is the exchange sweeping its customer's address.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_deposits AS
            WITH outs AS (
                SELECT t.chain, t.from_address AS address, t.usd,
                       (x.address IS NOT NULL) AS to_exchange
                FROM transfers t LEFT JOIN pt_exchange x ON x.chain = t.chain AND x.address = t.to_address
                WHERE t.from_address IS NOT NULL AND t.from_address <> coalesce(t.to_address, '')
                  AND t.kind IN ('erc20', 'trc20', 'native') {chain_filter.replace('chain', 't.chain')})
            SELECT chain, address, count(*) FILTER (WHERE to_exchange) AS sweeps,
                   sum(usd) FILTER (WHERE to_exchange) AS swept_usd
            FROM outs GROUP BY chain, address
            HAVING count(*) FILTER (WHERE to_exchange) > 0
               AND (coalesce(sum(usd) FILTER (WHERE to_exchange), 0) >= 0.5 * coalesce(sum(usd), 0)
                    AND count(*) FILTER (WHERE to_exchange) >= 0.5 * count(*))""",
        params,
    )
    con.execute("DELETE FROM pt_deposits WHERE (chain, address) IN (SELECT chain, address FROM pt_services)")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_swap_returns AS
           SELECT t.chain, t.tx_hash, t.to_address AS address FROM transfers t
           SEMI JOIN pt_services s ON s.chain = t.chain AND s.address = t.from_address
           INTERSECT
           SELECT t.chain, t.tx_hash, t.from_address FROM transfers t
           SEMI JOIN pt_services s ON s.chain = t.chain AND s.address = t.to_address"""
    )
    ctx.cache["flow_prepared"] = True


def is_service_sql(alias: str, col: str) -> str:
    """SQL predicate: ``alias.col`` is a service address."""
    return f"EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = {alias}.chain AND s.address = {alias}.{col})"


def exchange_inflow_sql(keys: str, key_col: str) -> str:
    """Per wallet of relation ``keys`` (columns chain, ``key_col``): what it received (gas top-ups, detect.gas,
    left out) as ``in_usd``, and the part labelled exchanges paid as ``ex_usd``."""
    return f"""SELECT v.chain, v.dst AS {key_col}, sum(v.usd) AS in_usd,
                      sum(v.usd) FILTER (WHERE EXISTS (SELECT 1 FROM pt_exchange x WHERE x.chain = v.chain
                                                       AND x.address = v.src)) AS ex_usd
               FROM pt_value v SEMI JOIN {keys} k ON k.chain = v.chain AND k.{key_col} = v.dst
               WHERE NOT {gas_topup_sql("v")} GROUP BY ALL"""


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("pt_value", "pt_services", "pt_exchange", "pt_otc_labelled", "pt_deposits", "pt_swap_returns"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
