"""Evidence rows for findings: the transfers that prove them, fetched in one query per detector and
grouped by the address they support (a few per address, largest first). Each item carries the display
amount, the raw amount and the token's decimals and symbol (from ``pt_token_info``, the token_info stage),
as ``detect.base.Finding`` describes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from pigtrace.detect.drain_evidence import token_units
from pigtrace.detect.flow_services import address_refs_sql, rows_touched

PER_ADDRESS = 10


def collect(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None,
            per_address: int = PER_ADDRESS) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``sql`` returns, in this order, columns chain, address, tx_hash, time, src, dst, token, amount, usd, note, rank_key;
    keeps the ``per_address`` rows with the highest rank_key for each (chain, address). ``amount`` is the raw
    integer amount."""
    rows = con.execute(
        f"""SELECT q.*, ti.decimals, ti.symbol FROM (
                SELECT chain, address, tx_hash, time, src, dst, token, amount::VARCHAR AS raw, usd, note
                FROM ({sql}) AS q(chain, address, tx_hash, time, src, dst, token, amount, usd, note, rank_key)
                QUALIFY row_number() OVER (PARTITION BY chain, address ORDER BY rank_key DESC, time, tx_hash, note)
                        <= {per_address}) q
            LEFT JOIN pt_token_info ti ON ti.chain = q.chain AND ti.token = q.token
            ORDER BY q.chain, q.address, q.time, q.tx_hash, q.note""",
        params or [],
    ).fetchall()
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for chain, address, tx, time, src, dst, token, raw, usd, note, decimals, symbol in rows:
        item = {"tx_hash": tx, "time": time, "from": src, "to": dst, "token": token, "symbol": symbol,
                "amount": token_units(raw, decimals), "raw": raw}
        if decimals is not None:
            item["decimals"] = decimals
        out[(chain, address)].append({**item, "usd": None if usd is None else round(float(usd), 2), "note": note})
    return out


def usd(x: float | None) -> str:
    return "n/a" if x is None else f"${x:,.0f}"


def touching_sql(table: str, col: str = "address", value: str = "pt_value") -> str:
    """SQL of every value transfer (of ``value``, a relation with pt_value's columns) into or out of the
    addresses in ``table.col``: columns chain, address, tx_hash, time, src, dst, token, amount, usd, incoming
    (two equi-joins, never an OR join)."""
    cols = "v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd"
    refs = f"(SELECT DISTINCT * FROM ({address_refs_sql(table, col, keep=True)}))"
    return f"""(SELECT x.chain, x.address, {cols}, true AS incoming
                FROM {refs} x JOIN {rows_touched(value, "dst_ref", table, col)} v ON v.dst_ref = x.ref
                UNION ALL
                SELECT x.chain, x.address, {cols}, false AS incoming
                FROM {refs} x JOIN {rows_touched(value, "src_ref", table, col)} v ON v.src_ref = x.ref)"""


def in_out_sql(table: str, col: str, incoming: str, outgoing: str) -> str:
    """Evidence rows for ``collect``: every value transfer into (noted ``incoming``) or out of (noted
    ``outgoing``) the addresses in ``table.col``, ranked by value."""
    def lit(note: str) -> str:
        return "'" + note.replace("'", "''") + "'"
    return f"""SELECT v.chain, v.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                      CASE WHEN v.incoming THEN {lit(incoming)} ELSE {lit(outgoing)} END, v.usd
               FROM {touching_sql(table, col)} v"""


def seen_sql(table: str, col: str = "address", value: str = "pt_value") -> str:
    """SQL of (chain, address, first_in, last_in, first_out, last_out) for the addresses in ``table.col``
    (transfers of ``value``, as in ``touching_sql``)."""
    return f"""(SELECT chain, address, min(time) FILTER (WHERE incoming) AS first_in,
                       max(time) FILTER (WHERE incoming) AS last_in, min(time) FILTER (WHERE NOT incoming) AS first_out,
                       max(time) FILTER (WHERE NOT incoming) AS last_out
                FROM {touching_sql(table, col, value)} GROUP BY chain, address)"""


def paid_by_sql(targets: str, sources: str, note: str) -> str:
    """Evidence rows for ``collect``: each payment into a wallet of relation ``targets`` (chain, address)
    from a wallet of relation ``sources`` (chain, address), noted as ``note``."""
    return f"""SELECT t.chain, t.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd, '{note}', v.usd
               FROM ({address_refs_sql(targets, keep=True)}) t JOIN pt_value v ON v.dst_ref = t.ref
               SEMI JOIN ({address_refs_sql(sources)}) k ON k.ref = v.src_ref"""
