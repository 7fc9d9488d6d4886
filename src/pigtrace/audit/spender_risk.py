"""Spender risk: a level (high, medium, low) and the named reasons behind it, for each spender of the
audited wallet's allowances.

Place in the flow: after ``allowances``; ``advice`` orders what to revoke by it.

Reasons (the worst one sets the level):

high    a label calls it a scam, phishing, drainer, hacker or sanctioned address (the ``labels`` table,
        read as screening reads it: ``taxonomy.ABUSE_LABEL_SQL``);
high    ``pigtrace analyze`` found it in a scam role (``findings``: scam_collection, scam_operator,
        laundering, cash_out), e.g. by the approval_drain detector;
medium  it is a plain wallet (an EOA), not a contract: it signed a transaction itself (``transactions.
        from_address``; a contract never does). ``wallet`` raises an unlimited allowance (or one for a whole
        NFT collection) to a plain wallet to high: nothing but a person's key stands between it and the tokens;
high    it drained others: pulls that each took at least ``DRAIN_SHARE`` of another owner's balance of
        the token, from ``DRAINED_OWNERS`` or more other owners, with their allowances: transfers out of
        another owner, in a transaction the spender sent or called, not sent by that owner, where that owner
        had approved it (or the spender called the token's transferFrom itself). A price is not a drain: the
        same amount pulled from ``PLAN_OWNERS`` (the approval_drain detector's constant) or more owners, or
        again from the same owner (a subscription), does not count;
medium  nothing shows it is a contract: it never signed a transaction, and was never called with data
        (``transactions.to_address`` with a method), nor is a token, pool or the contract of an approval,
        nor a token contract, DEX or bridge in the ``entities`` table. It may be a plain wallet that has
        not acted yet;
medium  it is new: first seen less than ``FRESH_DAYS`` days before the audit time, and ``MANY_OWNERS``
        or more different wallets approved it.

A known service (a service label such as an exchange or DEX router, or a service in the stored
``entities`` table) is low unless a label or finding says otherwise; its pulls from other owners are its
normal business and are not held against it. The Permit2 contract itself is low: it moves tokens only for
the apps approved inside it, which are listed and judged on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from pigtrace.audit.tokens import has_table
from pigtrace.detect.drain_sql import PLAN_OWNERS
from pigtrace.labels.exposure import FLAGGED_ROLES
from pigtrace.labels.taxonomy import ABUSE_LABEL_SQL, SERVICE_CATEGORIES

DRAINED_OWNERS = 2
DRAIN_SHARE = 0.5  # a pull taking at least half of the owner's balance of the token
FRESH_DAYS = 30
MANY_OWNERS = 5
PERMIT2_CANONICAL = "0x000000000022d473030f116ddee9f6b43ac78ba3"  # the same address on every EVM chain
SELECTOR_TRANSFER_FROM = "0x23b872dd"
CONTRACT_ENTITY_KINDS = ("token_contract", "dex", "bridge")
LEVELS = ("low", "medium", "high")


@dataclass
class SpenderRisk:
    spender: str
    level: str = "low"
    reasons: list[str] = field(default_factory=list)
    kind: str = "unknown"  # contract, plain wallet, unknown
    service: str | None = None  # a known service's name

    def add(self, level: str, reason: str) -> None:
        self.reasons.append(reason)
        if LEVELS.index(level) > LEVELS.index(self.level):
            self.level = level



def spender_risks(con: duckdb.DuckDBPyConnection, chain: str, owner: str, spenders: list[str], at: datetime,
                  permit2_contracts: set[str] = frozenset()) -> dict[str, SpenderRisk]:
    """{spender: SpenderRisk} for every spender in ``spenders`` (as of ``at``, naive UTC)."""
    spenders = sorted(set(spenders))
    out = {s: SpenderRisk(s) for s in spenders}
    if not spenders:
        return out
    p = [spenders]

    for address, label, category, concepts, pack, abuse in con.execute(
            f"""SELECT address, label, category, concepts, pack, {ABUSE_LABEL_SQL} AS abuse FROM labels
                WHERE address IN (SELECT unnest(?::VARCHAR[])) ORDER BY address, abuse DESC, pack, label""", p).fetchall():
        r = out[address]
        if abuse:
            what = ", ".join(sorted(set(concepts or []) - {"scam"})) or category or "scam"
            r.add("high", f"labelled as a scam or criminal address: '{label}' ({what}; {pack} labels)")
        elif category in SERVICE_CATEGORIES and r.service is None:
            r.service = label
            r.reasons.append(f"known service: '{label}' ({category.replace('_', ' ')}; {pack} labels)")
    if has_table(con, "entities"):
        for address, kind, entity in con.execute(
                """SELECT address, kind, entity FROM entities WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[]))""",
                [chain, spenders]).fetchall():
            r = out[address]
            if kind in CONTRACT_ENTITY_KINDS:
                r.kind = "contract"
            if r.service is None and kind not in ("exchange_deposit",):
                r.service = entity or kind.replace("_", " ")
                r.reasons.append(f"known service: {r.service} ({kind.replace('_', ' ')}, pigtrace entities)")
    for address, role, typology, score in con.execute(
            f"""SELECT address, role, typology, score FROM findings WHERE chain = ?
                AND address IN (SELECT unnest(?::VARCHAR[])) AND role IN {FLAGGED_ROLES} ORDER BY address, score DESC""",
            [chain, spenders]).fetchall():
        how = f", {typology.replace('_', ' ')}" if typology else ""
        out[address].add("high", f"pigtrace analyze found it taking part in a scam ({role.replace('_', ' ')}{how}, "
                                 f"score {score:.2f})")

    signed = {a for (a,) in con.execute(
        """SELECT DISTINCT from_address FROM transactions WHERE chain = ? AND from_address IN (SELECT unnest(?::VARCHAR[]))""",
        [chain, spenders]).fetchall()}
    contracts = _seen_as_contract(con, chain, spenders)
    permit2 = set(permit2_contracts) | {PERMIT2_CANONICAL}
    drained = _drained_others(con, chain, owner, [s for s in spenders if out[s].service is None and s not in permit2], at)
    first, approvers = _first_seen(con, chain, spenders, at)

    for s, r in out.items():
        if s in signed:
            r.kind = "plain wallet"
            r.add("medium", "it is a plain wallet (it signs transactions itself), not an app's contract: apps "
                            "rarely ask for an allowance to a plain wallet")
        elif s in contracts or r.kind == "contract" or s in permit2:
            r.kind = "contract"
        if s in permit2:
            r.reasons.append("the Permit2 contract: it moves tokens only for the apps you approved inside Permit2 "
                             "(each listed on its own)")
            continue
        if r.service is not None:
            continue
        if r.kind == "unknown":
            r.add("medium", "nothing in the data pigtrace holds shows it is a contract: it may be a plain wallet")
        if s in drained and drained[s][0] >= DRAINED_OWNERS:
            owners, pulls, usd = drained[s]
            value = f", {usd:,.2f} USD" if usd else ""
            r.add("high", f"it drained others: it took at least half the balance of {owners} other wallets using their "
                          f"allowances ({pulls} pulls{value})")
        seen = first.get(s)
        if seen is not None and seen > at - timedelta(days=FRESH_DAYS) and approvers.get(s, 0) >= MANY_OWNERS:
            days = max(0, (at - seen).days)
            r.add("medium", f"it is new: first seen {days} day{'s' if days != 1 else ''} before this check, and "
                            f"{approvers[s]} different "
                            "wallets approved it since")
    return out


def _seen_as_contract(con: duckdb.DuckDBPyConnection, chain: str, spenders: list[str]) -> set[str]:
    """Spenders the warehouse shows acting as contracts (one query per kind of sign, no UNION of halves)."""
    found: set[str] = set()
    queries = [
        "SELECT DISTINCT to_address FROM transactions WHERE chain = ? AND method_id IS NOT NULL AND to_address IN ({s})",
        "SELECT address FROM tokens WHERE chain = ? AND address IN ({s})",
        "SELECT DISTINCT token FROM transfers WHERE chain = ? AND token IN ({s})",
        "SELECT DISTINCT pool FROM swaps WHERE chain = ? AND pool IN ({s})",
        "SELECT DISTINCT contract FROM approvals WHERE chain = ? AND contract IN ({s})",
    ]
    for q in queries:
        found |= {a for (a,) in con.execute(q.format(s="SELECT unnest(?::VARCHAR[])"), [chain, spenders]).fetchall()}
    return found


def _drained_others(con: duckdb.DuckDBPyConnection, chain: str, owner: str, spenders: list[str],
                    at: datetime) -> dict[str, tuple[int, int, float]]:
    """{spender: (other owners, pulls, USD)}: pulls that took at least ``DRAIN_SHARE`` of another owner's
    balance of the token, with that owner's allowance, in a transaction the spender sent or called and
    that owner did not send. A price (the same amount from several owners, or again from one) is left out."""
    amount = "coalesce(t.amount::DOUBLE, TRY_CAST(t.amount_text AS DOUBLE))"
    rows = con.execute(
        f"""WITH s AS (SELECT unnest(?::VARCHAR[]) AS spender),
            cand AS (
                SELECT t.tx_hash, t.log_index, t.block_number, t.from_address, t.token, t.time, t.usd, t.initiator,
                       {amount} AS amount, s.spender
                FROM transfers t JOIN s ON t.initiator = s.spender
                WHERE t.chain = ? AND t.kind <> 'native' AND coalesce(t.time <= ?, true)
                UNION
                SELECT t.tx_hash, t.log_index, t.block_number, t.from_address, t.token, t.time, t.usd, t.initiator,
                       {amount}, x.to_address
                FROM transactions x JOIN s ON x.to_address = s.spender
                JOIN transfers t ON t.chain = x.chain AND t.tx_hash = x.hash
                WHERE x.chain = ? AND t.kind <> 'native' AND coalesce(t.time <= ?, true)),
            pulls AS (
                SELECT c.* FROM cand c LEFT JOIN transactions x ON x.chain = ? AND x.hash = c.tx_hash
                WHERE c.from_address <> ? AND c.from_address <> c.spender AND c.initiator IS DISTINCT FROM c.from_address
                  AND (EXISTS (SELECT 1 FROM approvals a WHERE a.chain = ? AND a.owner = c.from_address
                               AND a.spender = c.spender AND a.token = c.token AND coalesce(a.time <= c.time, true))
                       OR (x.method_id = '{SELECTOR_TRANSFER_FROM}' AND x.to_address = c.token AND c.initiator = c.spender))),
            held AS (  -- the owner's balance of the token just before each pull
                SELECT p.tx_hash, p.log_index,
                       sum(CASE WHEN t.to_address = p.from_address THEN 1 ELSE -1 END * {amount}) AS before
                FROM pulls p JOIN transfers t ON t.chain = ? AND t.token = p.token
                     AND (t.to_address = p.from_address OR t.from_address = p.from_address)
                     AND (t.time < p.time OR (t.time = p.time AND coalesce(t.block_number, 0) = coalesce(p.block_number, 0)
                                              AND t.log_index < p.log_index))
                WHERE t.from_address IS DISTINCT FROM t.to_address
                GROUP BY p.tx_hash, p.log_index),
            plan AS (  -- a price: the same amount from PLAN_OWNERS owners, or again from the same owner
                SELECT spender, token, amount FROM pulls GROUP BY ALL HAVING count(DISTINCT from_address) >= {PLAN_OWNERS}
                UNION SELECT spender, token, amount FROM pulls GROUP BY spender, token, amount, from_address
                HAVING count(*) >= 2)
            SELECT p.spender, count(DISTINCT p.from_address), count(*), sum(p.usd)
            FROM pulls p JOIN held h ON h.tx_hash = p.tx_hash AND h.log_index = p.log_index
            WHERE h.before > 0 AND p.amount >= {DRAIN_SHARE} * h.before
              AND NOT EXISTS (SELECT 1 FROM plan WHERE plan.spender = p.spender AND plan.token = p.token
                              AND plan.amount = p.amount)
            GROUP BY p.spender""",
        [spenders, chain, at, chain, at, chain, owner, chain, chain]).fetchall()
    return {s: (int(n), int(pulls), float(usd or 0)) for s, n, pulls, usd in rows}


def _first_seen(con: duckdb.DuckDBPyConnection, chain: str, spenders: list[str],
                at: datetime) -> tuple[dict[str, datetime], dict[str, int]]:
    """When each spender first appears (approvals to it, transactions it sent or received, transfers it
    received) and how many different owners approved it, up to ``at``."""
    first: dict[str, datetime] = {}
    approvers: dict[str, int] = {}
    ins = "(SELECT unnest(?::VARCHAR[]))"
    for s, t, n in con.execute(
            f"""SELECT spender, min(time), count(DISTINCT owner) FROM approvals
                WHERE chain = ? AND spender IN {ins} AND coalesce(time <= ?, true) GROUP BY spender""",
            [chain, spenders, at]).fetchall():
        approvers[s] = int(n)
        if t is not None:
            first[s] = t
    for table, col in (("transactions", "from_address"), ("transactions", "to_address"), ("transfers", "to_address")):
        for s, t in con.execute(f"SELECT {col}, min(time) FROM {table} WHERE chain = ? AND {col} IN {ins} GROUP BY 1",
                                [chain, spenders]).fetchall():
            if t is not None and (s not in first or t < first[s]):
                first[s] = t
    return first, approvers


