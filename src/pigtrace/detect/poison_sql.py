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
  ``WINDOW_DAYS`` of a real transfer with that counterparty. A Tron address is compared in two forms: its
  base58check text after the fixed leading 'T' (what wallets show), and its 20 address bytes in hex (what
  hex views and EVM tooling show; a look-alike made on the bytes shares the leading base58 characters only
  roughly and the trailing ones not at all, since those encode the checksum). ``form`` says which matched.
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
from pigtrace.detect.drain_services import chain_filter
from pigtrace.detect.flow_services import rows_touching

MIN_END = 3
MIN_MATCH = 7
MAX_COUNTED = 12  # shared characters are counted up to this many
DUST_USD = 1.0
WINDOW_DAYS = 7


B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _body(col: str) -> str:
    return f"CASE WHEN {col} LIKE '0x%' THEN substr({col}, 3) ELSE substr({col}, 2) END"


def _tron_hex(col: str) -> str:
    """SQL: the 20 address bytes (40 lowercase hex digits) of a base58check Tron address, else NULL.

    The 25 decoded bytes (0x41, the 20 address bytes, a 4-byte checksum) form a 200-bit number
    N = sum(d_i * 58^(33-i)). Each power is split as a * 2^100 + b, so that A = sum(d_i * a_i) and
    B = sum(d_i * b_i) fit in HUGEINT and N = A * 2^100 + B exactly: N >> 100 = A + (B >> 100) holds the
    0x41 byte and the first 23 hex digits, B mod 2^100 the last 17 digits and the checksum.
    """
    hi, lo = [], []
    for i in range(34):
        power = 58 ** (33 - i)
        digit = f"(instr('{B58_ALPHABET}', substr({col}, {i + 1}, 1)) - 1)::HUGEINT"
        hi.append(f"{digit} * {power >> 100}::HUGEINT")
        lo.append(f"{digit} * {power & ((1 << 100) - 1)}::HUGEINT")
    high, low = " + ".join(hi), " + ".join(lo)
    return (f"CASE WHEN {col} LIKE 'T%' AND length({col}) = 34 "
            f"AND regexp_full_match({col}, '[{B58_ALPHABET}]+') THEN "
            f"right(lpad(lower(hex(({high}) + (({low}) >> 100))), 25, '0'), 23) || "
            f"left(lpad(lower(hex(({low}) & ((1::HUGEINT << 100) - 1))), 25, '0'), 17) END")


def _tron_hex_tail(col: str, digits: int = MIN_END) -> str:
    """SQL: the last ``digits`` hex digits of a Tron address's 20 bytes (``right(_tron_hex(col), digits)``),
    else NULL. They are bits 32 to 32 + 4 * digits of N (below them lies the 4-byte checksum), so N modulo
    2^(32 + 4 * digits) is enough: a BIGINT sum of 34 digits times the powers of 58 reduced by that modulus,
    about a third of the full decoding's cost (the join key on every counterparty of a planted owner)."""
    bits = 32 + 4 * digits
    if 34 * 57 * (1 << bits) >= 1 << 63:
        raise ValueError(f"{digits} hex digits do not fit the BIGINT sum")
    m = 1 << bits
    terms = " + ".join(f"(instr('{B58_ALPHABET}', substr({col}, {i + 1}, 1)) - 1) * {pow(58, 33 - i, m)}"
                       for i in range(34))
    return (f"CASE WHEN {col} LIKE 'T%' AND length({col}) = 34 "
            f"AND regexp_full_match({col}, '[{B58_ALPHABET}]+') THEN "
            f"lpad(lower(hex((({terms}) % {m}) >> 32)), {digits}, '0') END")


def _shared(a: str, b: str, side: str) -> str:
    """SQL: how many leading (side='left') or trailing characters the texts a and b share."""
    return " + ".join(f"({side}({a}, {i}) = {side}({b}, {i}))::INT" for i in range(1, MAX_COUNTED + 1))


def find_poisoning(ctx: AnalysisContext) -> int:
    """Build the poisoning tables; returns the number of look-alike events found."""
    con = ctx.con
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
        SELECT s.*, right(s.lookalike, {MIN_END}) AS k, h.hex AS hl, right(h.hex, {MIN_END}) AS kh
        FROM sides s
        CROSS JOIN LATERAL (SELECT CASE WHEN s.lookalike NOT LIKE '0x%' THEN {_tron_hex('s.lookalike')} END
                            AS hex) h
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
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_poison_hex_keys AS
        SELECT DISTINCT chain, owner, kh FROM pt_poison_planted WHERE kh IS NOT NULL"""
    )
    sides = [("from_address", "to_address", "true", "CREATE OR REPLACE TEMP TABLE pt_poison_real AS"),
             ("to_address", "from_address", "false", "INSERT INTO pt_poison_real")]
    for owner_col, other_col, outgoing, into in sides:
        con.execute(
            f"""{into}
            SELECT t.chain, t.{owner_col} AS owner, t.{other_col} AS other, {outgoing} AS outgoing, t.initiator,
                   t.time, t.tx_hash, t.log_index
            FROM {rows_touching("transfers", owner_col.replace("_address", "_ref"), "pt_poison_keys", "owner")} t
            JOIN pt_poison_keys k ON k.chain = t.chain AND k.owner = t.{owner_col}
                                 AND k.k = right(t.{other_col}, {MIN_END})
            {registry}
            WHERE {where} AND {real} AND t.from_address <> t.to_address""",
            params,
        )
    # Tron: the same on the address bytes (hex), for look-alikes that imitate the hex form. Only owners
    # with a planted hex key are read, both ways in one statement, and each of their counterparties'
    # addresses is decoded once, to the key's last hex digits only.
    if con.execute("SELECT count(*) FROM pt_poison_hex_keys").fetchone()[0] > 0:
        theirs = " UNION ALL ".join(
            f"""SELECT t.chain, t.{owner_col} AS owner, t.{other_col} AS other, {outgoing} AS outgoing,
                       t.initiator, t.time, t.tx_hash, t.log_index
                FROM {rows_touching("transfers", owner_col.replace("_address", "_ref"), "owners", "owner")} t
                SEMI JOIN owners o ON o.chain = t.chain AND o.owner = t.{owner_col}
                {registry}
                WHERE {where} AND {real} AND t.from_address <> t.to_address
                  AND t.{other_col} NOT LIKE '0x%'"""
            for owner_col, other_col, outgoing, _ in sides)
        con.execute(
            f"""INSERT INTO pt_poison_real
            WITH owners AS (SELECT DISTINCT chain, owner FROM pt_poison_hex_keys),
            theirs AS ({theirs}),
            decoded AS (SELECT other, {_tron_hex_tail('other')} AS kh FROM (SELECT DISTINCT other FROM theirs))
            SELECT x.* FROM theirs x
            JOIN decoded d ON d.other = x.other
            SEMI JOIN pt_poison_hex_keys k ON k.chain = x.chain AND k.owner = x.owner AND k.kh = d.kh
            ANTI JOIN pt_poison_real r ON r.chain = x.chain AND r.tx_hash = x.tx_hash
                                     AND r.log_index = x.log_index AND r.outgoing = x.outgoing""",
            params * 2,
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_poison_pairs AS
        SELECT *, right(ho, {MIN_END}) AS kh FROM (
            SELECT chain, owner, other, right(other, {MIN_END}) AS k, min(time) AS first_time,
                   CASE WHEN other NOT LIKE '0x%' THEN {_tron_hex('other')} END AS ho
            FROM pt_poison_real GROUP BY chain, owner, other)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_poison_events AS
        WITH matched AS (
            -- the address as written (0x-hex, Tron base58 after its fixed 'T') ...
            SELECT p.* EXCLUDE (hl, kh), q.other AS imitated, q.first_time AS imitated_since, 'text' AS form,
                   {_body('q.other')} AS imitated_body,
                   {_shared(_body('p.lookalike'), _body('q.other'), 'left')} AS head,
                   {_shared(_body('p.lookalike'), _body('q.other'), 'right')} AS tail
            FROM pt_poison_planted p
            JOIN pt_poison_pairs q ON q.chain = p.chain AND q.owner = p.owner AND q.k = p.k
            WHERE q.other <> p.lookalike AND q.first_time <= p.time
            UNION ALL
            -- ... and a Tron address's 20 bytes in hex, as hex views and EVM tooling show it
            SELECT p.* EXCLUDE (hl, kh), q.other, q.first_time, 'hex', q.ho,
                   {_shared('p.hl', 'q.ho', 'left')}, {_shared('p.hl', 'q.ho', 'right')}
            FROM pt_poison_planted p
            JOIN pt_poison_pairs q ON q.chain = p.chain AND q.owner = p.owner AND q.kh = p.kh
            WHERE q.other <> p.lookalike AND q.first_time <= p.time)
        SELECT * EXCLUDE (imitated_body) FROM matched p
        WHERE head >= {MIN_END} AND tail >= {MIN_END} AND head + tail >= {MIN_MATCH}
          AND NOT (left(imitated_body, head) || right(imitated_body, tail)) SIMILAR TO '0+'
          -- shortly after a real transfer between the owner and the imitated counterparty
          AND EXISTS (SELECT 1 FROM pt_poison_real r WHERE r.chain = p.chain AND r.owner = p.owner
                      AND r.other = p.imitated AND r.time <= p.time
                      AND r.time >= p.time - INTERVAL {WINDOW_DAYS} DAY)
          -- a look-alike the owner already dealt with for real is a counterparty, not a decoy
          AND NOT EXISTS (SELECT 1 FROM pt_poison_real r WHERE r.chain = p.chain AND r.owner = p.owner
                          AND r.other = p.lookalike AND r.time < p.time)
        -- one reading per planted transfer and imitated counterparty: the form sharing the most
        QUALIFY row_number() OVER (PARTITION BY p.chain, p.tx_hash, p.log_index, p.owner, p.lookalike, p.imitated
                                   ORDER BY p.head + p.tail DESC, p.form DESC) = 1"""
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
