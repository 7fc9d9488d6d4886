"""`pigtrace ingest trongrid PATH`: TronGrid v1 pages into the warehouse, idempotent and all or nothing.

Flow: ``trongrid_read`` finds the items (TRC-20 transfer and Approval rows, account transactions, internal
transactions), ``trongrid_map`` checks them and turns them into columns, this module stages the columns
in DuckDB, gives every row its identity and merges it; ``tron_swaps`` then derives swaps.

Identity. A per-account crawl lists a transfer under its sender and again under its receiver, and
TronGrid's TRC-20 rows carry no event index, so a transfer is identified by what it is: transaction id,
Transfer or Approval, token, from, to, value, and its occurrence number among identical rows of one
listing (a transaction moving the same amount twice between the same two accounts lists it twice).
``log_index`` is a 30-bit digest of that identity (plus 2**30, apart from EVM event positions), the same
whichever file or run brings the row. TRX moved by a transaction itself has ``log_index`` -1, an
internal TRX transfer the negated digest of its ``internal_tx_id`` (minus 2).

Signers and blocks. A row with ``detail``, or an account-transactions item, says who signed the
transaction (``owner_address``) and in which block it is. Bare TRC-20 rows say neither: their
``initiator`` and ``block_number`` stay NULL until the transaction itself is ingested (in the same run or
a later one), when they are filled from it. The transaction's ``to_address`` is the contract it called
(a router, a settlement contract, the token itself for a plain transfer), never assumed to be the token.

USD values come from the chain registry's prices (``chains.registry``): stablecoins at par, TRX and WTRX at
the reference price. Approvals carry no USD value.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pigtrace.chains.prices import revalue
from pigtrace.chains.registry import NATIVE, assets, usd_price
from pigtrace.errors import IngestError
from pigtrace.ingest.tron_swaps import recognise_swaps
from pigtrace.ingest.trongrid_map import Columns, map_items
from pigtrace.ingest.trongrid_read import read_items
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import atomic, insert_rows, log_ingest, merge_staged

CHAIN = "tron"
MAX_UINT256 = str(2**256 - 1)
_TYPES = {"listing": pa.int64(), "seq": pa.int64(), "ms": pa.int64(), "block_number": pa.int64(),
          "status": pa.int16(), "gas": pa.int64()}


def ingest_trongrid(con: duckdb.DuckDBPyConnection, path: str | Path, progress: Progress = quiet) -> dict[str, int]:
    """Ingest every TronGrid page under ``path``; returns rows added per table (and signers filled in).
    ``progress`` hears "reading <path>", "merging <table>" and "recognising swaps"."""
    source = Path(path)
    if not source.exists():
        raise IngestError(f"{source}: no such file or folder")
    progress(f"reading {source}")
    cols = map_items(read_items(source))
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    _stage(con, cols)
    try:
        with atomic(con):
            added = _merge(con, cols, progress)
            revalue(con)  # transfers on days with an imported price take it
            log_ingest(con, "trongrid", str(source), CHAIN, started, added)
    finally:
        for name in ("pt_tg_trc20", "pt_tg_tx", "pt_tg_native", "pt_tg_assets"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return added


def _stage(con: duckdb.DuckDBPyConnection, cols: Columns) -> None:
    for name, table in (("pt_tg_trc20", "trc20"), ("pt_tg_tx", "transactions"), ("pt_tg_native", "native")):
        data = cols.data[table]
        _temp(con, name, pa.table({c: pa.array(v, type=_TYPES.get(c, pa.string())) for c, v in data.items()}))
    prices = []
    for asset in assets(CHAIN):
        price, source = usd_price(asset)
        prices.append({"token": asset.address, "decimals": asset.decimals, "price": price, "source": source})
    _temp(con, "pt_tg_assets", pa.Table.from_pylist(prices, schema=pa.schema(
        [("token", pa.string()), ("decimals", pa.int32()), ("price", pa.float64()), ("source", pa.string())])))


def _temp(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    pt_tg_arrow = table  # noqa: F841 - read by DuckDB's scan of Python variables
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM pt_tg_arrow")


_AMOUNT = "TRY_CAST({v} AS UHUGEINT) AS amount, CASE WHEN TRY_CAST({v} AS UHUGEINT) IS NULL THEN {v} END AS amount_text"
_USD = """CASE WHEN a.price IS NOT NULL AND TRY_CAST(s.{v} AS UHUGEINT) IS NOT NULL
               THEN TRY_CAST(s.{v} AS UHUGEINT)::DOUBLE / pow(10, a.decimals) * a.price END AS usd,
          CASE WHEN a.price IS NOT NULL THEN a.source END AS usd_source"""
# one row per identity: repeats within a listing are numbered, the same numbered row from another
# listing (the other account's crawl, another file, another run) is the same transfer
_IDENTITY = """(
    SELECT type, tx_hash, token, from_address, to_address, value, occurrence, min(ms) AS ms,
           max(block_number) AS block_number, max(signer) AS signer,
           (md5_number(concat_ws('|', type, token, from_address, to_address, value, occurrence)) % 1073741824)::INTEGER
               + 1073741824 AS log_index
    FROM (SELECT *, row_number() OVER (PARTITION BY listing, type, tx_hash, token, from_address, to_address, value
                                       ORDER BY seq) - 1 AS occurrence
          FROM pt_tg_trc20)
    GROUP BY ALL)"""


def _merge(con: duckdb.DuckDBPyConnection, cols: Columns, progress: Progress) -> dict[str, int]:
    added: dict[str, int] = {}
    progress("merging transactions")
    added["transactions"] = merge_staged(con, "transactions", f"""(
        SELECT '{CHAIN}' AS chain, hash, block_number, NULL::INTEGER AS transaction_index, epoch_ms(ms) AS time,
               from_address, to_address, value::UHUGEINT AS value, NULL AS value_text, gas, NULL AS gas_price,
               status, method_id, NULL::BIGINT AS nonce
        FROM pt_tg_tx QUALIFY row_number() OVER (PARTITION BY hash ORDER BY block_number NULLS LAST, status) = 1)""",
        unique=True)
    # stored rows of these transactions get their signer and block before the merge compares keys
    # (it compares a batch with stored rows of the batch's block range)
    filled = _fill_from_transactions(con)
    progress("merging transfers")
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_tg_ident AS SELECT * FROM {_IDENTITY}")
    added["transfers"] = merge_staged(con, "transfers", f"""(
        SELECT '{CHAIN}' AS chain, s.tx_hash, s.log_index, s.block_number, epoch_ms(s.ms) AS time, s.token,
               s.kind, s.from_address, s.to_address, {_AMOUNT.format(v='s.value')}, NULL AS token_id,
               s.initiator, {_USD.format(v='value')}
        FROM (SELECT tx_hash, log_index, block_number, ms, token, 'trc20' AS kind, from_address, to_address, value,
                     signer AS initiator
              FROM pt_tg_ident WHERE type = 'Transfer'
              UNION ALL
              SELECT tx_hash, CASE WHEN internal_id = '' THEN -1
                                   ELSE -2 - (md5_number(internal_id) % 1073741824)::INTEGER END,
                     max(block_number), min(ms), '{NATIVE}', 'native', any_value(from_address),
                     any_value(to_address), any_value(amount), max(initiator)
              FROM pt_tg_native GROUP BY tx_hash, internal_id) s
        LEFT JOIN pt_tg_assets a ON a.token = s.token)""", unique=True)
    progress("merging approvals")
    added["approvals"] = merge_staged(con, "approvals", f"""(
        SELECT '{CHAIN}' AS chain, tx_hash, log_index, block_number, epoch_ms(ms) AS time, token, 'trc20' AS kind,
               from_address AS owner, to_address AS spender, {_AMOUNT.format(v='value')},
               value = '{MAX_UINT256}' AS unlimited, value <> '0' AS approved, NULL::BIGINT AS expiration,
               NULL AS contract, signer AS initiator
        FROM pt_tg_ident WHERE type = 'Approval')""", unique=True)
    con.execute("DROP TABLE IF EXISTS pt_tg_ident")
    # rows of this batch whose transaction was stored by an earlier run
    filled += _fill_from_transactions(con)
    added["tokens"] = insert_rows(con, "tokens", [{"chain": CHAIN, **t, "total_supply": None}
                                                  for t in cols.tokens.values()])
    progress("recognising swaps")
    added["swaps"], removed = recognise_swaps(con, CHAIN)
    added["signers_filled"] = filled
    if removed:
        added["swaps_replaced"] = removed
    return added


def _fill_from_transactions(con: duckdb.DuckDBPyConnection) -> int:
    """Give Tron transfers and approvals that lack them the signer and block of their stored transaction;
    returns the rows completed."""
    done = 0
    for table in ("ledger_transfers", "ledger_approvals"):
        done += con.execute(
            f"""UPDATE {table} AS t SET initiator_ref = coalesce(t.initiator_ref, x.from_ref),
                                       block_number = coalesce(t.block_number, x.block_number)
                FROM ledger_transactions x
                WHERE x.chain = '{CHAIN}' AND t.chain = '{CHAIN}' AND x.tx_ref = t.tx_ref
                  AND (t.initiator_ref IS NULL AND x.from_ref IS NOT NULL
                       OR t.block_number IS NULL AND x.block_number IS NOT NULL)"""
        ).fetchall()[0][0]
    return int(done)
