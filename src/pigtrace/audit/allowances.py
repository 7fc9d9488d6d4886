"""Outstanding allowances of one owner, from the ``approvals`` table replayed in time order with the
spenders' later pulls (``transfers``).

Place in the flow: the first step of ``wallet.audit_wallet``; ``balances``, ``spender_risk`` and ``revoke``
work on what it returns.

Rules, as the contracts behave:

- ERC-20 / TRC-20 ``Approval`` sets the allowance (it does not add): a later approval of 0 removes it.
- A pull by the spender lowers it: a transfer out of the owner, of that token, in a transaction the spender
  sent (``initiator``) or called (the transaction's ``to_address``; the token contract itself does not
  count). An allowance of exactly 2**256-1 is never lowered (ERC-20 implementations skip the decrement for
  it); any allowance of 2**255 or more is shown as unlimited.
- Permit2 (kind ``permit2``: its ``Approval`` and ``Permit`` events) sets amount and expiration per
  (token, spender); an expiration of 0 means the block's own time (Permit2's rule), and an allowance whose
  expiration is before the audit time is gone (one past the year 9999, such as type(uint48).max, never expires). Pulls lower it unless it is 2**160-1 (Permit2's unlimited).
  A Permit2 allowance works only through the owner's ERC-20 allowance to the Permit2 contract, so it is
  capped by that allowance; when that allowance was revoked, the Permit2 one is gone. When the warehouse
  holds no approval of the token to Permit2 at all, the Permit2 allowance stays as it is, with a note.
  A pull matching both an ERC-20 and a Permit2 allowance of the same spender lowers the ERC-20 one when it
  covers the pull, else the Permit2 one. Permit2's ``Lockdown`` event is not ingested: lockdowns are not seen.
- ``ApprovalForAll`` (NFT collections, kind ``approval_for_all``) stays until set to false.
- A single-NFT approval (kind ``erc721``) lasts until the owner approves another address (or none) for that
  NFT, or the NFT leaves the owner (ERC-721 clears it on transfer).

Only events at or before the audit time count, so an audit "as of" a past time shows the allowances then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb

MAX_UINT256 = 2**256 - 1
MAX_UINT160 = 2**160 - 1
UNLIMITED_FROM = {"erc20": 2**255, "trc20": 2**255, "permit2": 2**159}
ZERO_EVM = "0x" + "0" * 40
FUNGIBLE = ("erc20", "trc20")
NEVER = 253402300799  # 9999-12-31 23:59:59 UTC: a later Permit2 expiration (type(uint48).max ...) never comes


@dataclass
class Allowance:
    token: str  # the token (or NFT collection) contract
    kind: str  # erc20, trc20, permit2, approval_for_all, erc721
    spender: str
    contract: str  # the contract holding the allowance: the token, or the Permit2 contract
    amount: int | None  # what the spender can still take, raw units (None: a whole collection)
    unlimited: bool
    approved_at: datetime | None
    approval_tx: str
    expiration: datetime | None = None  # Permit2 only
    token_id: str | None = None  # single-NFT approvals only
    spent: int = 0  # pulled since the last approval, raw units
    notes: list[str] = field(default_factory=list)


def _amount(amount, amount_text) -> int:
    if amount is not None:
        return int(amount)
    return int(amount_text) if amount_text not in (None, "") else 0


def _epoch(t: datetime | None) -> int | None:
    return None if t is None else int(t.replace(tzinfo=timezone.utc).timestamp())


def _expiry(seconds: int | None) -> datetime | None:
    """A Permit2 expiration (unix seconds) as naive UTC; None for none or one past year 9999 (never)."""
    if seconds is None or seconds > NEVER:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def _approval_events(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[tuple]:
    return con.execute(
        """SELECT time, coalesce(block_number, -1), log_index, 0 AS ord, 'approval' AS what, tx_hash, token, kind,
                  spender, amount, amount_text, approved, expiration, contract
           FROM approvals WHERE chain = ? AND owner = ? AND coalesce(time <= ?, true)""",
        [chain, owner, at]).fetchall()


def _pull_events(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[tuple]:
    """Transfers out of the owner that a spender with an allowance of that token made (it sent or called
    the transaction), one spender per transfer (the sender before the called contract)."""
    return con.execute(
        f"""WITH keys AS (SELECT DISTINCT token, spender FROM approvals
                          WHERE chain = ? AND owner = ? AND kind IN ('erc20', 'trc20', 'permit2') AND spender <> owner)
            SELECT t.time, coalesce(t.block_number, -1), t.log_index, 1 AS ord, 'pull' AS what, t.tx_hash, t.token,
                   t.kind, k.spender, t.amount, t.amount_text, NULL, NULL, NULL
            FROM transfers t
            LEFT JOIN transactions x ON x.chain = t.chain AND x.hash = t.tx_hash
            JOIN keys k ON k.token = t.token
                       AND (t.initiator = k.spender OR (x.to_address = k.spender AND k.spender <> t.token))
            WHERE t.chain = ? AND t.from_address = ? AND t.kind IN {FUNGIBLE} AND coalesce(t.time <= ?, true)
            QUALIFY row_number() OVER (PARTITION BY t.tx_hash, t.log_index
                                       ORDER BY (t.initiator = k.spender) DESC, k.spender) = 1""",
        [chain, owner, chain, owner, at]).fetchall()


def _nft_out_events(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[tuple]:
    return con.execute(
        """SELECT time, coalesce(block_number, -1), log_index, 1 AS ord, 'nft_out' AS what, tx_hash, token, kind,
                  NULL, NULL, token_id, NULL, NULL, NULL
           FROM transfers WHERE chain = ? AND from_address = ? AND kind = 'erc721' AND coalesce(time <= ?, true)
             AND token IN (SELECT token FROM approvals WHERE chain = ? AND owner = ? AND kind = 'erc721')""",
        [chain, owner, at, chain, owner]).fetchall()


def outstanding_allowances(con: duckdb.DuckDBPyConnection, chain: str, owner: str, at: datetime) -> list[Allowance]:
    """The allowances ``owner`` has outstanding on ``chain`` at ``at`` (naive UTC), in no particular order."""
    events = _approval_events(con, chain, owner, at) + _pull_events(con, chain, owner, at) \
        + _nft_out_events(con, chain, owner, at)
    events.sort(key=lambda e: (e[0] or datetime.min, e[1], e[2], e[3]))
    fungible: dict[tuple[str, str], Allowance] = {}  # (token, spender)
    permit2: dict[tuple[str, str], Allowance] = {}
    for_all: dict[tuple[str, str], Allowance | None] = {}
    single: dict[tuple[str, str], Allowance | None] = {}  # (token, token_id)
    for (time, _block, _log, _ord, what, tx, token, kind, spender, amount, amount_text, approved, expiration,
         contract) in events:
        if what == "approval":
            if kind in FUNGIBLE:
                fungible[(token, spender)] = Allowance(token, kind, spender, contract or token,
                                                       _amount(amount, amount_text), False, time, tx)
            elif kind == "permit2":
                expires = expiration if expiration else _epoch(time)  # 0: the approval block's own time
                permit2[(token, spender)] = Allowance(token, kind, spender, contract, _amount(amount, amount_text),
                                                      False, time, tx, expiration=_expiry(expires))
            elif kind == "approval_for_all":
                for_all[(token, spender)] = Allowance(token, kind, spender, contract or token, None, True, time, tx) \
                    if approved else None
            elif kind == "erc721":
                token_id = amount_text if amount_text is not None else (None if amount is None else str(amount))
                single[(token, token_id)] = Allowance(token, kind, spender, contract or token, 1, False, time, tx,
                                                      token_id=token_id) if spender and spender != ZERO_EVM else None
        elif what == "pull":
            _pull(fungible.get((token, spender)), permit2.get((token, spender)), _amount(amount, amount_text), time)
        elif what == "nft_out":
            single.pop((token, amount_text), None)

    out = [a for a in fungible.values() if a.amount > 0]
    for a in permit2.values():
        if a.amount <= 0 or (a.expiration is not None and a.expiration < at):
            continue
        base = fungible.get((a.token, a.contract))
        if base is None:
            a.notes.append("the warehouse holds no approval of this token to the Permit2 contract; if you gave one, "
                           "this allowance can be used")
        elif base.amount <= 0:
            continue  # the owner revoked Permit2's own allowance: nothing can move through Permit2
        elif base.amount < a.amount and base.amount != MAX_UINT256:
            a.amount = base.amount
            a.notes.append("capped by your allowance to the Permit2 contract")
        out.append(a)
    out += [a for a in for_all.values() if a is not None]
    out += [a for a in single.values() if a is not None]
    for a in out:
        if a.kind in UNLIMITED_FROM:
            a.unlimited = a.amount >= UNLIMITED_FROM[a.kind]
    return out


def _pull(erc20: Allowance | None, permit2: Allowance | None, amount: int, time: datetime | None) -> None:
    live_permit2 = permit2 is not None and permit2.amount > 0 and (
        permit2.expiration is None or time is None or time <= permit2.expiration)
    if erc20 is not None and (erc20.amount >= amount or erc20.amount == MAX_UINT256 or not live_permit2):
        target, maximum = erc20, MAX_UINT256
    elif live_permit2:
        target, maximum = permit2, MAX_UINT160
    else:
        return
    target.spent += amount
    if target.amount != maximum:
        target.amount = max(0, target.amount - amount)
