"""Maps one fetched chunk of raw JSON-RPC records onto the EVM staging tables of ``evm_logs``.

The node's JSON objects become Arrow tables (only the fields the warehouse keeps), every field is checked
with Arrow compute against its JSON-RPC form (32-byte hashes, 20-byte addresses, hex quantities, hex
data), and SQL fills ``raw_blocks`` / ``raw_transactions`` / ``raw_logs``: lower-case hex, hex quantities turned into
exact decimal text, each transaction's status from its receipt. Logs and receipts whose block hash is not
the hash of the block fetched alongside them mean the chain reorganised during the fetch (``ChainMoved``).
Decoding the logs is left to ``evm_logs.load_staged``.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pigtrace.errors import IngestError
from pigtrace.ingest.evm_logs import WANTED_TOPICS
from pigtrace.ingest.rpc_client import RpcUnavailable
from pigtrace.ingest.rpc_fetch import Chunk

# form -> (pattern, how an error message names it)
_FORMS = {
    "hash": ("^0x[0-9a-fA-F]{64}$", "a 32-byte hex hash"),
    "address": ("^0x[0-9a-fA-F]{40}$", "a 20-byte hex address"),
    "quantity": ("^0x[0-9a-fA-F]{1,64}$", "a hex quantity"),
    "number": ("^0x[0-9a-fA-F]{1,15}$", "a hex number below 2**60"),  # block numbers, times, gas, nonces
    "index": ("^0x[0-9a-fA-F]{1,7}$", "a hex index below 2**28"),  # positions in a block
    "data": ("^0x(?:[0-9a-fA-F]{2})*$", "hex data"),
}

# JSON-RPC field -> expected form ("?" = may be null)
BLOCK_FIELDS = {"number": "number", "hash": "hash", "parentHash": "hash", "timestamp": "number",
                "miner": "address?", "baseFeePerGas": "quantity?"}
TX_FIELDS = {"hash": "hash", "blockNumber": "number", "transactionIndex": "index", "from": "address",
             "to": "address?", "value": "quantity", "gas": "number", "gasPrice": "quantity?", "input": "data",
             "nonce": "number"}
RECEIPT_FIELDS = {"transactionHash": "hash", "blockHash": "hash", "status": "quantity?"}
LOG_FIELDS = {"transactionHash": "hash", "logIndex": "index", "blockNumber": "number", "blockHash": "hash",
              "address": "address", "data": "data"}

# how each staging table names a record in an error message
_ITEM = {"rpc_blocks": ("block", "number"), "rpc_txs": ("transaction", "hash"),
         "rpc_receipts": ("receipt of", "transactionHash"), "rpc_logs": ("log of", "transactionHash")}


class ChainMoved(IngestError):
    """Blocks, receipts and logs of one chunk disagree on block hashes: a reorganisation during the fetch."""


def _schema(fields: dict[str, str], extra: list[pa.Field] | None = None) -> pa.Schema:
    return pa.schema([pa.field(name, pa.string()) for name in fields] + (extra or []))


_SCHEMAS = {
    "rpc_blocks": _schema(BLOCK_FIELDS),
    "rpc_txs": _schema(TX_FIELDS),
    "rpc_receipts": _schema(RECEIPT_FIELDS),
    "rpc_logs": _schema(LOG_FIELDS, [pa.field("topics", pa.list_(pa.string())), pa.field("removed", pa.bool_())]),
}
_FIELDS = {"rpc_blocks": BLOCK_FIELDS, "rpc_txs": TX_FIELDS, "rpc_receipts": RECEIPT_FIELDS, "rpc_logs": LOG_FIELDS}


def stage_chunk(con: duckdb.DuckDBPyConnection, chunk: Chunk, shown_url: str) -> None:
    """Fill the (already created) raw_* tables from ``chunk``."""
    records = {
        "rpc_blocks": chunk.blocks,
        "rpc_txs": [t for b in chunk.blocks for t in b["transactions"]],
        "rpc_receipts": chunk.receipts,
        "rpc_logs": chunk.logs,
    }
    tables = {}
    for name, rows in records.items():
        if rows and not isinstance(rows[0], dict):
            raise RpcUnavailable(f"{shown_url}: blocks {chunk.first}-{chunk.last}: the node answered {_ITEM[name][0]} "
                                 "records that are not JSON objects (transaction hashes instead of full transactions?)")
        try:
            table = pa.Table.from_pylist(rows, schema=_SCHEMAS[name])
        except (pa.ArrowException, TypeError, ValueError, AttributeError) as e:
            raise RpcUnavailable(f"{shown_url}: blocks {chunk.first}-{chunk.last}: unreadable {_ITEM[name][0]} "
                                 f"records ({str(e).splitlines()[0]})") from None
        tables[name] = table
    _check_forms(tables, chunk, shown_url)
    for name, table in tables.items():
        con.register(name, table)
    try:
        _check_range(con, chunk, shown_url)
        _check_same_chain(con, chunk, shown_url)
        _fill_raw_tables(con)
    finally:
        for name in records:
            try:
                con.unregister(name)
            except duckdb.Error:  # the transaction already failed; the caller's rollback drops the views
                pass


def _check_forms(tables: dict[str, pa.Table], chunk: Chunk, shown_url: str) -> None:
    """Every field in its JSON-RPC form, checked column by column with Arrow compute."""
    for name, table in tables.items():
        if table.num_rows == 0:
            continue
        what, key = _ITEM[name]
        checks = [(field, table[field], form) for field, form in _FIELDS[name].items()]
        if name == "rpc_logs":
            topics = table["topics"]
            empty = pc.fill_null(pc.equal(pc.list_value_length(topics), 0), True)
            if pc.any(empty).as_py():
                _malformed(shown_url, chunk, what, table[key][pc.index(empty, True).as_py()], "topics", None, "hash")
            checks.append(("topics", pc.list_flatten(topics), "hash"))
        for field, column, form in checks:
            ok = pc.match_substring_regex(column, _FORMS[form.rstrip("?")][0])
            ok = pc.fill_null(ok, form.endswith("?"))
            if not pc.all(ok).as_py():
                i = pc.index(ok, False).as_py()
                row = pc.list_parent_indices(table["topics"])[i].as_py() if field == "topics" else i
                _malformed(shown_url, chunk, what, table[key][row], field, column[i].as_py(), form.rstrip("?"))


def _malformed(shown_url: str, chunk: Chunk, what: str, item, field: str, value, form: str) -> None:
    item = item.as_py() if isinstance(item, pa.Scalar) else item
    raise RpcUnavailable(
        f"{shown_url}: blocks {chunk.first}-{chunk.last}: {what} {item}: field {field} is {value!r}, "
        f"expected {_FORMS[form][1]}; the node answers data pigtrace cannot read"
    )


def _check_range(con: duckdb.DuckDBPyConnection, chunk: Chunk, shown_url: str) -> None:
    outside = con.execute(
        "SELECT CAST(blockNumber AS BIGINT) FROM rpc_logs WHERE CAST(blockNumber AS BIGINT) NOT BETWEEN ? AND ? LIMIT 1",
        [chunk.first, chunk.last],
    ).fetchone()
    if outside:
        raise RpcUnavailable(f"{shown_url}: eth_getLogs for blocks {chunk.first}-{chunk.last} answered a log of block "
                             f"{outside[0]}; the node ignores the requested range")


def _check_same_chain(con: duckdb.DuckDBPyConnection, chunk: Chunk, shown_url: str) -> None:
    moved = con.execute(
        """SELECT count(*) FROM (
             SELECT lower(l.blockHash) AS h FROM rpc_logs l
             UNION ALL SELECT lower(r.blockHash) FROM rpc_receipts r) x
           WHERE h NOT IN (SELECT lower(hash) FROM rpc_blocks)"""
    ).fetchone()[0]
    broken = con.execute(
        """SELECT count(*) FROM rpc_blocks c JOIN rpc_blocks p
             ON CAST(c.number AS BIGINT) = CAST(p.number AS BIGINT) + 1
           WHERE lower(c.parentHash) <> lower(p.hash)"""
    ).fetchone()[0]
    if moved or broken:
        raise ChainMoved(f"{shown_url}: blocks {chunk.first}-{chunk.last} changed while being read (a chain "
                         "reorganisation near the head); read them again or stay further from the head")


def _fill_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """INSERT INTO raw_blocks
           SELECT CAST(b.number AS BIGINT), lower(b.hash), lower(b.parentHash),
                  make_timestamp(CAST(b.timestamp AS BIGINT) * 1000000), lower(b.miner), coalesce(c.n, 0),
                  CAST(TRY_CAST(b.baseFeePerGas AS UHUGEINT) AS VARCHAR)
           FROM rpc_blocks b
           LEFT JOIN (SELECT CAST(blockNumber AS BIGINT) AS number, count(*) AS n FROM rpc_txs GROUP BY 1) c
             ON c.number = CAST(b.number AS BIGINT)"""
    )
    con.execute(
        """INSERT INTO raw_transactions
           SELECT lower(t.hash), CAST(t.blockNumber AS BIGINT), CAST(t.transactionIndex AS INTEGER), b.time,
                  lower(t."from"), lower(t."to"), CAST(TRY_CAST(t.value AS UHUGEINT) AS VARCHAR),
                  TRY_CAST(t.gas AS BIGINT), CAST(TRY_CAST(t.gasPrice AS UHUGEINT) AS VARCHAR),
                  TRY_CAST(r.status AS SMALLINT), lower(t.input), TRY_CAST(t.nonce AS BIGINT)
           FROM rpc_txs t
           LEFT JOIN raw_blocks b ON b.number = CAST(t.blockNumber AS BIGINT)
           LEFT JOIN (SELECT lower(transactionHash) AS hash, any_value(status) AS status
                      FROM rpc_receipts GROUP BY 1) r ON r.hash = lower(t.hash)"""
    )
    _exact_big_values(con)
    topics = ", ".join(f"'{t}'" for t in WANTED_TOPICS)
    con.execute(
        f"""INSERT INTO raw_logs
            SELECT lower(l.transactionHash), CAST(l.logIndex AS INTEGER), CAST(l.blockNumber AS BIGINT), b.time,
                   lower(l.address), lower(l.data), lower(l.topics[1]), lower(l.topics[2]), lower(l.topics[3]),
                   lower(l.topics[4])
            FROM rpc_logs l LEFT JOIN raw_blocks b ON b.number = CAST(l.blockNumber AS BIGINT)
            WHERE NOT coalesce(l.removed, false) AND lower(l.topics[1]) IN ({topics})"""
    )


def _exact_big_values(con: duckdb.DuckDBPyConnection) -> None:
    """Native values wider than 128 bits (never on a real chain, possible on a test node): exact in Python."""
    big = con.execute(
        "SELECT DISTINCT lower(hash), value FROM rpc_txs WHERE TRY_CAST(value AS UHUGEINT) IS NULL"
    ).fetchall()
    if big:
        con.executemany(
            "UPDATE raw_transactions SET value_text = ? WHERE hash = ?", [(str(int(v, 16)), h) for h, v in big]
        )
