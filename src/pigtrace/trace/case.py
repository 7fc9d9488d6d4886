"""`pigtrace case ADDRESS`: from one reported victim to the scam around them, using the latest findings.

1. the victim's payments to scam wallets (findings in role scam_collection or scam_operator);
2. co-victims: other addresses found as victims that paid the same wallets;
3. the money's path: a forward walk from those wallets over transfers between flagged addresses
   (laundering hops, other collection wallets) up to ``hops`` steps, every edge with its transactions;
4. where it left: cash_out findings reached by the walk, and the labelled services (exchange hot
   wallets, bridges) they forwarded to, which is where a freeze request or a subpoena goes.
Every number comes with the transactions behind it, so the case can be checked on a block explorer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from pigtrace.errors import PigtraceError

SCAM_RECEIVERS = ("scam_collection", "scam_operator")
FLOW_ROLES = ("scam_collection", "laundering", "cash_out", "scam_operator")


@dataclass
class Case:
    chain: str
    victim: str
    victim_roles: list[str]
    payments: list[dict[str, Any]] = field(default_factory=list)
    collection: list[dict[str, Any]] = field(default_factory=list)
    co_victims: list[dict[str, Any]] = field(default_factory=list)
    path: list[dict[str, Any]] = field(default_factory=list)
    cash_out: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def build_case(con: duckdb.DuckDBPyConnection, address: str, chain: str | None = None, hops: int = 6) -> Case:
    from pigtrace.chains.addresses import guess_chain, normalize

    if chain is None:
        family = guess_chain(address)
        if family is None:
            raise PigtraceError(f"{address!r}: not an EVM or Tron address")
        chain = "tron" if family == "tron" else _evm_chain_of(con, normalize(address, "ethereum"))
    victim = normalize(address, chain)
    roles = [r for (r,) in con.execute("SELECT role FROM findings WHERE chain = ? AND address = ?", [chain, victim]).fetchall()]
    case = Case(chain=chain, victim=victim, victim_roles=roles)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pt_flagged AS SELECT address, role, score, typology FROM findings WHERE chain = ?",
        [chain],
    )
    receivers = "', '".join(SCAM_RECEIVERS)
    case.payments = _rows(
        con,
        f"""SELECT t.tx_hash, t.time, t.to_address AS to, t.token, coalesce(t.amount::VARCHAR, t.amount_text) AS amount,
                   t.usd, f.role AS to_role
            FROM transfers t JOIN pt_flagged f ON f.address = t.to_address AND f.role IN ('{receivers}')
            WHERE t.chain = ? AND t.from_address = ? AND coalesce(t.amount, 1) > 0
            ORDER BY t.time""",
        [chain, victim],
    )
    wallets = sorted({p["to"] for p in case.payments})
    if not wallets:
        case.summary = {"victim_lost_usd": 0.0, "note": "no payments from this address to wallets found as scam"}
        return case
    con.execute("CREATE OR REPLACE TEMP TABLE pt_case_wallets (address VARCHAR)")
    con.executemany("INSERT INTO pt_case_wallets VALUES (?)", [(w,) for w in wallets])
    case.collection = _rows(
        con,
        """SELECT w.address, any_value(f.role) AS role, max(f.score) AS score, any_value(f.typology) AS typology,
                  (SELECT count(DISTINCT from_address) FROM transfers t WHERE t.chain = ? AND t.to_address = w.address) AS senders
           FROM pt_case_wallets w JOIN pt_flagged f USING (address) GROUP BY w.address ORDER BY w.address""",
        [chain],
    )
    case.co_victims = _rows(
        con,
        """SELECT t.from_address AS address, count(*) AS payments, sum(t.usd) AS paid_usd, min(t.time) AS first_paid,
                  max(t.time) AS last_paid
           FROM transfers t JOIN pt_case_wallets w ON w.address = t.to_address
           JOIN pt_flagged v ON v.address = t.from_address AND v.role = 'victim'
           WHERE t.chain = ? AND t.from_address <> ?
           GROUP BY t.from_address ORDER BY paid_usd DESC NULLS LAST""",
        [chain, victim],
    )
    case.path = _walk(con, chain, hops)
    reached = {e["to"] for e in case.path} | set(wallets)
    con.execute("CREATE OR REPLACE TEMP TABLE pt_case_reached (address VARCHAR)")
    con.executemany("INSERT INTO pt_case_reached VALUES (?)", [(a,) for a in sorted(reached)])
    case.cash_out = _rows(
        con,
        """SELECT f.address, f.score, sum(t.usd) AS received_usd,
                  (SELECT string_agg(DISTINCT l.label, '; ') FROM transfers o JOIN labels l
                     ON l.address = o.to_address AND l.chain = o.chain
                   WHERE o.chain = ? AND o.from_address = f.address) AS forwards_to
           FROM pt_case_reached r JOIN pt_flagged f ON f.address = r.address AND f.role = 'cash_out'
           LEFT JOIN transfers t ON t.chain = ? AND t.to_address = f.address
           GROUP BY f.address, f.score ORDER BY received_usd DESC NULLS LAST""",
        [chain, chain],
    )
    lost = sum(p["usd"] or 0.0 for p in case.payments)
    case.summary = {
        "victim_lost_usd": round(lost, 2),
        "payments": len(case.payments),
        "scam_wallets_paid": len(wallets),
        "co_victims": len(case.co_victims),
        "ring_paid_usd": round(lost + sum(v["paid_usd"] or 0.0 for v in case.co_victims), 2),
        "laundering_hops": len({e["to"] for e in case.path if e["to_role"] == "laundering"}),
        "cash_out_accounts": len(case.cash_out),
    }
    return case


def _walk(con: duckdb.DuckDBPyConnection, chain: str, hops: int) -> list[dict[str, Any]]:
    """Edges of the forward walk from the case's wallets over flagged addresses, hop by hop."""
    flow = "', '".join(FLOW_ROLES)
    return _rows(
        con,
        f"""WITH RECURSIVE walk(address, hop) AS (
                SELECT address, 0 FROM pt_case_wallets
                UNION
                SELECT t.to_address, w.hop + 1 FROM walk w
                JOIN transfers t ON t.chain = ? AND t.from_address = w.address
                JOIN pt_flagged f ON f.address = t.to_address AND f.role IN ('{flow}')
                WHERE w.hop < ?),
            first_hop AS (SELECT address, min(hop) AS hop FROM walk GROUP BY address)
            SELECT h.hop + 1 AS hop, t.from_address AS "from", t.to_address AS "to", any_value(f.role) AS to_role,
                   count(*) AS transfers, sum(t.usd) AS usd, list(DISTINCT t.tx_hash)[1:5] AS tx_hashes
            FROM first_hop h
            JOIN transfers t ON t.chain = ? AND t.from_address = h.address
            JOIN pt_flagged f ON f.address = t.to_address AND f.role IN ('{flow}')
            WHERE h.hop < ?
            GROUP BY h.hop, t.from_address, t.to_address
            ORDER BY hop, usd DESC NULLS LAST""",
        [chain, hops, chain, hops],
    )


def _evm_chain_of(con: duckdb.DuckDBPyConnection, address: str) -> str:
    row = con.execute(
        "SELECT chain FROM transfers WHERE from_address = ? OR to_address = ? GROUP BY chain ORDER BY count(*) DESC LIMIT 1",
        [address, address],
    ).fetchone()
    return row[0] if row else "ethereum"
