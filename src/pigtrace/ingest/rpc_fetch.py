"""What `pigtrace ingest rpc` asks a node for one chunk of blocks, and how it copes with the node's limits.

One batched request carries, for blocks A..B: ``eth_getBlockByNumber(n, true)`` (transactions in full),
``eth_getBlockReceipts(n)`` (for each transaction's status) and ``eth_getLogs`` over A..B filtered on the
topics the decoder understands (``evm_logs.WANTED_TOPICS``). A node without ``eth_getBlockReceipts`` gets
batched ``eth_getTransactionReceipt`` calls instead, for the rest of the run. A node that refuses a wide
``eth_getLogs`` range gets the range halved until it answers; later chunks start from the width that
worked and widen again while the node keeps answering. Nothing here writes to the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pigtrace.ingest.evm_logs import WANTED_TOPICS
from pigtrace.ingest.rpc_client import RpcClient, RpcError, RpcUnavailable

_RANGE_REFUSED = re.compile(
    r"more than \d+ results|block range|range (is )?too|too (large|wide|big|many)|exceed|limit|response size|"
    r"query timeout|max(imum)? (block )?range",
    re.I,
)
_NO_METHOD = re.compile(r"method.*(not (found|supported|available|exist)|does not exist|unsupported)|unknown method", re.I)

RECEIPT_BATCH = 200  # eth_getTransactionReceipt calls per HTTP request in the fallback


def range_refused(err: RpcError) -> bool:
    """Does this eth_getLogs error mean "ask for fewer blocks"?"""
    if err.transient:
        return False
    return err.code == -32005 or bool(_RANGE_REFUSED.search(err.message))


def method_missing(err: RpcError) -> bool:
    return err.code == -32601 or bool(_NO_METHOD.search(err.message))


@dataclass
class Chunk:
    """Raw JSON-RPC records for blocks ``first``..``last`` (inclusive)."""

    first: int
    last: int
    blocks: list[dict] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)
    logs: list[dict] = field(default_factory=list)


class ChunkFetcher:
    def __init__(self, client: RpcClient):
        self.client = client
        self.block_receipts = True  # until the node says it lacks eth_getBlockReceipts
        self.log_span: int | None = None  # widest eth_getLogs range to try first; None = the whole chunk

    def fetch(self, first: int, last: int) -> Chunk:
        chunk = Chunk(first, last)
        numbers = list(range(first, last + 1))
        windows = self._windows(first, last)
        calls: list[tuple[str, list]] = [("eth_getBlockByNumber", [hex(n), True]) for n in numbers]
        if self.block_receipts:
            calls += [("eth_getBlockReceipts", [hex(n)]) for n in numbers]
        calls += [_get_logs(a, b) for a, b in windows]
        replies = self.client.batch(calls)

        block_replies = replies[: len(numbers)]
        receipt_replies = replies[len(numbers) : 2 * len(numbers)] if self.block_receipts else []
        log_replies = replies[len(replies) - len(windows) :]

        for n, reply in zip(numbers, block_replies):
            if isinstance(reply, RpcError):
                raise RpcUnavailable(f"{self.client.shown}: eth_getBlockByNumber({n}) failed: {reply}")
            if not isinstance(reply, dict):
                raise RpcUnavailable(
                    f"{self.client.shown}: block {n} is not available on this node (answered {_kind(reply)}); "
                    "is --to-block beyond the node's head, or is the node still syncing?"
                )
            if not isinstance(reply.get("transactions"), list):
                raise RpcUnavailable(f"{self.client.shown}: block {n} came without its transaction list")
            chunk.blocks.append(reply)

        chunk.receipts = self._receipts(chunk.blocks, receipt_replies)
        chunk.logs = self._logs(windows, log_replies, chunk)
        return chunk

    def _windows(self, first: int, last: int) -> list[tuple[int, int]]:
        span = self.log_span or (last - first + 1)
        return [(a, min(a + span - 1, last)) for a in range(first, last + 1, span)]

    def _receipts(self, blocks: list[dict], replies: list[Any]) -> list[dict]:
        receipts: list[dict] = []
        missing: list[str] = []  # tx hashes whose receipts must come one by one
        for block, reply in zip(blocks, replies):
            if isinstance(reply, RpcError):
                if not method_missing(reply):
                    raise RpcUnavailable(f"{self.client.shown}: eth_getBlockReceipts({block.get('number')}) failed: {reply}")
                self.block_receipts = False
                break
            if isinstance(reply, list):
                receipts.extend(reply)
            elif reply is None:
                missing.extend(_tx_hashes(block))
            else:
                raise RpcUnavailable(f"{self.client.shown}: eth_getBlockReceipts answered {_kind(reply)}, not a list of receipts")
        if not self.block_receipts:
            receipts, missing = [], [h for b in blocks for h in _tx_hashes(b)]
        for i in range(0, len(missing), RECEIPT_BATCH):
            part = missing[i : i + RECEIPT_BATCH]
            for tx, reply in zip(part, self.client.batch([("eth_getTransactionReceipt", [h]) for h in part])):
                if isinstance(reply, RpcError):
                    raise RpcUnavailable(f"{self.client.shown}: eth_getTransactionReceipt({tx}) failed: {reply}")
                if isinstance(reply, dict):
                    receipts.append(reply)
        return receipts

    def _logs(self, windows: list[tuple[int, int]], replies: list[Any], chunk: Chunk) -> list[dict]:
        logs: list[dict] = []
        halved = False
        while windows:
            retry: list[tuple[int, int]] = []
            for (a, b), reply in zip(windows, replies):
                if isinstance(reply, list):
                    logs.extend(reply)
                    continue
                if not isinstance(reply, RpcError):
                    raise RpcUnavailable(f"{self.client.shown}: eth_getLogs({a}-{b}) answered {_kind(reply)}, not a list of logs")
                if not range_refused(reply):
                    raise RpcUnavailable(f"{self.client.shown}: eth_getLogs for blocks {a}-{b} failed: {reply}")
                if a == b:
                    raise RpcUnavailable(
                        f"{self.client.shown}: the node refuses eth_getLogs even for the single block {a} ({reply}); "
                        "use a node (or plan) without that limit"
                    )
                mid = (a + b) // 2
                retry += [(a, mid), (mid + 1, b)]
                halved = True
                self.log_span = min(self.log_span or (b - a + 1), mid - a + 1)
            windows = retry
            if windows:
                replies = self.client.batch([_get_logs(a, b) for a, b in windows])
        if not halved and self.log_span is not None:
            self.log_span *= 2  # the node kept up: try wider ranges again
            if self.log_span >= chunk.last - chunk.first + 1:
                self.log_span = None
        return logs


def _get_logs(a: int, b: int) -> tuple[str, list]:
    return ("eth_getLogs", [{"fromBlock": hex(a), "toBlock": hex(b), "topics": [WANTED_TOPICS]}])


def _tx_hashes(block: dict) -> list[str]:
    return [t.get("hash") if isinstance(t, dict) else t for t in block["transactions"]]


def _kind(reply: Any) -> str:
    return "null" if reply is None else type(reply).__name__
