"""`pigtrace ingest rpc URL --from-block A --to-block B`: any EVM JSON-RPC node into the warehouse.

The job only orchestrates: it checks the node (chain id, head), then walks the range in chunks of
``batch_size`` blocks. For each chunk ``rpc_fetch`` asks the node (batched requests, receipts, eth_getLogs
with range halving), ``rpc_stage`` maps the answers onto the EVM staging tables, ``evm_logs.load_staged``
decodes and merges them, and ``rpc_tokens`` adds the metadata of tokens seen for the first time; the
chunk's rows and its checkpoint (``rpc_checkpoint``) commit in one transaction. While one chunk is
written, the next is fetched in a background thread. A failure leaves the failed chunk unwritten and the
chunks before it stored; running the same command again resumes at the first block not committed.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, wait
from datetime import datetime, timezone
from typing import Callable

import duckdb

from pigtrace.chains.prices import revalue
from pigtrace.chains.registry import require_chain
from pigtrace.errors import IngestError, PigtraceError
from pigtrace.ingest import rpc_checkpoint
from pigtrace.ingest.evm_logs import create_raw_tables, load_staged
from pigtrace.ingest.rpc_client import RpcClient, RpcError
from pigtrace.ingest.rpc_fetch import Chunk, ChunkFetcher
from pigtrace.ingest.rpc_stage import ChainMoved, stage_chunk
from pigtrace.ingest.rpc_tokens import fetch_metadata, merge_tokens, new_token_addresses
from pigtrace.store.warehouse import atomic, log_ingest

REFETCHES = 3  # reads of a chunk that keeps changing under us (reorgs at the head) before giving up


def ingest_rpc(
    con: duckdb.DuckDBPyConnection,
    url: str,
    from_block: int,
    to_block: int,
    chain: str = "ethereum",
    batch_size: int = 50,
    *,
    client: RpcClient | None = None,
    progress: Callable[[int, dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Ingest blocks ``from_block``..``to_block`` (inclusive) from a JSON-RPC node; returns rows added per table.

    Each chunk of ``batch_size`` blocks commits on its own with its checkpoint; see the module docstring.
    ``progress(last_block_committed, rows_added_so_far)`` is called after each chunk; ``client`` replaces
    the default transport (its retries and timeouts).
    """
    _check_arguments(from_block, to_block, batch_size)
    expected_id = require_chain(chain, "evm", "ingest rpc reads EVM JSON-RPC nodes").chain_id
    client = client or RpcClient(url)
    meta = None
    span = f"blocks {from_block}-{to_block}"
    try:
        _check_node(client, chain, expected_id, to_block, span)
        start = rpc_checkpoint.resume_block(con, client.shown, chain, from_block, to_block)
        fetcher = ChunkFetcher(client)
        meta = client.twin()  # token metadata is asked while the fetcher's session reads the next chunk
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        added = {t: 0 for t in ("blocks", "transactions", "transfers", "approvals", "swaps", "tokens")}
        chunks = [(a, min(a + batch_size - 1, to_block)) for a in range(start, to_block + 1, batch_size)]
        ahead = _in_background(fetcher.fetch, *chunks[0])
        for i, (first, last) in enumerate(chunks):
            try:
                chunk = ahead.result()
                # the node answers the next chunk while this one is decoded and written
                ahead = _in_background(fetcher.fetch, *chunks[i + 1]) if i + 1 < len(chunks) else None
                rows = _write_chunk(con, client, meta, fetcher, chain, chunk, ahead, from_block, to_block)
            except PigtraceError as e:
                raise IngestError(f"{e} ({_where_it_stopped(from_block, to_block, first, last)})") from None
            for table, n in rows.items():
                added[table] = added.get(table, 0) + n
            if progress:
                progress(last, added)
        with atomic(con):
            where = f"{client.shown} {span}" + (f" (resumed at block {start})" if start != from_block else "")
            revalue(con)  # transfers on days with an imported price take it
            log_ingest(con, "rpc", where, chain, started, added)
        return added
    finally:
        client.close()
        if meta is not None:
            meta.close()


def _write_chunk(con, client: RpcClient, meta: RpcClient, fetcher: ChunkFetcher, chain: str, chunk: Chunk,
                 ahead: Future | None, from_block: int, to_block: int) -> dict[str, int]:
    """Stage, decode and merge one fetched chunk with its checkpoint, all or nothing; read it again if the
    chain moved under it."""
    for attempt in range(REFETCHES):
        try:
            with atomic(con):
                create_raw_tables(con)
                stage_chunk(con, chunk, client.shown)
                rows = load_staged(con, chain)
                tokens = new_token_addresses(con, chain)
                rows["tokens"] = merge_tokens(con, chain, fetch_metadata(meta, tokens)) if tokens else 0
                rpc_checkpoint.save(con, client.shown, chain, from_block, to_block, chunk.last + 1)
            return rows
        except ChainMoved:
            if attempt == REFETCHES - 1:
                raise
            if ahead is not None:
                wait([ahead])  # one request at a time on the client's session
            chunk = fetcher.fetch(chunk.first, chunk.last)
    raise AssertionError("unreachable")


def _in_background(fn: Callable[..., Chunk], *args: int) -> Future:
    """Run ``fn`` in a daemon thread (an interrupted run does not wait for the node to answer)."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as e:  # handed to whoever waits for the result
            future.set_exception(e)

    threading.Thread(target=run, daemon=True, name="pigtrace-rpc-fetch").start()
    return future


def _check_arguments(from_block: int, to_block: int, batch_size: int) -> None:
    if from_block < 0:
        raise IngestError(f"--from-block {from_block}: block numbers start at 0")
    if to_block < from_block:
        raise IngestError(f"--to-block {to_block} is before --from-block {from_block}")
    if batch_size < 1:
        raise IngestError(f"--batch-size {batch_size}: must be at least 1 block")


def _check_node(client: RpcClient, chain: str, expected_id: int | None, to_block: int, span: str) -> None:
    try:
        chain_id, head = client.batch([("eth_chainId", []), ("eth_blockNumber", [])])
        for method, reply in (("eth_chainId", chain_id), ("eth_blockNumber", head)):
            if isinstance(reply, RpcError) or not _is_quantity(reply):
                raise IngestError(f"{client.shown}: {method} answered {reply!s:.80}, not a hex number; "
                                  "is this an EVM JSON-RPC node?")
    except PigtraceError as e:
        raise IngestError(f"{e} ({span}: nothing written)") from None
    node_id, head_n = int(chain_id, 16), int(head, 16)
    if expected_id is not None and node_id != expected_id:
        raise IngestError(
            f"{client.shown} serves chain id {node_id}, but --chain {chain} is chain id {expected_id}; pass the "
            f"right --chain (declare new chains with PIGTRACE_EVM_CHAINS=name:{node_id}:SYMBOL) ({span}: nothing written)"
        )
    if to_block > head_n:
        raise IngestError(f"{client.shown}: --to-block {to_block} is beyond the node's latest block {head_n} "
                          f"({span}: nothing written)")


def _is_quantity(v: object) -> bool:
    if not isinstance(v, str) or not v.startswith("0x") or len(v) < 3:
        return False
    try:
        int(v, 16)
    except ValueError:
        return False
    return True


def _where_it_stopped(from_block: int, to_block: int, first: int, last: int) -> str:
    done = "none of the range is stored" if first == from_block else f"blocks {from_block}-{first - 1} are stored"
    return (f"blocks {first}-{last} not written; {done}; run the same command again to resume at block {first} "
            f"of {from_block}-{to_block}")
