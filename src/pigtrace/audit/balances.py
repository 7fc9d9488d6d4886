"""The owner's balance per token, as the warehouse saw it: what came in less what went out, up to the
audit time.

Place in the flow: after ``allowances``; the value at risk is min(balance, allowance). This is the balance
the warehouse's transfers give, not one read from the chain: transfers the warehouse does not hold (blocks
not ingested, a Tron account crawled in part) are missing from it. A balance that comes out negative
shows that history is missing; it is reported as unknown (None), never as zero.

Fungible tokens sum raw amounts exactly in DuckDB (amounts up to 2**100 as HUGEINT; the rare larger
value, kept as text by ingest, is added in Python). NFT collections count the NFTs held (ERC-721) or the
units (ERC-1155).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

SMALL = 2**100  # sums of amounts below this fit HUGEINT for any realistic number of transfers


def balances(con: duckdb.DuckDBPyConnection, chain: str, owner: str, tokens: list[str],
             at: datetime) -> dict[str, int | None]:
    """{token: balance in raw units (NFTs held for a collection), or None where history is missing}."""
    if not tokens:
        return {}
    rows = con.execute(
        f"""SELECT token,
                   sum(CASE WHEN to_address = ? THEN 1 ELSE -1 END
                       * CASE WHEN kind = 'erc721' THEN 1 ELSE amount END::HUGEINT)
                       FILTER (WHERE kind = 'erc721' OR amount < {SMALL}) AS small,
                   list(CASE WHEN to_address = ? THEN '' ELSE '-' END || coalesce(amount::VARCHAR, amount_text))
                       FILTER (WHERE kind <> 'erc721' AND (amount IS NULL OR amount >= {SMALL})) AS big
            FROM transfers
            WHERE chain = ? AND (from_address = ? OR to_address = ?) AND from_address IS DISTINCT FROM to_address
              AND token IN (SELECT unnest(?::VARCHAR[])) AND kind <> 'native' AND coalesce(time <= ?, true)
            GROUP BY token""",
        [owner, owner, chain, owner, owner, tokens, at]).fetchall()
    out: dict[str, int | None] = {t: 0 for t in tokens}
    for token, small, big in rows:
        total = int(small or 0) + sum(int(v) for v in (big or []) if v not in (None, "", "-"))
        out[token] = total if total >= 0 else None
    return out
