"""Payments from the audited wallet to flagged wallets, and the exchanges its money reached.

Place in the flow: beside ``spender_risk``; ``advice`` turns both into what to tell the owner and whom to
report to.

- A payment is a transfer out of the wallet that the wallet itself sent (its own transaction, or one of
  unknown sender), with a non-zero amount: a zero-value ``transferFrom`` "from" the wallet that someone
  else sent (address poisoning) is not the owner's payment.
- A flagged wallet has a label calling it a scam, phishing, hacker, sanctioned or frozen address
  (``taxonomy.ABUSE_LABEL_SQL``, as screening reads it) or a scam-role finding of ``pigtrace analyze``
  (``exposure.FLAGGED_ROLES``).
- Exchanges reached: the wallet's own payments to an exchange's address (a label of category ``exchange``,
  or an exchange hot wallet or deposit account in the stored ``entities`` table), and the flagged wallets'
  payments to such an address, and those of the wallets that received tokens someone else pulled out of
  the audited wallet (a drain's receivers): one step on, where the scam sent what it took. The full trace over many
  steps is ``pigtrace case``'s work, not this module's.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pigtrace.audit.tokens import has_table
from pigtrace.labels.attribution import exchange_name
from pigtrace.labels.exposure import FLAGGED_ROLES
from pigtrace.labels.taxonomy import ABUSE_LABEL_SQL
from pigtrace.store.warehouse import dict_rows

TX_SHOWN = 10  # transaction hashes listed per flagged recipient



def flagged_addresses(con: duckdb.DuckDBPyConnection, chain: str, addresses: list[str]) -> set[str]:
    """The addresses among ``addresses`` that a scam label or a scam-role finding flags."""
    if not addresses:
        return set()
    return {a for (a,) in con.execute(
        f"""SELECT address FROM labels WHERE address IN (SELECT unnest(?::VARCHAR[])) AND {ABUSE_LABEL_SQL}
            UNION SELECT address FROM findings WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[]))
            AND role IN {FLAGGED_ROLES}""", [addresses, chain, addresses]).fetchall()}


def flagged_payments(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[dict]:
    """One row per flagged recipient the wallet paid: why it is flagged, payments, USD, first and last
    payment, the tokens and (up to ``TX_SHOWN``) transaction hashes; largest USD first."""
    cur = con.execute(
        f"""WITH paid AS (
                SELECT t.to_address, t.token, t.usd, t.time, t.tx_hash, coalesce(ti.symbol, t.token) AS symbol
                FROM transfers t LEFT JOIN tokens ti ON ti.chain = t.chain AND ti.address = t.token
                WHERE t.chain = ? AND t.from_address = ? AND t.to_address IS NOT NULL AND t.to_address <> t.from_address
                  AND coalesce(t.initiator = t.from_address, true) AND coalesce(t.amount > 0, t.amount_text IS NOT NULL)
                  AND coalesce(t.time <= ?, true)),
            rec AS (SELECT DISTINCT to_address AS address FROM paid),
            why AS (
                SELECT l.address, '''' || l.label || ''' (' || coalesce(l.category, 'labelled') || ', ' || l.pack
                                  || ' labels)' AS why
                FROM labels l JOIN rec ON rec.address = l.address WHERE {ABUSE_LABEL_SQL}
                UNION ALL
                SELECT f.address, 'pigtrace analyze: ' || replace(f.role, '_', ' ')
                                  || coalesce(' (' || replace(f.typology, '_', ' ') || ')', '')
                FROM findings f JOIN rec ON rec.address = f.address WHERE f.chain = ? AND f.role IN {FLAGGED_ROLES}),
            flagged AS (SELECT address, list(DISTINCT why ORDER BY why) AS why FROM why GROUP BY address)
            SELECT p.to_address AS address, any_value(f.why) AS why, count(*) AS payments, sum(p.usd) AS usd,
                   min(p.time) AS first_paid, max(p.time) AS last_paid, list(DISTINCT p.symbol ORDER BY p.symbol) AS tokens,
                   list(p.tx_hash ORDER BY p.time, p.tx_hash)[1:{TX_SHOWN}] AS tx_hashes
            FROM paid p JOIN flagged f ON f.address = p.to_address
            GROUP BY p.to_address ORDER BY usd DESC NULLS LAST, address""",
        [chain, owner, at, chain])
    return dict_rows(cur)


def exchanges_reached(con: duckdb.DuckDBPyConnection, chain: str, owner: str, payers: list[str],
                      at: datetime) -> list[dict]:
    """Exchange accounts the wallet paid, or ``payers`` (flagged wallets it paid, a drain's receivers) paid:
    exchange name, account, how the money got there, USD, payments, first and last time, a few hashes."""
    accounts = "SELECT address, label AS name, 'label' AS src FROM labels WHERE category = 'exchange'"
    if has_table(con, "entities"):
        accounts += (" UNION ALL SELECT address, entity, 'entities' FROM entities WHERE chain = ? "
                     "AND kind IN ('exchange_hot_wallet', 'exchange_deposit') AND entity IS NOT NULL "
                     "AND entity NOT LIKE 'hub:%'")
        params = [chain]
    else:
        params = []
    cur = con.execute(
        f"""WITH ex AS (SELECT address, min(name) AS name FROM ({accounts}) GROUP BY address),
            src AS (SELECT unnest(?::VARCHAR[]) AS payer)
            SELECT t.to_address AS account, any_value(ex.name) AS name, t.from_address AS payer,
                   sum(t.usd) AS usd, count(*) AS payments, min(t.time) AS first_paid, max(t.time) AS last_paid,
                   list(t.tx_hash ORDER BY t.time, t.tx_hash)[1:{TX_SHOWN}] AS tx_hashes
            FROM transfers t JOIN src ON src.payer = t.from_address JOIN ex ON ex.address = t.to_address
            WHERE t.chain = ? AND coalesce(t.amount > 0, t.amount_text IS NOT NULL) AND coalesce(t.time <= ?, true)
            GROUP BY t.to_address, t.from_address ORDER BY usd DESC NULLS LAST, account""",
        params + [[owner] + sorted(set(payers) - {owner}), chain, at])
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        row = dict(zip(names, r))
        name = row.pop("name")
        row["exchange"] = exchange_name(name) or name or "an exchange"
        row["via"] = "you paid it directly" if row["payer"] == owner else \
            f"the wallet {row['payer']}, which got your money, sent money there"
        out.append(row)
    return out


def taken_by_others(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[dict]:
    """Tokens moved out of the wallet by someone else (a pull with an allowance: a drain, a subscription, a
    solver settling a trade): one row per (sender of the transaction, the contract it called, receiver,
    token) with the pulls, raw
    amount (exact up to 2**100 per pull, larger ones left out of the sum), USD, first and last time and a few
    hashes; largest USD first. Zero-value pulls (address poisoning) are left out."""
    cur = con.execute(
        f"""SELECT t.initiator AS taker, x.to_address AS via, t.to_address AS to_address, t.token, any_value(t.kind) AS kind,
                   count(*) AS pulls,
                   sum(t.amount::HUGEINT) FILTER (WHERE t.amount < 2::HUGEINT ** 100) AS amount_raw, sum(t.usd) AS usd,
                   min(t.time) AS first_taken, max(t.time) AS last_taken,
                   list(t.tx_hash ORDER BY t.time, t.tx_hash)[1:{TX_SHOWN}] AS tx_hashes
            FROM transfers t LEFT JOIN transactions x ON x.chain = t.chain AND x.hash = t.tx_hash
            WHERE t.chain = ? AND t.from_address = ? AND t.initiator IS NOT NULL AND t.initiator <> t.from_address
              AND t.to_address IS NOT NULL AND t.to_address <> t.from_address AND t.kind <> 'native'
              AND coalesce(t.amount > 0, t.amount_text IS NOT NULL) AND coalesce(t.time <= ?, true)
            GROUP BY t.initiator, x.to_address, t.to_address, t.token
            ORDER BY usd DESC NULLS LAST, last_taken DESC, taker, via, to_address""", [chain, owner, at])
    return dict_rows(cur)
