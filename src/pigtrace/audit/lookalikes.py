"""Look-alike addresses in the wallet's history (address poisoning): an address that shares the first and
last characters of one of the wallet's real counterparties but is a different address, planted so that
the owner copies it from the history next time.

Place in the flow: beside ``payments``; ``advice`` warns about each look-alike, loudest when the owner
already paid one.

Two sources, each entry saying which found it (``source``):

- ``pigtrace analyze``'s poisoning detector (``detect/poisoning.py`` over ``detect/poison_sql.py``), read from
  its own rows in ``detector_findings``: look-alikes whose reasons name this wallet as the owner whose real
  counterparty they imitate (it also checks that a third party planted them within days of a real
  transfer, and finds fake tokens). Used wherever analyze has run.
- this module's own comparison, so that the audit works before or without analyze: every pair of the
  wallet's counterparties (addresses it sent to or received from) whose text after ``0x`` (EVM, compared
  lower-case) or after the leading ``T`` (Tron's base58, what wallets show) agrees in the first
  ``MIN_HEAD`` and last ``MIN_TAIL`` characters. Of a pair, the address the wallet dealt with first is
  taken as the real one (a poisoner plants after the real transfer). This is a plainer test than the
  detector's, so it can name a chance match; at 8 shared hex characters the odds are 1 in 4 billion per pair.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import duckdb

from pigtrace.audit.tokens import has_table
MIN_HEAD = 4
MIN_TAIL = 4
DETECTOR = "poisoning"
_IMITATES = re.compile(r"(\S+) imitates (\S+) \(first (\d+) and last (\d+) [^)]*\), a real counterparty of (\S+)$")



def _body(col: str) -> str:
    return f"CASE WHEN {col} LIKE '0x%' THEN lower(substr({col}, 3)) ELSE substr({col}, 2) END"


def lookalikes(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[dict]:
    """Look-alikes in ``owner``'s history: {lookalike, imitates, shared, first_seen, you_paid, payments,
    paid_usd, source}; those the owner paid first."""
    found: dict[tuple[str, str], dict] = {}
    for lookalike, imitates, head, tail in _from_detector(con, chain, owner):
        found[(lookalike, imitates)] = {"lookalike": lookalike, "imitates": imitates,
                                        "shared": f"first {head} and last {tail} characters",
                                        "source": ["pigtrace analyze (poisoning detector)"]}
    for lookalike, imitates, shared in _compared(con, chain, owner, at):
        entry = found.setdefault((lookalike, imitates), {"lookalike": lookalike, "imitates": imitates,
                                                        "shared": shared, "source": []})
        entry["source"].append(f"audit: first {MIN_HEAD} and last {MIN_TAIL} characters compared")
    if not found:
        return []
    stats = _payments(con, chain, owner, sorted({k[0] for k in found}), at)
    out = []
    for (lookalike, _), entry in found.items():
        first_seen, payments, usd = stats.get(lookalike, (None, 0, None))
        out.append({**entry, "first_seen": first_seen, "you_paid": payments > 0, "payments": payments,
                    "paid_usd": usd})
    out.sort(key=lambda e: (not e["you_paid"], -(e["paid_usd"] or 0), e["lookalike"]))
    return out


def _from_detector(con: duckdb.DuckDBPyConnection, chain: str, owner: str) -> list[tuple[str, str, int, int]]:
    if not has_table(con, "detector_findings"):
        return []
    rows = con.execute(
        """SELECT address, reasons FROM detector_findings
           WHERE detector = ? AND chain = ? AND role IN ('scam_collection', 'scam_operator') AND contains(reasons, ?)""",
        [DETECTOR, chain, owner]).fetchall()
    out = set()
    for address, reasons in rows:
        for reason in json.loads(reasons or "[]"):
            m = _IMITATES.search(reason)
            if m and m.group(1) == address and m.group(5) == owner:
                out.add((address, m.group(2), int(m.group(3)), int(m.group(4))))
    return sorted(out)


def _compared(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[tuple[str, str, str]]:
    rows = con.execute(
        f"""WITH sent AS (SELECT to_address AS address, min(time) AS first_seen FROM transfers
                          WHERE chain = ? AND from_address = ? AND coalesce(time <= ?, true) GROUP BY 1),
            got AS (SELECT from_address AS address, min(time) AS first_seen FROM transfers
                    WHERE chain = ? AND to_address = ? AND coalesce(time <= ?, true) GROUP BY 1),
            cp AS (SELECT address, min(first_seen) AS first_seen, {_body('address')} AS body
                   FROM (SELECT * FROM sent UNION ALL SELECT * FROM got)
                   WHERE address IS NOT NULL AND address <> ? GROUP BY address),
            keyed AS (SELECT *, left(body, {MIN_HEAD}) AS head, right(body, {MIN_TAIL}) AS tail FROM cp
                      WHERE length(body) >= {MIN_HEAD + MIN_TAIL} AND NOT regexp_full_match(body, '0+'))
            SELECT l.address AS lookalike, r.address AS imitates, l.body, r.body
            FROM keyed l JOIN keyed r ON l.head = r.head AND l.tail = r.tail AND l.address <> r.address
            WHERE r.first_seen < l.first_seen OR (r.first_seen = l.first_seen AND r.address < l.address)
               OR (r.first_seen IS NOT NULL AND l.first_seen IS NULL)""",
        [chain, owner, at, chain, owner, at, owner]).fetchall()
    out = []
    for lookalike, imitates, a, b in rows:
        head = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        tail = next((i for i, (x, y) in enumerate(zip(reversed(a), reversed(b))) if x != y), min(len(a), len(b)))
        out.append((lookalike, imitates, f"first {head} and last {tail} characters"))
    return out


def _payments(con: duckdb.DuckDBPyConnection, chain: str, owner: str, addresses: list[str],
              at: datetime) -> dict[str, tuple]:
    """{address: (first seen in the wallet's history, the wallet's own payments to it, their USD)}."""
    paid = "from_address = ? AND coalesce(initiator = ?, true) AND coalesce(amount > 0, amount_text IS NOT NULL)"
    rows = con.execute(
        f"""WITH h AS (SELECT CASE WHEN from_address = ? THEN to_address ELSE from_address END AS other, *
                       FROM transfers WHERE chain = ? AND (from_address = ? OR to_address = ?)
                       AND coalesce(time <= ?, true))
            SELECT other, min(time), count(*) FILTER (WHERE {paid}), sum(usd) FILTER (WHERE {paid})
            FROM h WHERE other IN (SELECT unnest(?::VARCHAR[])) GROUP BY other""",
        [owner, chain, owner, owner, at, owner, owner, owner, owner, addresses]).fetchall()
    return {a: (first, int(n), usd) for a, first, n, usd in rows}
