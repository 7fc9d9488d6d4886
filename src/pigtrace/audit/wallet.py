"""``audit_wallet``: the one entry point of the wallet audit; the CLI (`pigtrace audit`) and the API's
audit endpoint both call it and print or serve its dict.

Place in the flow: resolves the address and chain, then runs ``allowances`` -> ``tokens`` / ``balances``
-> ``spender_risk`` -> ``revoke``, ``payments``, ``lookalikes`` -> ``advice`` (see the package docstring),
and returns one JSON-able dict (exact raw amounts as decimal strings, times as ISO text, naive UTC).

Labels are read from the connection's ``labels`` table (or view) as it is: a caller that wants the shipped
packs loads them first (``labels.shipped.ensure_loaded``, or ``shipped_view`` on a read-only warehouse), as
the CLI does.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from pigtrace.audit.advice import advice, report_to
from pigtrace.audit.allowances import Allowance, outstanding_allowances
from pigtrace.audit.balances import balances
from pigtrace.audit.lookalikes import lookalikes
from pigtrace.audit.payments import exchanges_reached, flagged_addresses, flagged_payments, taken_by_others
from pigtrace.audit.revoke import revoke_call
from pigtrace.audit.spender_risk import LEVELS, SpenderRisk, spender_risks
from pigtrace.audit.tokens import TokenFacts, token_facts, units, usd_of
from pigtrace.chains.addresses import guess_chain, normalize
from pigtrace.chains.registry import chains, get_chain
from pigtrace.errors import InvalidAddress

FUNGIBLE = ("erc20", "trc20", "permit2")
BALANCE_NOTE = ("balances are what the warehouse's transfers give up to the audit time (the balance the "
                "warehouse saw), not a live reading of the chain")


def resolve(con: duckdb.DuckDBPyConnection, address: str, chain: str | None) -> tuple[str, str]:
    """(canonical address, chain). Without ``chain``: tron for a T... address; for a 0x address the EVM chain
    where the warehouse holds most of its approvals and transfers (ethereum when none)."""
    if address is None or not str(address).strip():
        raise InvalidAddress("empty address: give the wallet's address (0x... or T...)")
    if chain is not None:
        get_chain(chain)  # an unknown chain name fails here, naming the known ones
        try:
            return normalize(address, chain), chain
        except InvalidAddress as e:
            raise InvalidAddress(f"{e} (on {chain})") from None
    family = guess_chain(address)
    if family == "tron":
        return normalize(address, "tron"), "tron"
    if family != "evm":
        raise InvalidAddress(f"{address!r}: not a wallet address pigtrace can audit (expected an EVM address, 0x "
                             "followed by 40 hex digits, or a Tron address, T... in base58)")
    canonical = normalize(address, "ethereum")
    active = _active_chains(con, canonical, [c.name for c in chains() if c.family == "evm"])
    return canonical, (active[0] if active else "ethereum")


def _active_chains(con: duckdb.DuckDBPyConnection, address: str, candidates: list[str]) -> list[str]:
    """The chains among ``candidates`` where ``address`` approved or sent anything, busiest first."""
    return [c for (c,) in con.execute(
        """SELECT chain FROM (
               SELECT chain, count(*) AS n FROM approvals WHERE owner = ? AND chain IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1
               UNION ALL
               SELECT chain, count(*) FROM transfers WHERE from_address = ? AND chain IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1)
           GROUP BY chain ORDER BY sum(n) DESC, chain""",
        [address, candidates, address, candidates]).fetchall()]


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat(sep=" ")


def _as_utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def audit_wallet(con: duckdb.DuckDBPyConnection, address: str, chain: str | None = None,
                 at: datetime | None = None) -> dict:
    """The wallet owner's audit of ``address`` as of ``at`` (default now; naive times are UTC): outstanding
    allowances with value at risk and spender risk, payments to flagged wallets, look-alike addresses,
    plain-language advice and whom to report to. Raises InvalidAddress (a PigtraceError) for a malformed
    address and PigtraceError for an unknown chain."""
    owner, chain = resolve(con, address, chain)
    family = get_chain(chain).family
    at = _as_utc(at)
    found = outstanding_allowances(con, chain, owner, at)
    taken = taken_by_others(con, chain, owner, at)
    facts = token_facts(con, chain, sorted({a.token for a in found if a.kind in FUNGIBLE} | {t["token"] for t in taken}), at)
    held = balances(con, chain, owner, sorted({a.token for a in found}), at)
    permit2 = {a.contract for a in found if a.kind == "permit2"}
    takers = {t["taker"] for t in taken} | {t["via"] for t in taken if t["via"]}
    risks = spender_risks(con, chain, owner, [a.spender for a in found] + sorted(takers), at, permit2)
    rows = [_allowance_row(a, facts.get(a.token), held.get(a.token), risks[a.spender]) for a in found]
    rows.sort(key=lambda r: (-LEVELS.index(r["risk"]), -(r["value_at_risk_usd"] or 0),
                             -int(r["value_at_risk_raw"] or 0), not r["unlimited"], r["token"], r["spender"]))
    paid = flagged_payments(con, chain, owner, at)
    looks = lookalikes(con, chain, owner, at)
    exchanges = exchanges_reached(con, chain, owner, [p["address"] for p in paid] + [t["to_address"] for t in taken], at)
    seen = con.execute(
        """SELECT (SELECT count(*) FROM approvals WHERE chain = ? AND owner = ?)
                + (SELECT count(*) FROM transfers WHERE chain = ? AND (from_address = ? OR to_address = ?))""",
        [chain, owner, chain, owner, owner]).fetchone()[0]
    data_until = con.execute("SELECT max(time) FROM transfers WHERE chain = ?", [chain]).fetchone()[0]
    # a pull is flagged when its sender or receiver is flagged, or its sender is a high-risk spender
    flagged = {p["address"] for p in paid} | {s for s, r in risks.items() if r.level == "high"} \
        | flagged_addresses(con, chain, sorted(takers | {t["to_address"] for t in taken}))
    taken_rows = [_taken_row(t, facts.get(t["token"]), flagged) for t in taken]
    summary = _summary(rows, paid, looks, taken_rows)
    result = {
        "chain": chain,
        "address": owner,
        "as_of": _iso(at),
        "data_until": _iso(data_until),
        "seen_in_warehouse": int(seen) > 0,
        "other_chains": [c for c in _active_chains(con, owner, [x.name for x in chains() if x.family == family])
                         if c != chain],
        "summary": summary,
        "allowances": rows,
        "flagged_payments": [_payment_row(p) for p in paid],
        "taken_by_others": taken_rows,
        "lookalikes": [{**lk, "first_seen": _iso(lk["first_seen"])} for lk in looks],
        "exchanges_reached": [_exchange_row(e) for e in exchanges],
        "notes": [BALANCE_NOTE],
    }
    if not seen:
        result["notes"].insert(0, f"the warehouse holds no approvals or transfers of this address on {chain}: "
                                  "nothing to check here, which does not mean the wallet is safe")
    result["advice"] = advice(result)
    result["report_to"] = report_to(result)
    return result


def _allowance_row(a: Allowance, facts: TokenFacts | None, balance: int | None, risk: SpenderRisk) -> dict:
    if a.kind in FUNGIBLE:
        amount_text = "unlimited" if a.unlimited else units(a.amount, facts)
        at_risk = None if balance is None else min(balance, a.amount)
        balance_text, risk_text = units(balance, facts), units(at_risk, facts)
    elif a.kind == "approval_for_all":
        amount_text = "all your NFTs in this collection"
        at_risk = balance
        balance_text = None if balance is None else f"{balance:,} NFTs"
        risk_text = balance_text
    else:  # one NFT
        amount_text = f"NFT #{a.token_id}"
        at_risk = 1
        balance, balance_text, risk_text = 1, f"NFT #{a.token_id}", f"NFT #{a.token_id}"
    level, reasons = risk.level, list(risk.reasons)
    if risk.kind == "plain wallet" and a.unlimited:
        level = "high"
        reasons.append("a plain wallet with unlimited access: whoever holds its key can take everything it covers")
    return {
        "token": a.token,
        "symbol": facts.symbol if facts else None,
        "decimals": facts.decimals if facts else None,
        "spender": a.spender,
        "kind": a.kind,
        "amount": amount_text,
        "amount_raw": None if a.amount is None else str(a.amount),
        "unlimited": a.unlimited,
        "expiration": _iso(a.expiration),
        "token_id": a.token_id,
        "approved_at": _iso(a.approved_at),
        "approval_tx": a.approval_tx,
        "spent_raw": str(a.spent),
        "already_taken": units(a.spent, facts) if a.spent and a.kind in FUNGIBLE else None,
        "balance": balance_text,
        "balance_raw": None if balance is None else str(balance),
        "value_at_risk": risk_text,
        "value_at_risk_raw": None if at_risk is None else str(at_risk),
        "value_at_risk_usd": usd_of(at_risk, facts) if a.kind in FUNGIBLE else None,
        "price_source": facts.price_source if facts and facts.usd is not None else None,
        "risk": level,
        "reasons": reasons,
        "spender_kind": risk.kind,
        "notes": list(a.notes),
        "revoke": revoke_call(a.kind, a.token, a.spender, a.contract, a.token_id),
    }


def _summary(rows: list[dict], paid: list[dict], looks: list[dict], taken: list[dict]) -> dict:
    # one balance can be taken once: per token, the largest value at risk among its allowances
    per_token: dict[str, float] = {}
    for r in rows:
        if r["value_at_risk_usd"] is not None:
            per_token[r["token"]] = max(per_token.get(r["token"], 0.0), r["value_at_risk_usd"])
    return {
        "allowances": len(rows),
        "high_risk": sum(r["risk"] == "high" for r in rows),
        "medium_risk": sum(r["risk"] == "medium" for r in rows),
        "low_risk": sum(r["risk"] == "low" for r in rows),
        "unlimited": sum(r["unlimited"] for r in rows),
        "value_at_risk_usd": round(sum(per_token.values()), 2),
        "unpriced_allowances": sum(r["value_at_risk_usd"] is None and r["value_at_risk_raw"] not in (None, "0")
                                   for r in rows),
        "flagged_payments": sum(p["payments"] for p in paid),
        "flagged_payments_usd": round(sum(p["usd"] or 0 for p in paid), 2),
        "taken_by_others": sum(t["pulls"] for t in taken),
        "taken_by_others_usd": round(sum(t["usd"] or 0 for t in taken), 2),
        "taken_by_flagged_usd": round(sum(t["usd"] or 0 for t in taken if t["flagged"]), 2),
        "lookalikes": len(looks),
        "lookalikes_paid": sum(lk["you_paid"] for lk in looks),
    }


def _taken_row(t: dict, facts: TokenFacts | None, flagged: set[str]) -> dict:
    raw = t["amount_raw"]
    nft = t["kind"] in ("erc721", "erc1155")
    amount = f"{int(raw):,} NFTs" if nft and raw is not None else units(None if raw is None else int(raw), facts)
    return {"by": t["taker"], "via": t["via"], "to": t["to_address"], "token": t["token"],
            "symbol": facts.symbol if facts else None, "pulls": t["pulls"], "amount": amount,
            "amount_raw": None if raw is None else str(raw), "usd": t["usd"],
            "flagged": bool({t["taker"], t["via"], t["to_address"]} & flagged),
            "first_taken": _iso(t["first_taken"]), "last_taken": _iso(t["last_taken"]), "tx_hashes": t["tx_hashes"]}


def _payment_row(p: dict) -> dict:
    return {**p, "usd": p["usd"], "first_paid": _iso(p["first_paid"]), "last_paid": _iso(p["last_paid"])}


def _exchange_row(e: dict) -> dict:
    return {**e, "first_paid": _iso(e["first_paid"]), "last_paid": _iso(e["last_paid"])}
