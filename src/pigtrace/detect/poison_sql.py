"""The set-based part of the address-poisoning detector: DuckDB SQL over the whole ledger.

``find_poisoning(ctx)`` leaves these temporary tables for ``poisoning`` to turn into findings:

- ``pt_poison_planted``: candidate planted transfers (no value, not sent by the owner).
- ``pt_poison_real`` / ``pt_poison_pairs``: those owners' real transfers (a registry asset worth at least
  ``DUST_USD``, either way) with addresses ending like a planted look-alike, and so the genuine
  counterparties that may be imitated.
- ``pt_poison_events``: transfers that plant a look-alike in an owner's history -- zero-value, dust
  (below ``DUST_USD``) or a token outside the asset registry -- between the owner and an address that
  shares the first and last characters of one of the owner's genuine counterparties (``head``/``tail``,
  at least ``MIN_END`` each and ``MIN_MATCH`` together), sent by someone other than the owner within
  ``WINDOW_DAYS`` of a real transfer with that counterparty.
- ``pt_poison_paid``: the owner's later real payments to a look-alike (the poisoning worked).
- ``pt_poison_fake_tokens``: unregistered tokens of planted transfers that carry a registry asset's
  symbol (a fake "USDT") or whose transfers are mostly planted ones: the poisoner's own contracts.

Why these thresholds:

- ``MIN_END = 3`` characters at each end and ``MIN_MATCH = 7`` in all (after ``0x`` or Tron's ``T``):
  wallets and explorers shorten addresses to their first and last few characters, which is what poisoners
  imitate with vanity generators (typically 3-6 at each end). Two unrelated addresses share 7 given hex
  characters with odds of 1 in 268 million, and the match must also be with one of the owner's own
  counterparties in a no-value transfer sent by a third party, so a chance match is out of reach. Matches
  made only of zeros are skipped (vanity contracts share them).
- ``DUST_USD = 1``: a planted transfer carries no value (zero, a fraction of a cent, or a worthless fake
  token); a real payment is worth at least a dollar.
- ``WINDOW_DAYS = 7``: poisoners react to a real transfer within minutes to hours, bots working from new
  blocks; a week also covers batch campaigns while keeping unrelated lookalikes out.
"""

from __future__ import annotations

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.drain_evidence import ensure_token_info
from pigtrace.detect.drain_services import chain_filter, ensure_services

MIN_END = 3
MIN_MATCH = 7
MAX_COUNTED = 12  # shared characters are counted up to this many
DUST_USD = 1.0
WINDOW_DAYS = 7


def _body(col: str) -> str:
    return f"CASE WHEN {col} LIKE '0x%' THEN substr({col}, 3) ELSE substr({col}, 2) END"


def _shared(a: str, b: str, side: str) -> str:
    """SQL: how many leading (side='left') or trailing characters the bodies of a and b share."""
    return " + ".join(f"({side}({_body(a)}, {i}) = {side}({_body(b)}, {i}))::INT" for i in range(1, MAX_COUNTED + 1))


def find_poisoning(ctx: AnalysisContext) -> int:
    """Build the poisoning tables; returns the number of look-alike events found."""
    ensure_services(ctx)
    con = ctx.con
    ensure_token_info(con)
    where, params = chain_filter(ctx, "t.chain")
    registry = "LEFT JOIN pt_registry_tokens r ON r.chain = t.chain AND r.token = t.token"
    zero = "(t.amount = 0 AND t.amount_text IS NULL)"
    real = f"(r.token IS NOT NULL AND t.kind IN ('erc20', 'trc20', 'native') AND t.usd >= {DUST_USD})"
    planted_how = f"CASE WHEN {zero} THEN 'zero-value' WHEN r.token IS NULL THEN 'unregistered token' ELSE 'dust' END"
    # USD is derived only for registry assets, so a missing one means zero, a huge spam amount or a token
    # outside the registry: the cheap test on the whole ledger; the registry join runs on what it keeps.
    maybe_no_value = f"({zero} OR t.usd IS NULL OR t.usd < {DUST_USD})"
    no_value = f"({zero} OR r.token IS NULL OR coalesce(t.usd, 0) < {DUST_USD})"
    # Planted candidates: zero, dust or unregistered-token transfers the owner did not send, either way
    # (a transferFrom of 0 "from" the owner, or dust/fake tokens "from" the look-alike to the owner).
    # One scan finds the no-value transfers (few); each then gets both readings.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_poison_planted AS
        WITH cheap AS (
            SELECT t.chain, t.tx_hash, t.log_index, t.time, t.token, t.initiator, t.from_address, t.to_address,
                   t.amount, t.amount_text, t.usd
            FROM transfers t
            WHERE {where} AND t.kind IN ('erc20', 'trc20', 'native') AND t.from_address <> t.to_address
              AND {maybe_no_value}),
        no_value AS (
            SELECT t.* EXCLUDE (amount, amount_text, usd), {planted_how} AS how
            FROM cheap t {registry} WHERE {no_value}),
        sides AS (
            SELECT chain, tx_hash, log_index, time, token, initiator, from_address AS owner,
                   to_address AS lookalike, true AS outgoing, how FROM no_value WHERE initiator <> from_address
            UNION ALL
            SELECT chain, tx_hash, log_index, time, token, initiator, to_address, from_address, false, how
            FROM no_value WHERE initiator <> to_address)
        SELECT s.*, right(s.lookalike, {MIN_END}) AS k FROM sides s
        ANTI JOIN pt_services o ON o.chain = s.chain AND o.address = s.owner
        ANTI JOIN pt_services l ON l.chain = s.chain AND l.address = s.lookalike""",
        params,
    )
    # Real transfers (registry asset, at least DUST_USD, either way) between a planted owner and an address
    # ending like one of its planted look-alikes: the imitated counterparties, and the payments to
    # look-alikes. Joining on (owner, last characters) keeps this to a handful of rows; the leading
    # characters are compared on those rows only.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pt_poison_keys AS SELECT DISTINCT chain, owner, k FROM pt_poison_planted"
    )
    sides = [("from_address", "to_address", "true", "CREATE OR REPLACE TEMP TABLE pt_poison_real AS"),
             ("to_address", "from_address", "false", "INSERT INTO pt_poison_real")]
    for owner_col, other_col, outgoing, into in sides:
        con.execute(
            f"""{into}
            SELECT t.chain, t.{owner_col} AS owner, t.{other_col} AS other, {outgoing} AS outgoing, t.initiator,
                   t.time, t.tx_hash, t.log_index
            FROM transfers t
            JOIN pt_poison_keys k ON k.chain = t.chain AND k.owner = t.{owner_col}
                                 AND k.k = right(t.{other_col}, {MIN_END})
            {registry}
            WHERE {where} AND {real} AND t.from_address <> t.to_address""",
            params,
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_poison_pairs AS
        SELECT chain, owner, other, right(other, {MIN_END}) AS k, min(time) AS first_time
        FROM pt_poison_real GROUP BY ALL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_poison_events AS
        SELECT * FROM (
            SELECT p.*, q.other AS imitated, q.first_time AS imitated_since,
                   {_shared('p.lookalike', 'q.other', 'left')} AS head,
                   {_shared('p.lookalike', 'q.other', 'right')} AS tail
            FROM pt_poison_planted p
            JOIN pt_poison_pairs q ON q.chain = p.chain AND q.owner = p.owner AND q.k = p.k
            WHERE q.other <> p.lookalike AND q.first_time <= p.time) p
        WHERE head >= {MIN_END} AND tail >= {MIN_END} AND head + tail >= {MIN_MATCH}
          AND NOT (left({_body('p.imitated')}, head) || right({_body('p.imitated')}, tail)) SIMILAR TO '0+'
          -- shortly after a real transfer between the owner and the imitated counterparty
          AND EXISTS (SELECT 1 FROM pt_poison_real r WHERE r.chain = p.chain AND r.owner = p.owner
                      AND r.other = p.imitated AND r.time <= p.time
                      AND r.time >= p.time - INTERVAL {WINDOW_DAYS} DAY)
          -- a look-alike the owner already dealt with for real is a counterparty, not a decoy
          AND NOT EXISTS (SELECT 1 FROM pt_poison_real r WHERE r.chain = p.chain AND r.owner = p.owner
                          AND r.other = p.lookalike AND r.time < p.time)"""
    )
    # The owner then paid the look-alike: a real transfer it sent itself, after the first planted one.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_poison_paid AS
        WITH first_plant AS (
            SELECT chain, owner, lookalike, min(time) AS planted FROM pt_poison_events GROUP BY ALL)
        SELECT f.chain, f.owner, f.lookalike, r.tx_hash, r.log_index, r.time
        FROM first_plant f
        JOIN pt_poison_real r ON r.chain = f.chain AND r.owner = f.owner AND r.other = f.lookalike
        WHERE r.outgoing AND r.time >= f.planted AND r.initiator = f.owner"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_poison_fake_tokens AS
        WITH used AS (SELECT chain, token, count(*) AS planted FROM pt_poison_events
                      WHERE how = 'unregistered token' GROUP BY ALL),
        all_moves AS (SELECT t.chain, t.token, count(*) AS moves FROM transfers t
                      JOIN used u ON u.chain = t.chain AND u.token = t.token GROUP BY ALL)
        SELECT u.chain, u.token, k.symbol, u.planted, a.moves,
               EXISTS (SELECT 1 FROM pt_registry_tokens r WHERE r.chain = u.chain AND r.token <> 'native'
                       AND upper(r.symbol) = upper(trim(k.symbol))) AS impersonates
        FROM used u JOIN all_moves a ON a.chain = u.chain AND a.token = u.token
        LEFT JOIN (SELECT chain, address, any_value(symbol) AS symbol FROM tokens GROUP BY ALL) k
               ON k.chain = u.chain AND k.address = u.token
        WHERE impersonates OR u.planted * 2 >= a.moves"""
    )
    return con.execute("SELECT count(*) FROM pt_poison_events").fetchone()[0]
