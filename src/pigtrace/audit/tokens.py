"""Token facts the audit shows: symbol, decimals and a USD price per token, as of the audit time.

Place in the flow: after ``allowances`` (which tokens matter), before ``balances`` and the value at risk.
Symbol and decimals come from the warehouse's ``tokens`` table, else the asset registry. The price is the
latest imported price (``pigtrace prices import``) on or before the audit day, else the registry's
(stablecoins at par, a static reference for the main coins), else unknown: an unknown price leaves the
USD value empty, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from pigtrace.chains.registry import find_asset, usd_price


@dataclass(frozen=True)
class TokenFacts:
    token: str
    symbol: str | None
    decimals: int | None
    usd: float | None  # price of one whole token
    price_source: str | None


def token_facts(con: duckdb.DuckDBPyConnection, chain: str, tokens: list[str], at: datetime) -> dict[str, TokenFacts]:
    """Facts for each of ``tokens`` on ``chain``."""
    if not tokens:
        return {}
    stored = {t: (s, d) for t, s, d in con.execute(
        "SELECT address, symbol, decimals FROM tokens WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[]))",
        [chain, tokens]).fetchall()}
    prices: dict[str, tuple[float, str]] = {}
    if has_table(con, "prices"):
        prices = {t: (usd, f"price file {src} ({day})") for t, usd, src, day in con.execute(
            """SELECT token, arg_max(usd, day), arg_max(source, day), max(day) FROM prices
               WHERE chain = ? AND token IN (SELECT unnest(?::VARCHAR[])) AND day <= ?::DATE GROUP BY token""",
            [chain, tokens, at]).fetchall()}
    out = {}
    for t in tokens:
        asset = find_asset(chain, t)
        symbol, decimals = stored.get(t, (None, None))
        if asset is not None:
            symbol, decimals = symbol or asset.symbol, decimals if decimals is not None else asset.decimals
        price, source = prices.get(t, (None, None))
        if price is None and asset is not None:
            price, source = usd_price(asset)
        out[t] = TokenFacts(t, symbol, decimals, price, source)
    return out


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """The warehouse has table ``name`` (an older one may lack ``prices``, ``entities`` ...)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [name]).fetchone()[0])


def units(raw: int | None, facts: TokenFacts | None) -> str | None:
    """An exact raw amount as a person reads it: '4,987.5 PUSD' (the raw integer when decimals are unknown)."""
    if raw is None:
        return None
    symbol = (facts.symbol if facts else None) or "tokens"
    if facts is None or facts.decimals is None:
        return f"{raw:,} (raw units) {symbol}"
    value = Decimal(raw).scaleb(-facts.decimals)
    text = format(value.normalize(), ",f") if value else "0"
    return f"{text} {symbol}"


def usd_of(raw: int | None, facts: TokenFacts | None) -> float | None:
    if raw is None or facts is None or facts.usd is None or facts.decimals is None:
        return None
    return float(Decimal(raw).scaleb(-facts.decimals)) * facts.usd
