"""Writes a frozen ledger as an ethereum-etl export: blocks.csv, transactions.csv, logs.csv,
token_transfers.csv and tokens.csv with ethereum-etl's column sets, raw event topics, ABI-encoded call
data and exact decimal amounts. Strings are assembled as fixed-width ASCII byte matrices (numpy) and
written with pyarrow in block-aligned chunks, so memory stays bounded at tens of millions of rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from eth_hash.auto import keccak

from pigtrace.arrays import distinct
from pigtrace.simulate.addressbook import hash32_ascii, hex_ascii, splitmix64, u64_hex
from pigtrace.simulate.ledger import (
    APPROVE,
    BATCH,
    CALL,
    GAS,
    LOG_APPROVAL,
    LOG_SWAP,
    LOG_TRANSFER,
    NATIVE,
    SELECTORS,
    SETTLE,
    SWAP,
    TRANSFER_FROM,
    Frozen,
)
from pigtrace.simulate.ledger import (
    TRANSFER as M_TRANSFER,
)

BLOCK_COLUMNS = ["number", "hash", "parent_hash", "nonce", "sha3_uncles", "logs_bloom", "transactions_root",
                 "state_root", "receipts_root", "miner", "difficulty", "total_difficulty", "size", "extra_data",
                 "gas_limit", "gas_used", "timestamp", "transaction_count", "base_fee_per_gas", "withdrawals_root",
                 "withdrawals"]
TX_COLUMNS = ["hash", "nonce", "block_hash", "block_number", "transaction_index", "from_address", "to_address",
              "value", "gas", "gas_price", "input", "block_timestamp", "max_fee_per_gas", "max_priority_fee_per_gas",
              "transaction_type"]
LOG_COLUMNS = ["log_index", "transaction_hash", "transaction_index", "block_hash", "block_number", "address", "data",
               "topics"]
TOKEN_TRANSFER_COLUMNS = ["token_address", "from_address", "to_address", "value", "transaction_hash", "log_index",
                          "block_number"]
TOKEN_COLUMNS = ["address", "symbol", "name", "decimals", "total_supply", "block_number"]



def _event_topic(signature: str) -> str:
    """topic0 of an event: keccak-256 of its signature (derived here, not taken from pigtrace's decoder)."""
    return "0x" + keccak(signature.encode()).hex()


TRANSFER = _event_topic("Transfer(address,address,uint256)")
APPROVAL = _event_topic("Approval(address,address,uint256)")
SWAP_V2 = _event_topic("Swap(address,uint256,uint256,uint256,uint256,address)")
EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
POST_MERGE_TOTAL_DIFFICULTY = "58750003716598352816469"
# fee recipients of block builders (public, well-known)
BUILDERS = ["0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5", "0x4838b106fce9647bdf1e7877bf73ce8b0bad5f97",
            "0x1f9090aae28b8a3dceadf281b0f12828e676c326"]

_ZERO = ord("0")
CHUNK_TXS = 400_000


class _Text:
    """Per-entity ASCII forms, built once: address (0x + 40) and 32-byte topic padding (24 zeros + 40)."""

    def __init__(self, raw: np.ndarray) -> None:
        self.hex40 = hex_ascii(raw)
        self.hex42 = _Buf(len(raw), 42).const("0x").put(self.hex40).a

    def addr(self, ids: np.ndarray) -> np.ndarray:
        return self.hex42[ids]


class _Buf:
    """A fixed-width ASCII string per row, filled left to right in place (no intermediate copies)."""

    def __init__(self, n: int, width: int) -> None:
        self.a = np.full((n, width), _ZERO, dtype=np.uint8)  # zero digits by default (a memset)
        self.pos = 0

    def zeros(self, k: int) -> _Buf:
        self.pos += k
        return self

    def const(self, text: str) -> _Buf:
        b = np.frombuffer(text.encode(), dtype=np.uint8)
        self.a[:, self.pos : self.pos + len(b)] = b
        self.pos += len(b)
        return self

    def put(self, ascii_: np.ndarray) -> _Buf:
        w = ascii_.shape[1]
        self.a[:, self.pos : self.pos + w] = ascii_
        self.pos += w
        return self

    def addr_word(self, text: _Text, ids: np.ndarray) -> _Buf:
        self.a[:, self.pos + 24 : self.pos + 64] = text.hex40[ids]
        self.pos += 64
        return self

    def amount(self, amt, scale, unlimited=None) -> _Buf:
        amount_words(amt, scale, unlimited, out=self.a[:, self.pos : self.pos + 64])
        self.pos += 64
        return self

    def strings(self) -> pa.Array:
        assert self.pos == self.a.shape[1]
        return _strings(self.a)


def amount_words(amt: np.ndarray, scale: np.ndarray, unlimited: np.ndarray | None = None,
                 out: np.ndarray | None = None) -> np.ndarray:
    """(n, 64) ASCII hex of the uint256 ``amt * 10**scale`` (scale 0 or 9); all f's where unlimited."""
    a = np.asarray(amt, dtype=np.int64).astype(np.uint64)
    big = np.asarray(scale) == 9
    m = np.uint64(10**9)
    h, l = a >> np.uint64(32), a & np.uint64(0xFFFFFFFF)
    with np.errstate(over="ignore"):
        hm = h * m
        lo_part = (hm & np.uint64(0xFFFFFFFF)) << np.uint64(32)
        lo = lo_part + l * m
        hi = (hm >> np.uint64(32)) + (lo < lo_part).astype(np.uint64)
    lo = np.where(big, lo, a)
    hi = np.where(big, hi, np.uint64(0))
    if out is None:
        out = np.full((len(a), 64), _ZERO, dtype=np.uint8)
    else:
        out[:, :32] = _ZERO
    out[:, 32:48] = u64_hex(hi)
    out[:, 48:] = u64_hex(lo)
    if unlimited is not None and np.any(unlimited):
        out[np.asarray(unlimited, dtype=bool)] = ord("f")
    return out


def decimal_text(amt: np.ndarray, scale: np.ndarray, unlimited: np.ndarray | None = None) -> pa.Array:
    """Exact decimal text of ``amt * 10**scale``."""
    base = pc.cast(pa.array(np.asarray(amt, dtype=np.int64)), pa.string())
    suffix = np.where((np.asarray(scale) == 9) & (np.asarray(amt) > 0), "000000000", "")
    out = pc.binary_join_element_wise(base, pa.array(suffix), "")
    if unlimited is not None and np.any(unlimited):
        out = pc.if_else(pa.array(np.asarray(unlimited, dtype=bool)), str(2**256 - 1), out)
    return out


def _strings(ascii_: np.ndarray) -> pa.Array:
    n, w = ascii_.shape
    if n == 0:
        return pa.array([], type=pa.string())
    data = pa.py_buffer(np.ascontiguousarray(ascii_, dtype=np.uint8).reshape(-1))
    offsets = pa.py_buffer(np.arange(0, (n + 1) * w, w, dtype=np.int32))
    return pa.StringArray.from_buffers(n, offsets, data)


def _hex0x(ascii_: np.ndarray) -> np.ndarray:
    return _Buf(len(ascii_), 2 + ascii_.shape[1]).const("0x").put(ascii_).a


def _call_data(text: _Text, tx: dict[str, np.ndarray], rows: np.ndarray) -> pa.Array:
    """ABI-encoded ``input`` for the transactions at ``rows`` (grouped by method, then put back in order)."""
    method = tx["method"][rows]
    pieces, where = [], []
    for m in distinct(method):
        sel = rows[method == m]
        n = len(sel)
        if m == NATIVE:
            pieces.append(pa.array(["0x"] * n, type=pa.string()))
            where.append(np.flatnonzero(method == m))
            continue
        sel_text = SELECTORS[int(m)]
        amt, scale, unl = tx["amt"][sel], tx["scale"][sel], tx["unlimited"][sel]
        a0, a1, a2 = (np.maximum(tx[k][sel], 0) for k in ("a0", "a1", "a2"))
        if m in (M_TRANSFER, APPROVE):
            body = _Buf(n, 138).const(sel_text).addr_word(text, a0).amount(amt, scale, unl)
        elif m in (TRANSFER_FROM, CALL, SETTLE):
            body = _Buf(n, 202).const(sel_text).addr_word(text, a0).addr_word(text, a1).amount(amt, scale, unl)
        elif m == SWAP:
            deadline = u64_hex((tx["time"][sel] + 1200).astype(np.uint64))
            body = (_Buf(n, 10 + 64 * 8).const(sel_text).amount(amt, scale).zeros(64).zeros(62).const("a0")
                    .addr_word(text, a0).zeros(48).put(deadline).zeros(63).const("2")
                    .addr_word(text, a1).addr_word(text, a2))
        elif m == BATCH:
            body = _Buf(n, 10 + 64 * 3).const(sel_text).addr_word(text, a0).zeros(62).const("40").amount(amt, scale)
        else:
            raise ValueError(f"unknown simulated method {m}")
        pieces.append(body.strings())
        where.append(np.flatnonzero(method == m))
    order = np.concatenate(where) if where else np.zeros(0, np.int64)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(pieces).take(pa.array(inverse)) if pieces else pa.array([], type=pa.string())


def _log_data(logs: dict[str, np.ndarray], rows: np.ndarray) -> pa.Array:
    kind = logs["kind"][rows]
    n = len(rows)
    swap = kind == LOG_SWAP
    p = rows[~swap]
    plain = _Buf(len(p), 66).const("0x").amount(logs["amt"][p], logs["scale"][p], logs["unlimited"][p]).strings()
    if not swap.any():
        return plain
    s = rows[swap]
    words = np.full((len(s), 4, 64), _ZERO, dtype=np.uint8)
    a_in = amount_words(logs["amt"][s], logs["scale"][s])
    a_out = amount_words(logs["amt2"][s], logs["scale2"][s])
    idx = np.arange(len(s))
    words[idx, logs["in_pos"][s]] = a_in
    words[idx, logs["out_pos"][s]] = a_out
    swaps = _strings(_hex0x(words.reshape(len(s), 256)))
    order = np.r_[np.flatnonzero(~swap), np.flatnonzero(swap)]
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return pa.concat_arrays([plain, swaps]).take(pa.array(inverse))


_TOPIC0 = {LOG_TRANSFER: TRANSFER, LOG_APPROVAL: APPROVAL, LOG_SWAP: SWAP_V2}


def _topics(text: _Text, logs: dict[str, np.ndarray], rows: np.ndarray) -> pa.Array:
    buf = _Buf(len(rows), 200)
    kind = logs["kind"][rows]
    for k, topic in _TOPIC0.items():
        buf.a[kind == k, :66] = np.frombuffer(topic.encode(), dtype=np.uint8)
    buf.pos = 66
    return buf.const(",0x").addr_word(text, logs["a"][rows]).const(",0x").addr_word(text, logs["b"][rows]).strings()


class _Files:
    """One CSV writer per file; tables are written on a background thread (pyarrow releases the GIL), so
    writing one chunk overlaps with building the next. ``drain`` waits for what was queued."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.writers: dict[str, pacsv.CSVWriter] = {}
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list = []

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            self.writers[name] = pacsv.CSVWriter(str(self.out / f"{name}.csv"), table.schema)
        self.pending.append(self.pool.submit(self.writers[name].write_table, table))

    def drain(self) -> None:
        for f in self.pending:
            f.result()
        self.pending = []

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self.pool.shutdown()
            for w in self.writers.values():
                w.close()


def write_etl(out: Path, frozen: Frozen, raw_addresses: np.ndarray, tokens: list[dict], salt: int) -> dict[str, int]:
    """Write the export into ``out``; returns rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    text = _Text(raw_addresses)
    tx = frozen.tx
    n_tx = len(tx["time"])
    counts = {"blocks": 0, "transactions": 0, "logs": 0, "token_transfers": 0, "tokens": len(tokens)}
    files = _Files(out)
    try:
        start = 0
        while start < n_tx:
            end = min(n_tx, start + CHUNK_TXS)
            if end < n_tx:  # end on a block boundary so no block is split between chunks
                end = int(np.searchsorted(frozen.block, frozen.block[end - 1], side="right"))
            files.drain()  # at most one chunk waits to be written
            _write_chunk(files, text, frozen, start, end, salt, counts)
            start = end
        files.write("tokens", _tokens_table(tokens))
    finally:
        files.close()
    if n_tx == 0:
        for name, cols in (("blocks", BLOCK_COLUMNS), ("transactions", TX_COLUMNS), ("logs", LOG_COLUMNS),
                           ("token_transfers", TOKEN_TRANSFER_COLUMNS)):
            (out / f"{name}.csv").write_text(",".join(f'"{c}"' for c in cols) + "\n")
    return counts


def _write_chunk(files: _Files, text: _Text, fz: Frozen, s: int, e: int, salt: int, counts: dict) -> None:
    tx, logs = fz.tx, fz.logs
    rows = np.arange(s, e)
    n = len(rows)
    tx_hash_m = _hex0x(hash32_ascii(rows, salt))
    tx_hash = _strings(tx_hash_m)
    block = fz.block[rows]
    ublock, first = np.unique(block, return_index=True)
    block_hash_um = _hex0x(hash32_ascii(ublock, salt + 1))
    block_hash_u = _strings(block_hash_um)
    which_block = np.searchsorted(ublock, block)
    block_hash = _strings(block_hash_um[which_block])
    method = tx["method"][rows]
    gas = np.array([GAS[m] for m in range(8)], dtype=np.int64)[method]
    mix = splitmix64(rows.astype(np.uint64) ^ np.uint64(salt))
    base_fee = (3 + (splitmix64(block.astype(np.uint64)) % np.uint64(20))).astype(np.int64) * 10**9
    prio = (1 + (mix % np.uint64(3))).astype(np.int64) * 10**8
    gas_price = base_fee + prio
    to = tx["to"][rows]
    files.write("transactions", pa.table({
        "hash": tx_hash, "nonce": fz.nonce[rows], "block_hash": block_hash, "block_number": block,
        "transaction_index": fz.tx_index[rows], "from_address": _strings(text.addr(tx["sender"][rows])),
        "to_address": _strings(text.addr(to)),
        "value": decimal_text(tx["value"][rows], np.full(n, 9, np.int8)), "gas": gas + (mix % np.uint64(5000)).astype(np.int64),
        "gas_price": gas_price, "input": _call_data(text, tx, rows), "block_timestamp": tx["time"][rows],
        "max_fee_per_gas": 2 * base_fee + prio, "max_priority_fee_per_gas": prio,
        "transaction_type": np.full(n, 2, np.int8),
    }))
    counts["transactions"] += n

    ub_tx = tx["time"][rows][first]
    tcount = np.diff(np.r_[first, n])
    gas_used = np.add.reduceat(gas, first) if n else gas
    files.write("blocks", pa.table({
        "number": ublock, "hash": block_hash_u, "parent_hash": _strings(_hex0x(hash32_ascii(ublock - 1, salt + 1))),
        "nonce": pa.array(["0x0000000000000000"] * len(ublock)), "sha3_uncles": pa.array([EMPTY_UNCLES] * len(ublock)),
        "logs_bloom": pa.nulls(len(ublock), pa.string()),
        "transactions_root": _strings(_hex0x(hash32_ascii(ublock, salt + 2))),
        "state_root": _strings(_hex0x(hash32_ascii(ublock, salt + 3))),
        "receipts_root": _strings(_hex0x(hash32_ascii(ublock, salt + 4))),
        "miner": pa.array(BUILDERS).take(pa.array(ublock % len(BUILDERS))),
        "difficulty": np.zeros(len(ublock), np.int8),
        "total_difficulty": pa.array([POST_MERGE_TOTAL_DIFFICULTY] * len(ublock)),
        "size": 600 + 180 * tcount, "extra_data": pa.array(["0x"] * len(ublock)),
        "gas_limit": np.full(len(ublock), 30_000_000, np.int64), "gas_used": gas_used, "timestamp": ub_tx,
        "transaction_count": tcount, "base_fee_per_gas": base_fee[first],
        "withdrawals_root": pa.nulls(len(ublock), pa.string()), "withdrawals": pa.nulls(len(ublock), pa.string()),
    }))
    counts["blocks"] += len(ublock)

    ls, le = np.searchsorted(logs["tx"], [s, e])
    lrows = np.arange(ls, le)
    if not len(lrows):
        return
    local_tx = logs["tx"][lrows] - s
    l_hash = _strings(tx_hash_m[local_tx])
    l_block = block[local_tx]
    l_addr = _strings(text.addr(logs["contract"][lrows]))
    files.write("logs", pa.table({
        "log_index": fz.log_index[lrows], "transaction_hash": l_hash, "transaction_index": fz.tx_index[logs["tx"][lrows]],
        "block_hash": _strings(block_hash_um[which_block[local_tx]]), "block_number": l_block, "address": l_addr,
        "data": _log_data(logs, lrows), "topics": _topics(text, logs, lrows),
    }))
    counts["logs"] += len(lrows)
    tt = logs["kind"][lrows] == LOG_TRANSFER
    t_rows = lrows[tt]
    files.write("token_transfers", pa.table({
        "token_address": _strings(text.addr(logs["contract"][t_rows])), "from_address": _strings(text.addr(logs["a"][t_rows])),
        "to_address": _strings(text.addr(logs["b"][t_rows])),
        "value": decimal_text(logs["amt"][t_rows], logs["scale"][t_rows]),
        "transaction_hash": _strings(tx_hash_m[local_tx[tt]]), "log_index": fz.log_index[t_rows], "block_number": l_block[tt],
    }))
    counts["token_transfers"] += int(tt.sum())


def _tokens_table(tokens: list[dict]) -> pa.Table:
    return pa.table({c: pa.array([t.get(c) for t in tokens], type=pa.int64() if c in ("decimals", "block_number") else pa.string())
                     for c in TOKEN_COLUMNS})
