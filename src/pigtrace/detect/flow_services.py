"""Shared ground for the flow detectors: which addresses are services, which are exchange deposit
accounts, and the value transfers the detectors read. Everything is a DuckDB temp table built once per
analysis (``prepare``) and reused by fake_platform, laundering, cash_out and the drain, poisoning and
screening detectors. Services and accounts come from the warehouse's ``entities`` table (pigtrace.entities,
built as the first step of ``pigtrace analyze``), so detectors, tracing and cases see the same ones.

- ``pt_value``: value-bearing transfers (USD known and positive; ERC-20 or native), one per row, with the
  sender's and receiver's address refs (``src_ref``, ``dst_ref``: one per chain and address) beside their text;
  a view over the analysis' copy of ``transfers``.
- ``pt_services``: addresses that are services, never findings: every entity but exchange deposit
  accounts (labelled exchanges, DEXes, bridges, mixers, OTC desks and other infrastructure, unlabelled
  exchange hot wallets and forwarders, token contracts, DEX pools and routers, the zero address, contracts
  that pull their callers' tokens). ``kind`` is ``labelled <category>`` for a labelled one.
- ``pt_exchange(chain, address, entity)``: labelled exchange hot wallets (the exchange-paid victim rules
  read it; hot wallets found by behaviour are services and deposit targets, not in it: see ``prepare``).
- ``pt_otc_labelled``: labelled OTC desks and guarantee marketplaces.
- ``pt_deposits(chain, address, entity, sweeps, swept_usd)``: exchange deposit accounts (the exchange
  sweeping its customer's deposit address to its hot wallet), behind labelled hot wallets or ones found by
  behaviour, with the exchange (entity) and what they swept to its hot wallets.
- ``pt_swap_returns``: (tx, address) pairs where the address paid a service and got paid back by one in
  the same transaction (a swap); the returned leg is conversion, not new money, so the taint walk skips it.
"""

from __future__ import annotations

import duckdb

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.entities import table as entities

# A wallet paying this many payees, each on this many days or more, half of its outflow or more, settles as a
# business does (settling_sql): a gateway paying its merchants, not a ring's wallet spreading money over fresh
# wallets and a mule account or two.
SETTLED_PAYEES = 4
SETTLED_DAYS = 3


def prepare(ctx: AnalysisContext) -> None:
    """Create the shared temp tables once per analysis."""
    if ctx.cache.get("flow_prepared"):
        return
    con = ctx.con
    chain_filter = "AND chain = ?" if ctx.chain else ""
    params = [ctx.chain] if ctx.chain else []
    # a view, not a copy: at 10M transfers a second copy of the ledger's text columns pushed the analysis'
    # temp tables gigabytes past its memory limit, onto disk
    only_chain = f"AND chain = '{ctx.chain.replace(chr(39), chr(39) * 2)}'" if ctx.chain else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW pt_value AS
            SELECT chain, tx_hash, log_index, time, token, from_address AS src, to_address AS dst, usd,
                   amount, initiator, from_ref AS src_ref, to_ref AS dst_ref
            FROM transfers
            WHERE usd > 0 AND kind IN ('erc20', 'trc20', 'native') AND from_ref IS NOT NULL
              AND to_ref IS NOT NULL AND from_ref <> to_ref {only_chain}"""
    )
    rel = entities.current(con)  # never reads an abuse label, so the same in behaviour-only mode
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_services AS
            SELECT chain, address, CASE WHEN source = 'label' THEN 'labelled ' || category
                                        ELSE replace(coalesce(category, kind), '_', ' ') END AS kind
            FROM {rel} WHERE kind <> 'exchange_deposit' {chain_filter}""",
        params,
    )
    # Only labelled hot wallets: the exchange-paid victim rules (platform_exchange_paid, platform_sequences)
    # read pt_exchange, and with the hot wallets found by behaviour added they took dozens of ordinary
    # wallets for collection wallets and OTC desks (stress bench, seed 101: 210 OTC cash-outs, 19 before).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_exchange AS
            SELECT chain, address, entity FROM {rel}
            WHERE kind = 'exchange_hot_wallet' AND source = 'label' AND category = 'exchange' {chain_filter}""",
        params,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_otc_labelled AS
            SELECT chain, address FROM {rel} WHERE kind = 'otc_desk' AND source = 'label' {chain_filter}""",
        params,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_deposits AS
            WITH hot AS (SELECT chain, address FROM {rel} WHERE kind = 'exchange_hot_wallet')
            SELECT d.chain, d.address, d.entity, count(t.tx_hash) AS sweeps, sum(t.usd) AS swept_usd
            FROM {rel} d
            LEFT JOIN (SELECT t.chain, t.from_address, t.tx_hash, t.usd FROM {rows_touching("transfers", "to_ref", "hot", "address")} t
                       SEMI JOIN hot x ON x.chain = t.chain AND x.address = t.to_address
                       WHERE t.kind IN ('erc20', 'trc20', 'native')) t
                   ON t.chain = d.chain AND t.from_address = d.address
            WHERE d.kind = 'exchange_deposit' {chain_filter.replace('chain', 'd.chain')}
            GROUP BY d.chain, d.address, d.entity""",
        params,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_swap_returns AS
           SELECT t.chain, t.tx_hash, t.to_address AS address FROM {rows_touching("transfers", "from_ref", "pt_services", "address")} t
           INTERSECT
           SELECT t.chain, t.tx_hash, t.from_address FROM {rows_touching("transfers", "to_ref", "pt_services", "address")} t"""
    )
    ctx.cache["flow_prepared"] = True


def is_service_sql(alias: str, col: str) -> str:
    """SQL predicate: ``alias.col`` is a service address."""
    return f"EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = {alias}.chain AND s.address = {alias}.{col})"


def value_of(keys: str, col: str, side: str) -> str:
    """SQL relation: the rows of ``pt_value`` whose sender (``side`` "src") or receiver ("dst") is an address
    of relation ``keys`` (columns chain, ``col``); see ``rows_touching``. They are fetched before the query
    around them joins them: a query that joins them to ``keys`` again on the address text (evidence: a
    wallet's payments to each of its payees) was otherwise planned as a hash join of the text over all value
    transfers (at 10M transfers 0.45 s a query, against a few milliseconds)."""
    return rows_touched("pt_value", f"{side}_ref", keys, col)


def rows_touched(base: str, ref_col: str, keys: str, col: str) -> str:
    """``rows_touching``, fetched before the query around it joins them (see ``value_of``)."""
    return f"(WITH touched AS MATERIALIZED {rows_touching(base, ref_col, keys, col)} SELECT * FROM touched)"


def rows_touching(base: str, ref_col: str, keys: str, col: str) -> str:
    """SQL relation: the rows of ``base`` (pt_value, or the analysis' copy of ``transfers``) whose address ref
    ``ref_col`` is that of an address of relation ``keys`` (columns chain, ``col``). At 10M transfers matching
    the integer refs is about eight times faster than matching (chain, address text), which hashes every
    row's address; callers keep their own text join after it, so the rows they get are the same."""
    return f"(SELECT b.* FROM {base} b SEMI JOIN ({address_refs_sql(keys, col)}) r ON r.ref = b.{ref_col})"


def address_refs_sql(keys: str, col: str = "address", keep: bool = False) -> str:
    """SQL: the warehouse's integer ref (``ref``) of each address of relation ``keys`` (columns chain, ``col``);
    with ``keep``, beside its ``chain`` and ``address``, one row per row of ``keys``. Every join of a few
    wallets onto the value transfers goes through these refs (see ``rows_touching``)."""
    cols = f"k.chain, k.{col} AS address, a.ref" if keep else "a.ref"
    return f"SELECT {cols} FROM {keys} k JOIN addresses a ON a.chain = k.chain AND a.address = k.{col}"


def settling_sql(refs: str, col: str, days: int = SETTLED_DAYS) -> str:
    """SQL: the refs (column ``col`` of relation ``refs``) of wallets that settle with a stable set of
    counterparties, as a business does: SETTLED_PAYEES or more payees, each paid on SETTLED_DAYS days or more,
    taking at least half of what the wallet paid out (a payment gateway paying its merchants week after week).
    A ring's wallet spreads the money over fresh wallets and a mule account or two."""
    return f"""SELECT x FROM (
                   SELECT r.{col} AS x, v.dst_ref, count(DISTINCT v.time::DATE) AS days, sum(v.usd) AS usd
                   FROM (SELECT DISTINCT {col} FROM {refs}) r JOIN pt_value v ON v.src_ref = r.{col}
                   WHERE NOT {gas_topup_sql("v")} GROUP BY ALL)
               GROUP BY x HAVING count(*) FILTER (WHERE days >= {days}) >= {SETTLED_PAYEES}
                             AND sum(usd) FILTER (WHERE days >= {days}) >= 0.5 * sum(usd)"""


def exchange_inflow_sql(keys: str, key_col: str) -> str:
    """Per wallet of relation ``keys`` (columns chain, ``key_col``): what it received (gas top-ups, detect.gas,
    left out) as ``in_usd``, and the part exchange hot wallets paid as ``ex_usd``: labelled ones and those
    found by behaviour (``hub``), since a withdrawal is a withdrawal whether or not anyone labelled the hot
    wallet (a payout wallet bankrolled from an unlabelled one was missed with its victims)."""
    return f"""SELECT v.chain, v.dst AS {key_col}, sum(v.usd) AS in_usd,
                      sum(v.usd) FILTER (WHERE EXISTS (SELECT 1 FROM pt_exchange x WHERE x.chain = v.chain
                                                       AND x.address = v.src)
                                            OR EXISTS (SELECT 1 FROM pt_services x WHERE x.chain = v.chain
                                                       AND x.address = v.src AND x.kind = 'hub')) AS ex_usd
               FROM {value_of(keys, key_col, "dst")} v SEMI JOIN {keys} k ON k.chain = v.chain AND k.{key_col} = v.dst
               WHERE NOT {gas_topup_sql("v")} GROUP BY ALL"""


def drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS pt_value")
    for t in ("pt_services", "pt_exchange", "pt_otc_labelled", "pt_deposits", "pt_swap_returns"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
