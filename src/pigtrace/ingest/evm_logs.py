"""EVM staging contract and log decoding, shared by every EVM source (ethereum-etl files, JSON-RPC).

A source fills three temporary tables with raw records, then calls ``load_staged``:

- ``raw_blocks(number, hash, parent_hash, time, miner, transaction_count, base_fee_text)``
- ``raw_transactions(hash, block_number, transaction_index, time, from_address, to_address, value_text,
  gas, gas_price_text, status, input, nonce)``
- ``raw_logs(tx_hash, log_index, block_number, time, address, data, topic0, topic1, topic2, topic3)``

(hex text lower-cased with ``0x``; decimal numbers as text so nothing is rounded; ``time`` may be NULL).
``load_staged`` decodes Transfer / Approval / ApprovalForAll / Permit2 / ERC-1155 TransferSingle and
Uniswap V2/V3 Swap events in SQL, adds native-value transfers from transactions, fills times and the
initiating ``tx.from``, derives USD values, and merges everything into the warehouse idempotently.
"""

from __future__ import annotations

import duckdb

from pigtrace.chains.registry import assets, usd_price
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import dedupe, merge_staged

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
APPROVAL_FOR_ALL = "0x17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31"
PERMIT2_APPROVAL = "0xda9fa7c1b00402c17d0161b249b1ab8bbec047c5a52207b9c112deffd817036b"
PERMIT2_PERMIT = "0xc6a377bfc4eb120024a8ac08eef205be16b817020812c73223e81d1bdb9708ec"
TRANSFER_SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
SWAP_V2 = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
SWAP_V3 = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
WANTED_TOPICS = [TRANSFER, APPROVAL, APPROVAL_FOR_ALL, PERMIT2_APPROVAL, PERMIT2_PERMIT, TRANSFER_SINGLE, SWAP_V2, SWAP_V3]

SELECTOR_TRANSFER = "0xa9059cbb"
SELECTOR_TRANSFER_FROM = "0x23b872dd"
SELECTOR_APPROVE = "0x095ea7b3"

MAX_UINT256 = 2**256 - 1

RAW_TABLES = {
    "raw_blocks": "number BIGINT, hash VARCHAR, parent_hash VARCHAR, time TIMESTAMP, miner VARCHAR, "
    "transaction_count INTEGER, base_fee_text VARCHAR",
    "raw_transactions": "hash VARCHAR, block_number BIGINT, transaction_index INTEGER, time TIMESTAMP, "
    "from_address VARCHAR, to_address VARCHAR, value_text VARCHAR, gas BIGINT, gas_price_text VARCHAR, "
    "status SMALLINT, input VARCHAR, nonce BIGINT",
    "raw_logs": "tx_hash VARCHAR, log_index INTEGER, block_number BIGINT, time TIMESTAMP, address VARCHAR, "
    "data VARCHAR, topic0 VARCHAR, topic1 VARCHAR, topic2 VARCHAR, topic3 VARCHAR",
}

_MACROS = [
    # the i-th 32-byte word of 0x-prefixed hex data, as 64 hex digits
    "CREATE OR REPLACE TEMP MACRO pt_word(d, i) AS substr(d, 3 + 64 * i, 64)",
    # an unsigned word as UHUGEINT when it fits in 128 bits, else NULL (exact text filled in Python)
    "CREATE OR REPLACE TEMP MACRO pt_uint(w) AS CASE WHEN length(w) = 64 AND substr(w, 1, 32) = "
    "'00000000000000000000000000000000' THEN TRY_CAST('0x' || substr(w, 33, 32) AS UHUGEINT) END",
    "CREATE OR REPLACE TEMP MACRO pt_addr(t) AS '0x' || substr(t, 27, 40)",
    # magnitude of a two's-complement int256 word (V3 swap amounts) and its sign
    "CREATE OR REPLACE TEMP MACRO pt_negative(w) AS substr(w, 1, 1) >= '8'",
]


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, cols in RAW_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")


def _asset_table(con: duckdb.DuckDBPyConnection, chain: str) -> None:
    rows = []
    for a in assets(chain):
        price, source = usd_price(a)
        rows.append((a.address, a.decimals, price, source))
    con.execute("CREATE OR REPLACE TEMP TABLE pt_assets (token VARCHAR, decimals INTEGER, price DOUBLE, source VARCHAR)")
    if rows:
        con.executemany("INSERT INTO pt_assets VALUES (?, ?, ?, ?)", rows)


def _add_amounts(con: duckdb.DuckDBPyConnection, table: str, amount_expr: str) -> None:
    """Add ``amount`` (from ``amount_expr`` over the 32-byte ``word``) and ``amount_text`` to a staged table."""
    con.execute(f"ALTER TABLE {table} ADD COLUMN amount UHUGEINT")
    con.execute(f"ALTER TABLE {table} ADD COLUMN amount_text VARCHAR")
    con.execute(f"UPDATE {table} SET amount = {amount_expr}")
    _fill_big_amounts(con, table, "word")


def _fill_big_amounts(con: duckdb.DuckDBPyConnection, table: str, word_col: str) -> None:
    """Exact decimal text for the amounts that do not fit in 128 bits (a handful of rows)."""
    words = con.execute(
        f"SELECT DISTINCT {word_col} FROM {table} WHERE amount IS NULL AND {word_col} IS NOT NULL "
        f"AND length({word_col}) = 64"
    ).fetchall()
    if not words:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE pt_big (word VARCHAR, text VARCHAR)")
    con.executemany("INSERT INTO pt_big VALUES (?, ?)", [(w, str(int(w, 16))) for (w,) in words])
    con.execute(f"UPDATE {table} SET amount_text = b.text FROM pt_big b WHERE {table}.{word_col} = b.word AND {table}.amount IS NULL")


def decode_logs(con: duckdb.DuckDBPyConnection, chain: str) -> None:
    """raw_logs -> staged_transfers / staged_approvals / staged_swaps (temporary tables)."""
    for m in _MACROS:
        con.execute(m)
    q = lambda s: s.replace("$CHAIN", "?")  # noqa: E731
    con.execute(
        q(f"""CREATE OR REPLACE TEMP TABLE staged_token_transfers AS
        SELECT $CHAIN AS chain, tx_hash, log_index, block_number, time, address AS token,
               CASE WHEN topic0 = '{TRANSFER_SINGLE}' THEN 'erc1155'
                    WHEN topic3 IS NOT NULL THEN 'erc721' ELSE 'erc20' END AS kind,
               CASE WHEN topic0 = '{TRANSFER_SINGLE}' THEN pt_addr(topic2) ELSE pt_addr(topic1) END AS from_address,
               CASE WHEN topic0 = '{TRANSFER_SINGLE}' THEN pt_addr(topic3) ELSE pt_addr(topic2) END AS to_address,
               CASE WHEN topic0 = '{TRANSFER_SINGLE}' THEN pt_word(data, 1)
                    WHEN topic3 IS NOT NULL THEN NULL ELSE pt_word(data, 0) END AS word,
               CASE WHEN topic0 = '{TRANSFER_SINGLE}' THEN pt_word(data, 0)
                    WHEN topic3 IS NOT NULL THEN substr(topic3, 3) END AS token_id_word
        FROM raw_logs
        WHERE (topic0 = '{TRANSFER}' AND topic2 IS NOT NULL AND (topic3 IS NOT NULL OR length(data) = 66))
           OR (topic0 = '{TRANSFER_SINGLE}' AND topic3 IS NOT NULL AND length(data) >= 130)"""),
        [chain],
    )
    _add_amounts(con, "staged_token_transfers", "CASE WHEN kind = 'erc721' THEN 1 ELSE pt_uint(word) END")

    con.execute(
        q(f"""CREATE OR REPLACE TEMP TABLE staged_approvals AS
        SELECT $CHAIN AS chain, tx_hash, log_index, block_number, time,
               CASE WHEN topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') THEN pt_addr(topic2) ELSE address END AS token,
               CASE WHEN topic0 = '{APPROVAL_FOR_ALL}' THEN 'approval_for_all'
                    WHEN topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') THEN 'permit2'
                    WHEN topic3 IS NOT NULL THEN 'erc721' ELSE 'erc20' END AS kind,
               pt_addr(topic1) AS owner,
               CASE WHEN topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') THEN pt_addr(topic3) ELSE pt_addr(topic2) END AS spender,
               CASE WHEN topic0 = '{APPROVAL}' AND topic3 IS NULL THEN pt_word(data, 0)
                    WHEN topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') THEN pt_word(data, 0) END AS word,
               CASE WHEN topic0 = '{APPROVAL_FOR_ALL}' THEN pt_uint(pt_word(data, 0)) <> 0 END AS approved,
               CASE WHEN topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') THEN TRY_CAST(pt_uint(pt_word(data, 1)) AS BIGINT) END AS expiration,
               address AS contract,
               CASE WHEN topic3 IS NOT NULL AND topic0 = '{APPROVAL}' THEN substr(topic3, 3) END AS token_id_word
        FROM raw_logs
        WHERE (topic0 IN ('{APPROVAL}', '{APPROVAL_FOR_ALL}') AND topic2 IS NOT NULL
               AND (topic3 IS NOT NULL OR length(data) >= 66))
           OR (topic0 IN ('{PERMIT2_APPROVAL}', '{PERMIT2_PERMIT}') AND topic3 IS NOT NULL AND length(data) >= 130)"""),
        [chain],
    )
    _add_amounts(con, "staged_approvals", "pt_uint(word)")

    con.execute(
        q(f"""CREATE OR REPLACE TEMP TABLE staged_swap_events AS
        SELECT $CHAIN AS chain, tx_hash, log_index, block_number, time, address AS pool,
               CASE WHEN topic0 = '{SWAP_V2}' THEN 'uniswap_v2' ELSE 'uniswap_v3' END AS protocol,
               pt_addr(topic1) AS sender, pt_addr(topic2) AS recipient
        FROM raw_logs
        WHERE topic0 IN ('{SWAP_V2}', '{SWAP_V3}') AND topic2 IS NOT NULL"""),
        [chain],
    )


def _stage_native(con: duckdb.DuckDBPyConnection, chain: str) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE staged_native AS
        SELECT ? AS chain, hash AS tx_hash, -1 AS log_index, block_number, time, 'native' AS token, 'native' AS kind,
               from_address, to_address, TRY_CAST(value_text AS UHUGEINT) AS amount,
               CASE WHEN TRY_CAST(value_text AS UHUGEINT) IS NULL THEN value_text END AS amount_text,
               NULL::VARCHAR AS token_id
        FROM raw_transactions
        WHERE value_text IS NOT NULL AND value_text NOT IN ('0', '') AND coalesce(status, 1) <> 0
          AND to_address IS NOT NULL""",
        [chain],
    )


def load_staged(con: duckdb.DuckDBPyConnection, chain: str, progress: Progress = quiet) -> dict[str, int]:
    """Decode the raw_* tables and merge them into the warehouse. Call inside ``atomic``. ``progress``
    hears "decoding logs" and "merging <table>" as each starts."""
    # one row per key from here on: the joins below never multiply rows, so every staged set is unique
    con.execute("CREATE OR REPLACE TEMP TABLE pt_chain AS SELECT ?::VARCHAR AS chain", [chain])  # no chain name in SQL text
    progress("decoding logs")
    dedupe(con, "raw_blocks", ["number"])
    dedupe(con, "raw_transactions", ["hash"])
    dedupe(con, "raw_logs", ["tx_hash", "log_index"])
    decode_logs(con, chain)
    _stage_native(con, chain)
    _asset_table(con, chain)

    # time of each block and tx.from of each transaction: from this batch, else from the warehouse
    # (looked up only for the blocks and hashes this batch lacks, so the cost does not grow with the warehouse)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_block_time AS
        SELECT number, any_value(time) AS time FROM (
            SELECT number, time FROM raw_blocks WHERE time IS NOT NULL
            UNION ALL SELECT block_number, time FROM raw_transactions WHERE time IS NOT NULL
            UNION ALL SELECT block_number, time FROM raw_logs WHERE time IS NOT NULL)
        GROUP BY number"""
    )
    con.execute(
        """INSERT INTO pt_block_time SELECT number, any_value(time) FROM blocks
        WHERE chain = ? AND time IS NOT NULL AND number IN (
            SELECT block_number FROM raw_logs UNION SELECT block_number FROM raw_transactions
            EXCEPT SELECT number FROM pt_block_time)
        GROUP BY number""",
        [chain],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pt_tx_from AS SELECT hash, from_address FROM raw_transactions"
    )
    con.execute(
        """INSERT INTO pt_tx_from SELECT hash, any_value(from_address) FROM transactions
        WHERE chain = ? AND hash IN (SELECT tx_hash FROM raw_logs EXCEPT SELECT hash FROM pt_tx_from)
        GROUP BY hash""",
        [chain],
    )

    added: dict[str, int] = {}
    progress("merging blocks")
    added["blocks"] = merge_staged(
        con,
        "blocks",
        """(SELECT c.chain, number, hash, parent_hash, time, miner, transaction_count,
                    TRY_CAST(base_fee_text AS UHUGEINT) AS base_fee_per_gas FROM raw_blocks CROSS JOIN pt_chain c)""",
        unique=True,
    )
    progress("merging transactions")
    added["transactions"] = merge_staged(
        con,
        "transactions",
        """(SELECT c.chain, t.hash, t.block_number, t.transaction_index,
                    coalesce(t.time, bt.time) AS time, t.from_address, t.to_address,
                    TRY_CAST(t.value_text AS UHUGEINT) AS value,
                    CASE WHEN TRY_CAST(t.value_text AS UHUGEINT) IS NULL THEN t.value_text END AS value_text,
                    t.gas, TRY_CAST(t.gas_price_text AS UHUGEINT) AS gas_price, t.status,
                    CASE WHEN length(t.input) >= 10 AND t.to_address IS NOT NULL THEN substr(t.input, 1, 10) END AS method_id, t.nonce
             FROM raw_transactions t CROSS JOIN pt_chain c LEFT JOIN pt_block_time bt ON bt.number = t.block_number)""",
        unique=True,
    )
    progress("merging transfers")
    added["transfers"] = merge_staged(
        con,
        "transfers",
        """(SELECT s.chain, s.tx_hash, s.log_index, s.block_number, coalesce(s.time, bt.time) AS time, s.token, s.kind,
                   s.from_address, s.to_address, s.amount, s.amount_text, s.token_id, f.from_address AS initiator,
                   CASE WHEN s.kind IN ('erc20', 'native') AND a.price IS NOT NULL AND s.amount IS NOT NULL
                        THEN s.amount::DOUBLE / pow(10, a.decimals) * a.price END AS usd,
                   CASE WHEN s.kind IN ('erc20', 'native') AND a.price IS NOT NULL THEN a.source END AS usd_source
            FROM (SELECT chain, tx_hash, log_index, block_number, time, token, kind, from_address, to_address,
                         amount, amount_text,
                         CASE WHEN token_id_word IS NOT NULL THEN
                              coalesce(pt_uint(token_id_word)::VARCHAR, token_id_word) END AS token_id
                  FROM staged_token_transfers
                  UNION ALL SELECT * FROM staged_native) s
            LEFT JOIN pt_block_time bt ON bt.number = s.block_number
            LEFT JOIN pt_tx_from f ON f.hash = s.tx_hash
            LEFT JOIN pt_assets a ON a.token = s.token)""",
        unique=True,
    )
    progress("merging approvals")
    added["approvals"] = merge_staged(
        con,
        "approvals",
        f"""(SELECT s.chain, s.tx_hash, s.log_index, s.block_number, coalesce(s.time, bt.time) AS time, s.token, s.kind,
                    s.owner, s.spender,
                    CASE WHEN s.kind = 'erc721' THEN NULL ELSE s.amount END AS amount,
                    CASE WHEN s.kind = 'erc721' THEN coalesce(pt_uint(s.token_id_word)::VARCHAR, s.token_id_word)
                         ELSE s.amount_text END AS amount_text,
                    s.amount_text = '{MAX_UINT256}' AS unlimited,
                    coalesce(s.approved, s.kind IN ('erc20', 'permit2') AND NOT (s.amount IS NOT NULL AND s.amount = 0),
                             s.kind = 'erc721' AND s.spender <> '0x0000000000000000000000000000000000000000') AS approved,
                    s.expiration, s.contract, f.from_address AS initiator
             FROM staged_approvals s
             LEFT JOIN pt_block_time bt ON bt.number = s.block_number
             LEFT JOIN pt_tx_from f ON f.hash = s.tx_hash)""",
        unique=True,
    )
    # Each swap's legs are the transfers into and out of its pool in the same transaction.
    progress("merging swaps")
    added["swaps"] = merge_staged(
        con,
        "swaps",
        """(SELECT w.chain, w.tx_hash, w.log_index, w.block_number, coalesce(w.time, bt.time) AS time, w.pool, w.protocol,
                   w.sender, w.recipient, f.from_address AS initiator,
                   i.token AS token_in, i.amount AS amount_in, o.token AS token_out, o.amount AS amount_out
            FROM staged_swap_events w
            LEFT JOIN pt_block_time bt ON bt.number = w.block_number
            LEFT JOIN pt_tx_from f ON f.hash = w.tx_hash
            LEFT JOIN LATERAL (SELECT token, amount FROM staged_token_transfers t
                               WHERE t.tx_hash = w.tx_hash AND t.to_address = w.pool AND t.log_index < w.log_index
                               ORDER BY t.log_index DESC LIMIT 1) i ON true
            LEFT JOIN LATERAL (SELECT token, amount FROM staged_token_transfers t
                               WHERE t.tx_hash = w.tx_hash AND t.from_address = w.pool AND t.log_index < w.log_index
                               ORDER BY t.log_index DESC LIMIT 1) o ON true)""",
        unique=True,
    )
    return added

