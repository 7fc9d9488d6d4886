"""Evidence items for findings of the drain, poisoning and screening detectors.

Detectors select the telling transfers in SQL with the columns of ``EVIDENCE_COLUMNS`` (the transfer's
hash, time, ends, token, exact raw amount, the token's decimals and symbol, USD value) and turn each row
into the dict the findings contract stores (``detect.base.Finding``): ``tx_hash, time, from, to, token,
symbol, amount, raw, decimals, usd, note``, where ``amount`` is the exact amount in token units (the raw
integer shifted by the token's decimals) and ``raw`` the integer itself.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pigtrace.detect.base import Finding
from pigtrace.store.warehouse import dict_rows

MAX_EVIDENCE = 20

# SQL select-list over a transfers alias ``t`` joined to ``pt_token_info`` alias ``ti``.
EVIDENCE_SQL = (
    "t.tx_hash, t.time, t.from_address, t.to_address, t.token, "
    "coalesce(t.amount::VARCHAR, t.amount_text) AS raw_amount, ti.decimals, ti.symbol, t.usd"
)
EVIDENCE_COLUMNS = ["tx_hash", "time", "from", "to", "token", "raw_amount", "decimals", "symbol", "usd"]


def ensure_token_info(con) -> None:
    """``pt_token_info(chain, token, decimals, symbol)``: the tokens table, then the registry's assets and
    native coins for what it lacks."""
    from pigtrace.chains.registry import NATIVE, assets, chains

    known = {(a.chain, a.address): (a.chain, a.address, a.decimals, a.symbol) for a in assets()}
    for c in chains():
        known.setdefault((c.name, NATIVE), (c.name, NATIVE, c.native_decimals, c.native_symbol))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pt_registry_tokens "
        "(chain VARCHAR, token VARCHAR, decimals INTEGER, symbol VARCHAR)"
    )
    con.executemany("INSERT INTO pt_registry_tokens VALUES (?, ?, ?, ?)", list(known.values()))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_token_info AS
        SELECT chain, token, any_value(decimals) AS decimals, any_value(symbol) AS symbol FROM (
            SELECT chain, address AS token, decimals, symbol FROM tokens
            UNION ALL SELECT * FROM pt_registry_tokens r
            WHERE NOT EXISTS (SELECT 1 FROM tokens k WHERE k.chain = r.chain AND k.address = r.token))
        GROUP BY chain, token"""
    )


def token_units(raw: str | int | None, decimals: int | None) -> str | None:
    """The exact amount in token units as text (``1234.5``), or the raw integer when decimals are unknown."""
    if raw is None:
        return None
    if decimals is None:
        return str(raw)
    value = Decimal(int(raw)).scaleb(-int(decimals))
    text = format(value.normalize(), "f") if value else "0"
    return text


def item(row: dict[str, Any], note: str) -> dict[str, Any]:
    """One evidence dict from a row holding EVIDENCE_COLUMNS."""
    time = row.get("time")
    raw, decimals = row.get("raw_amount"), row.get("decimals")
    out = {
        "tx_hash": row["tx_hash"],
        "time": time.isoformat(sep=" ") if isinstance(time, datetime) else time,
        "from": row["from"],
        "to": row["to"],
        "token": row["token"],
        "symbol": row.get("symbol"),
        "amount": token_units(raw, decimals),
        "raw": None if raw is None else str(raw),
    }
    if decimals is not None:
        out["decimals"] = int(decimals)
    return {**out, "usd": round(row["usd"], 2) if row.get("usd") is not None else None, "note": note}


def rows(con, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """The result of ``sql`` as dicts (used only for flagged addresses, never for the whole ledger)."""
    cur = con.execute(sql, params or [])
    return dict_rows(cur)


def transfer_item(row: dict[str, Any], note: str) -> dict[str, Any]:
    """An evidence item from a row with EVIDENCE_SQL columns (``from_address``/``to_address``)."""
    return item({**row, "from": row["from_address"], "to": row["to_address"]}, note)


class FindingSet:
    """Findings being assembled, keyed by (chain, address, role); the help text is the first reason, at
    most 6 reasons and MAX_EVIDENCE evidence items each."""

    def __init__(self, typology: str, help_text: str) -> None:
        self.typology, self.help = typology, help_text
        self.items: dict[tuple[str, str, str], Finding] = {}

    def add(self, chain: str, address: str, role: str, score: float, ring: str, time, reason: str,
            evidence: dict[str, Any] | None) -> None:
        key = (chain, address, role)
        f = self.items.get(key)
        if f is None:
            f = self.items[key] = Finding(chain, address, role, self.typology, score, time, time,
                                          reasons=[self.help], ring=ring)
        f.score = max(f.score, min(1.0, score))
        f.first_seen = min(filter(None, [f.first_seen, time]), default=None)
        f.last_seen = max(filter(None, [f.last_seen, time]), default=None)
        if reason not in f.reasons and len(f.reasons) < 6:
            f.reasons.append(reason)
        if evidence and len(f.evidence) < MAX_EVIDENCE and evidence not in f.evidence:
            f.evidence.append(evidence)

    def findings(self) -> list[Finding]:
        """The findings, each with its evidence in time order and first/last seen spanning it."""
        for f in self.items.values():
            f.evidence.sort(key=lambda e: str(e.get("time") or ""))
            times = [datetime.fromisoformat(e["time"]) for e in f.evidence if e.get("time")]
            if times:
                f.first_seen, f.last_seen = min(times), max(times)
        return list(self.items.values())
