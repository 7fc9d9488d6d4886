"""Token metadata for `pigtrace ingest rpc`: symbol, name, decimals and total supply of tokens first seen.

After a chunk is decoded, the token contracts its transfers and approvals name that the ``tokens`` table
does not hold yet are asked, in one batched request, for ``symbol()``, ``name()``, ``decimals()`` and
``totalSupply()`` (``eth_call`` at the latest block). A call the contract reverts leaves that field NULL;
the row is written anyway so the token is not asked again. Strings come as ABI ``string`` or, for old
tokens, as ``bytes32``.
"""

from __future__ import annotations

import duckdb

from pigtrace.ingest.rpc_client import RpcClient, RpcError
from pigtrace.store.warehouse import merge_staged

SELECTORS = {"symbol": "0x95d89b41", "name": "0x06fdde03", "decimals": "0x313ce567", "total_supply": "0x18160ddd"}
MAX_TEXT = 64  # characters kept of a token's symbol or name


def new_token_addresses(con: duckdb.DuckDBPyConnection, chain: str) -> list[str]:
    """Token contracts named by this chunk's staged transfers and approvals and absent from ``tokens``."""
    rows = con.execute(
        """SELECT DISTINCT token FROM (
               SELECT token FROM staged_token_transfers UNION ALL SELECT token FROM staged_approvals) s
           WHERE token LIKE '0x%' AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.chain = ? AND t.address = s.token)
           ORDER BY token""",
        [chain],
    ).fetchall()
    return [r[0] for r in rows]


def fetch_metadata(client: RpcClient, addresses: list[str]) -> list[tuple]:
    """(address, symbol, name, decimals, total_supply text) per address; NULL where the contract has no answer."""
    calls = [("eth_call", [{"to": a, "data": SELECTORS[f]}, "latest"]) for a in addresses for f in SELECTORS]
    replies = client.batch(calls)
    rows = []
    for i, address in enumerate(addresses):
        symbol, name, decimals, supply = (_result(r) for r in replies[4 * i : 4 * i + 4])
        dec = _uint(decimals)
        rows.append((address, _text(symbol), _text(name), dec if dec is not None and dec <= 255 else None,
                     None if _uint(supply) is None else str(_uint(supply))))
    return rows


def merge_tokens(con: duckdb.DuckDBPyConnection, chain: str, rows: list[tuple]) -> int:
    con.execute("CREATE OR REPLACE TEMP TABLE pt_rpc_tokens (chain VARCHAR, address VARCHAR, symbol VARCHAR, "
                "name VARCHAR, decimals INTEGER, total_supply VARCHAR)")
    if rows:  # the chain travels as a value, never in SQL text
        con.executemany("INSERT INTO pt_rpc_tokens VALUES (?, ?, ?, ?, ?, ?)", [(chain, *r) for r in rows])
    return merge_staged(con, "tokens", "pt_rpc_tokens")


def _result(reply) -> bytes | None:
    if isinstance(reply, RpcError) or not isinstance(reply, str) or not reply.startswith("0x"):
        return None
    try:
        return bytes.fromhex(reply[2:])
    except ValueError:  # metadata is a courtesy: an unreadable answer leaves the field NULL
        return None


def _uint(raw: bytes | None) -> int | None:
    return int.from_bytes(raw[:32], "big") if raw and len(raw) >= 32 else None


def _text(raw: bytes | None) -> str | None:
    """An ABI-encoded ``string`` or a ``bytes32``, as printable text."""
    if not raw:
        return None
    if len(raw) == 32:
        data = raw.rstrip(b"\0")
    else:
        offset = _uint(raw)
        if offset is None or offset + 32 > len(raw):
            return None
        length = int.from_bytes(raw[offset : offset + 32], "big")
        data = raw[offset + 32 : offset + 32 + min(length, 4 * MAX_TEXT)]
    text = "".join(c for c in data.decode("utf-8", "replace") if c.isprintable()).strip()
    return text[:MAX_TEXT] or None
