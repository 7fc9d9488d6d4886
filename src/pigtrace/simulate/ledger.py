"""The synthetic world's ledger as columns, before any file format: transactions and the event logs they
emit, referring to addresses by entity id (``AddressBook``).

Scenario code appends batches (numpy arrays, broadcast against each other); ``freeze`` concatenates
them, orders transactions by time, places them in 12-second blocks and numbers transactions within a
block and logs within a block, the way a real chain would. Writers (``etl_writer``, ``tron_writer``)
turn the frozen columns into files.

Amounts are int64 in *stored units*: the token's smallest unit for 6-decimal tokens (scale 0) and
gwei-sized units for 18-decimal assets (scale 9, the written raw amount is ``amount * 10**9``), so an
int64 holds every amount a person could move while the written integers stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# transaction kinds: each fixes the call data layout written to transactions.input
NATIVE, TRANSFER, TRANSFER_FROM, APPROVE, SWAP, SETTLE, BATCH, CALL = range(8)
SELECTORS = {
    TRANSFER: "0xa9059cbb",  # transfer(address,uint256)
    TRANSFER_FROM: "0x23b872dd",  # transferFrom(address,address,uint256)
    APPROVE: "0x095ea7b3",  # approve(address,uint256)
    SWAP: "0x38ed1739",  # swapExactTokensForTokens(uint256,uint256,address[],address,uint256) (Uniswap V2 router)
    SETTLE: "0x13d79a0b",  # settle(...) (CoW Protocol GPv2Settlement)
    BATCH: "0xc73a2d60",  # disperseToken(address,address[],uint256[])
    CALL: "0xac9650d8",  # multicall(bytes[]): a contract call whose effects show only in its logs
}
GAS = {NATIVE: 21_000, TRANSFER: 65_000, TRANSFER_FROM: 80_000, APPROVE: 46_000, SWAP: 160_000,
       SETTLE: 350_000, BATCH: 900_000, CALL: 120_000}

# log kinds
LOG_TRANSFER, LOG_APPROVAL, LOG_SWAP = 0, 1, 2

BLOCK_SECONDS = 12

_TX_COLS = {"time": np.int64, "sender": np.int32, "to": np.int32, "method": np.int8, "value": np.int64,
            "a0": np.int32, "a1": np.int32, "a2": np.int32, "amt": np.int64, "scale": np.int8, "unlimited": np.bool_}
_LOG_COLS = {"tx": np.int64, "order": np.int16, "kind": np.int8, "contract": np.int32, "a": np.int32, "b": np.int32,
             "amt": np.int64, "scale": np.int8, "unlimited": np.bool_, "amt2": np.int64, "scale2": np.int8,
             "in_pos": np.int8, "out_pos": np.int8}


class Ledger:
    """Append-only batches of transactions and logs. Transaction ids are handed out at append time."""

    def __init__(self) -> None:
        self._tx: list[dict[str, np.ndarray]] = []
        self._logs: list[dict[str, np.ndarray]] = []
        # single rows appended one at a time (scam scenarios) wait here as tuples, in id order
        self._tx_rows: list[tuple] = []
        self._log_rows: list[tuple] = []
        self.n_tx = 0
        self.n_logs = 0

    def flush(self) -> None:
        """Turn waiting single rows into a batch (called before any batch append and before reading)."""
        if self._tx_rows:
            cols = list(zip(*self._tx_rows))
            self._tx.append({name: np.array(c, dtype=dt) for (name, dt), c in zip(_TX_COLS.items(), cols)})
            self._tx_rows = []
        if self._log_rows:
            cols = list(zip(*self._log_rows))
            self._logs.append({name: np.array(c, dtype=dt) for (name, dt), c in zip(_LOG_COLS.items(), cols)})
            self._log_rows = []

    def batches(self) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
        """(transaction batches, log batches) so far; concatenated transaction batches are in id order."""
        self.flush()
        return self._tx, self._logs

    def add_txs(self, time, sender, to, method, value=0, a0=-1, a1=-1, a2=-1, amt=0, scale=0, unlimited=False) -> np.ndarray:
        """Append transactions (array arguments broadcast); returns their ids. ``value`` is in gwei units."""
        rows = _as_rows((time, sender, to, method, value, a0, a1, a2, amt, scale, unlimited))
        if rows is not None:
            if any(r[8] < 0 or r[4] < 0 for r in rows):
                raise ValueError("negative amount in a simulated transaction")
            self._tx_rows += rows
            self.n_tx += len(rows)
            return np.arange(self.n_tx - len(rows), self.n_tx, dtype=np.int64)
        self.flush()
        batch = _columns((time, sender, to, method, value, a0, a1, a2, amt, scale, unlimited), _TX_COLS)
        n = len(batch["time"])
        if n and (batch["amt"] < 0).any() or n and (batch["value"] < 0).any():
            raise ValueError("negative amount in a simulated transaction")
        ids = np.arange(self.n_tx, self.n_tx + n, dtype=np.int64)
        self._tx.append(batch)
        self.n_tx += n
        return ids

    def add_logs(self, tx, order, kind, contract, a, b, amt=0, scale=0, unlimited=False, amt2=0, scale2=0,
                 in_pos=0, out_pos=0) -> None:
        rows = _as_rows((tx, order, kind, contract, a, b, amt, scale, unlimited, amt2, scale2, in_pos, out_pos))
        if rows is not None:
            if any(r[6] < 0 for r in rows):
                raise ValueError("negative amount in a simulated log")
            self._log_rows += rows
            self.n_logs += len(rows)
            return
        self.flush()
        batch = _columns((tx, order, kind, contract, a, b, amt, scale, unlimited, amt2, scale2, in_pos, out_pos), _LOG_COLS)
        n = len(batch["tx"])
        if n and (batch["amt"] < 0).any():
            raise ValueError("negative amount in a simulated log")
        self._logs.append(batch)
        self.n_logs += n

    # -- convenience for the common shapes ------------------------------------------------------------

    def token_transfer(self, time, sender, token, frm, to, amt, scale=0) -> np.ndarray:
        """``frm`` sends ``amt`` of ``token`` to ``to`` with transfer(); tx.from = ``sender`` (normally ``frm``)."""
        ids = self.add_txs(time, sender, token, TRANSFER, a0=to, amt=amt, scale=scale)
        self.add_logs(ids, 0, LOG_TRANSFER, token, frm, to, amt, scale)
        return ids

    def transfer_from(self, time, sender, token, frm, to, amt, scale=0) -> np.ndarray:
        """A third party (``sender``, the spender) moves ``frm``'s tokens to ``to`` with transferFrom()."""
        ids = self.add_txs(time, sender, token, TRANSFER_FROM, a0=frm, a1=to, amt=amt, scale=scale)
        self.add_logs(ids, 0, LOG_TRANSFER, token, frm, to, amt, scale)
        return ids

    def approve(self, time, owner, token, spender, amt, scale=0, unlimited=False) -> np.ndarray:
        ids = self.add_txs(time, owner, token, APPROVE, a0=spender, amt=amt, scale=scale, unlimited=unlimited)
        self.add_logs(ids, 0, LOG_APPROVAL, token, owner, spender, amt, scale, unlimited)
        return ids

    def native(self, time, frm, to, gwei) -> np.ndarray:
        return self.add_txs(time, frm, to, NATIVE, value=gwei)

    def freeze(self, t0: int, first_block: int) -> Frozen:
        self.flush()
        tx = _concat(self._tx, _TX_COLS)
        logs = _concat(self._logs, _LOG_COLS)
        self._tx, self._logs = [], []
        if len(logs["tx"]) and logs["tx"].max() >= len(tx["time"]):
            raise ValueError("a simulated log refers to a transaction that does not exist")
        if (tx["time"] < t0).any():
            raise ValueError("a simulated transaction happens before the world starts")
        order = np.argsort(tx["time"], kind="stable")  # ties keep append order
        tx = {k: v[order] for k, v in tx.items()}
        pos_of = np.empty(len(order), dtype=np.int64)
        pos_of[order] = np.arange(len(order))
        block = first_block + (tx["time"] - t0) // BLOCK_SECONDS
        starts = np.r_[0, np.flatnonzero(np.diff(block)) + 1]
        block_start = np.repeat(starts, np.diff(np.r_[starts, len(block)]))
        tx_index = (np.arange(len(block)) - block_start).astype(np.int32)
        # a block's timestamp is its slot's start; its transactions carry that time
        tx["time"] = t0 + (block - first_block) * BLOCK_SECONDS
        logs["tx"] = pos_of[logs["tx"]]
        lorder = np.argsort(logs["tx"] * 1024 + logs["order"], kind="stable")
        logs = {k: v[lorder] for k, v in logs.items()}
        lblock = block[logs["tx"]]
        lstarts = np.r_[0, np.flatnonzero(np.diff(lblock)) + 1] if len(lblock) else np.zeros(0, np.int64)
        lblock_start = np.repeat(lstarts, np.diff(np.r_[lstarts, len(lblock)]))
        log_index = (np.arange(len(lblock)) - lblock_start).astype(np.int32)
        # per-sender nonces in time order
        by_sender = np.argsort(tx["sender"], kind="stable")
        s = tx["sender"][by_sender]
        sstarts = np.r_[0, np.flatnonzero(np.diff(s)) + 1] if len(s) else np.zeros(0, np.int64)
        nonce = np.empty(len(s), dtype=np.int64)
        nonce[by_sender] = np.arange(len(s)) - np.repeat(sstarts, np.diff(np.r_[sstarts, len(s)]))
        return Frozen(tx=tx, logs=logs, block=block, tx_index=tx_index, log_index=log_index, nonce=nonce,
                      t0=t0, first_block=first_block, position=pos_of)


@dataclass
class Frozen:
    """The ordered ledger: ``tx`` and ``logs`` columns plus block placement, ready for a writer."""

    tx: dict[str, np.ndarray]
    logs: dict[str, np.ndarray]
    block: np.ndarray  # per transaction
    tx_index: np.ndarray
    log_index: np.ndarray
    nonce: np.ndarray
    t0: int
    first_block: int
    position: np.ndarray  # transaction id (append order) -> position in the frozen order

    @property
    def n_transfers(self) -> int:
        return int((self.logs["kind"] == LOG_TRANSFER).sum() + (self.tx["value"] > 0).sum())


def _columns(values: tuple, cols: dict) -> dict[str, np.ndarray]:
    """Broadcast scalars and equal-length 1-d arrays to columns of the given dtypes."""
    sizes = [np.size(v) for v in values if isinstance(v, (np.ndarray, list, tuple)) and np.size(v) != 1]
    n = sizes[0] if sizes else 1
    out = {}
    for (name, dt), v in zip(cols.items(), values):
        if isinstance(v, (np.ndarray, list, tuple)) and np.size(v) != 1:
            a = np.asarray(v, dtype=dt).reshape(-1)
            if len(a) != n:
                raise ValueError(f"column {name}: {len(a)} values where {n} were expected")
            out[name] = a
        else:
            out[name] = np.full(n, np.asarray(v).reshape(-1)[0] if isinstance(v, (np.ndarray, list, tuple)) else v, dtype=dt)
    return out


def _as_rows(values: tuple, limit: int = 64) -> list[tuple] | None:
    """Row tuples (scalars broadcast) when no value is an array of more than ``limit`` items, else None:
    small appends (one scam victim's payments) are cheaper as rows than as a batch of arrays."""
    n = 1
    for v in values:
        if type(v) is np.ndarray and v.size != 1:
            if v.size > limit or (n != 1 and v.size != n):
                return None
            n = v.size
    cols = []
    for v in values:
        if type(v) is np.ndarray:
            cols.append(v.ravel().tolist() if v.size != 1 else [v.item()] * n)
        else:
            cols.append([v] * n)
    return list(zip(*cols))


def _concat(batches: list[dict[str, np.ndarray]], cols: dict) -> dict[str, np.ndarray]:
    if not batches:
        return {k: np.zeros(0, dtype=dt) for k, dt in cols.items()}
    return {k: np.concatenate([b[k] for b in batches]) for k in cols}
