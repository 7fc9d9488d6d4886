"""Writes a frozen ledger as the TronGrid v1 pages a per-account crawl collects (``trongrid/*.json``).

Two endpoints, three kinds of rows:
- ``trc20_NNNNN.json``: pages of ``GET /v1/accounts/{address}/transactions/trc20``, Transfer rows and
  Approval rows (``transaction_id``, ``token_info``, ``block_timestamp`` in ms, base58check ``from``/``to``,
  ``type``, the exact raw ``value``); a share of them (knob ``tron_detail``) carries the optional
  ``detail`` object, the transaction as ``gettransactionbyid`` gives it (signer, called contract, call
  data, block), the rest are bare as the endpoint returns them.
- ``transactions_NNNNN.json``: pages of ``GET /v1/accounts/{address}/transactions`` for the accounts whose
  history was crawled (knob ``tron_account_history``): TransferContract items (TRX moved, 41-hex
  ``owner_address``/``to_address``) and TriggerSmartContract items (signer, called contract, call data).

Each response is one account's listing, newest first, at most ``LIMIT`` rows (TronGrid's page limit); a
file holds a JSON list of responses. A row is listed under its sender's account and, for a share of rows
(knob ``crawl_overlap``), again under its receiver's, so the pages overlap as a crawl of both parties'
histories does. The crawl's draws come from their own generator: the world is the same whatever the crawl.
Swap events are not written (TronGrid's endpoints have none); a swap shows as its transfers in and out
of the pair. Rows are assembled as JSON text column-wise with pyarrow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pigtrace.arrays import distinct
from pigtrace.chains.addresses import b58check_encode
from pigtrace.simulate.addressbook import hash32_ascii, splitmix64
from pigtrace.simulate.context import World
from pigtrace.simulate.etl_writer import _call_data, _strings, _Text, decimal_text
from pigtrace.simulate.ledger import LOG_APPROVAL, LOG_TRANSFER, NATIVE, TRANSFER_FROM, Frozen

FILE_ROWS = 20_000  # listed rows per file
LIMIT = 200  # rows per response: TronGrid's largest page
TRON_FIRST_BLOCK = 68_500_000  # a Tron block height of early 2025; Tron makes a block every 3 seconds


def _base58(raw: np.ndarray) -> pa.Array:
    return pa.array([b58check_encode(b"\x41" + bytes(r)) for r in raw], type=pa.string())


def _hex41(raw: np.ndarray) -> pa.Array:
    text = _Text(raw).hex40
    n = len(raw)
    return _strings(np.concatenate([np.broadcast_to(np.frombuffer(b"41", np.uint8), (n, 2)), text], axis=1))


class _Crawl:
    """Which accounts were crawled and which rows are listed twice, drawn apart from the world's rng."""

    def __init__(self, w: World, salt: int) -> None:
        self.rng = np.random.default_rng([salt, 0x7A0])
        self.detail = w.knobs.share("tron_detail")
        self.history = w.knobs.share("tron_account_history")
        self.overlap = w.knobs.share("crawl_overlap")
        self.salt = salt

    def crawled(self, entity: np.ndarray) -> np.ndarray:
        """Whether each account's transaction history was crawled (a fixed draw per account)."""
        u = splitmix64(np.asarray(entity, dtype=np.uint64) ^ np.uint64(self.salt * 0x9E37 + 17)) >> np.uint64(11)
        return u.astype(np.float64) / float(1 << 53) < self.history

    def listings(self, sender: np.ndarray, receiver: np.ndarray, eligible: np.ndarray | None = None):
        """(row, account) pairs: every row under its sender, a ``crawl_overlap`` share also under its receiver."""
        rows = np.arange(len(sender))
        twice = (receiver != sender) & (self.rng.random(len(sender)) < self.overlap)
        if eligible is not None:
            twice &= eligible
        return np.r_[rows, rows[twice]], np.r_[sender, receiver[twice]]


class _Text58:
    """Per-entity base58 and 41-hex texts for the entities the pages name."""

    def __init__(self, raw: np.ndarray, used: np.ndarray) -> None:
        self.index = np.full(len(raw), -1, dtype=np.int64)
        self.index[used] = np.arange(len(used))
        self.b58 = _base58(raw[used])
        self.h41 = _hex41(raw[used])

    def base58(self, ents: np.ndarray) -> pa.Array:
        return self.b58.take(pa.array(self.index[ents]))

    def hex41(self, ents: np.ndarray) -> pa.Array:
        return self.h41.take(pa.array(self.index[ents]))


def write_trongrid(out: Path, frozen: Frozen, w: World, salt: int) -> dict[str, int]:
    folder = out / "trongrid"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    raw = w.book.raw()
    tx, logs = frozen.tx, frozen.logs
    crawl = _Crawl(w, salt)
    rows = np.flatnonzero(np.isin(logs["kind"], (LOG_TRANSFER, LOG_APPROVAL)))
    used = distinct(np.concatenate([logs["a"][rows], logs["b"][rows], logs["contract"][rows], tx["sender"],
                                     tx["to"][tx["to"] >= 0]]))
    text = _Text58(raw, used)
    txids = _strings(hash32_ascii(np.arange(len(tx["time"])), salt))
    counts = {"transfers": int((logs["kind"][rows] == LOG_TRANSFER).sum()),
              "approvals": int((logs["kind"][rows] == LOG_APPROVAL).sum())}

    # TRC-20 rows, listed per account
    row_of, account = crawl.listings(logs["a"][rows], logs["b"][rows])
    listed = rows[row_of]
    with_detail = crawl.rng.random(len(listed)) < crawl.detail
    counts["trc20_files"], counts["trc20_listed"] = _write_listings(
        folder, "trc20", account, tx["time"][logs["tx"][listed]],
        lambda sel: _trc20_items(w, raw, frozen, text, txids, listed[sel], with_detail[sel], salt))

    # account histories: each transaction under its signer, a TRX transfer also under its receiver
    signer_seen = crawl.crawled(tx["sender"])
    t_row, t_account = crawl.listings(tx["sender"], tx["to"], eligible=tx["method"] == NATIVE)
    keep = crawl.crawled(t_account)
    t_row, t_account = t_row[keep], t_account[keep]
    counts["transactions_files"], counts["transactions_listed"] = _write_listings(
        folder, "transactions", t_account, tx["time"][t_row],
        lambda sel: _tx_objects(raw, frozen, text, txids, t_row[sel], salt))
    native_listed = distinct(t_row[(tx["method"][t_row] == NATIVE) & (tx["value"][t_row] > 0)])
    counts["transfers"] += len(native_listed)
    counts["transactions"] = len(distinct(t_row))
    counts["signers_crawled"] = int(signer_seen.sum())
    return counts


def _write_listings(folder: Path, kind: str, account: np.ndarray, time: np.ndarray, items) -> tuple[int, int]:
    """Write rows grouped by account (newest first) as responses of at most LIMIT rows, a JSON list of
    responses per file; ``items(sel)`` gives the JSON text of the listed rows ``sel``. Returns (files, rows)."""
    order = np.lexsort((-time, account))
    acc = account[order]
    n = len(order)
    if n == 0:
        return 0, 0
    new_acc = np.r_[True, acc[1:] != acc[:-1]]
    acc_start = np.maximum.accumulate(np.where(new_acc, np.arange(n), 0))
    resp = np.cumsum(new_acc | ((np.arange(n) - acc_start) % LIMIT == 0)) - 1
    first = np.r_[True, resp[1:] != resp[:-1]]
    last = np.r_[resp[1:] != resp[:-1], True]
    sizes = np.bincount(resp)
    at = int(time.max()) * 1000
    # files end on a response boundary once they hold FILE_ROWS rows
    bounds, start = [], 0
    ends = np.flatnonzero(last) + 1
    while start < n:
        k = np.searchsorted(ends, start + FILE_ROWS)
        end = int(ends[min(k, len(ends) - 1)])
        bounds.append((start, end))
        start = end
    for number, (s, e) in enumerate(bounds, 1):
        sel = order[s:e]
        body = items(sel)
        r = resp[s:e]
        head = np.where(first[s:e], np.where(np.arange(e - s) == 0, '{"data":[\n', ',\n{"data":[\n'), "")
        tail = np.where(last[s:e], pc.binary_join_element_wise(
            '\n],"success":true,"meta":{"at":', str(at), ',"page_size":',
            pa.array(sizes[r]).cast(pa.string()), "}}", "").to_numpy(zero_copy_only=False), ",\n")
        joined = pc.binary_join_element_wise(pa.array(head), body, pa.array(tail), "")
        with open(folder / f"{kind}_{number:05d}.json", "wb") as f:
            f.write(b"[")
            f.write(_concat_text(joined))
            f.write(b"]\n")
    return len(bounds), n


def _trc20_items(w: World, raw: np.ndarray, frozen: Frozen, text: _Text58, txids: pa.Array, rows: np.ndarray,
                 detail: np.ndarray, salt: int) -> pa.Array:
    logs, tx = frozen.logs, frozen.tx
    txp = logs["tx"][rows]
    ms = pa.array(tx["time"][txp] * 1000).cast(pa.string())
    contracts = logs["contract"][rows]
    token_info = _token_info(w, raw)
    uniq = distinct(contracts)
    info = pa.array([token_info.get(int(c), "null") for c in uniq]).take(pa.array(np.searchsorted(uniq, contracts)))
    approval = logs["kind"][rows] == LOG_APPROVAL
    value = decimal_text(logs["amt"][rows], logs["scale"][rows], logs["unlimited"][rows] & approval)
    kind = pc.if_else(pa.array(approval), "Approval", "Transfer")
    empty = pa.array([""] * len(rows), type=pa.string())
    tail = empty
    if detail.any():
        objects = _tx_objects(raw, frozen, text, txids, txp[detail], salt)
        where = np.full(len(rows), -1)
        where[detail] = np.arange(int(detail.sum()))
        tail = pc.if_else(pa.array(detail), pc.binary_join_element_wise(
            ',"detail":', pc.take(objects, pa.array(np.maximum(where, 0))), ""), "")
    return pc.binary_join_element_wise(
        '{"transaction_id":"', txids.take(pa.array(txp)), '","token_info":', info, ',"block_timestamp":', ms,
        ',"from":"', text.base58(logs["a"][rows]), '","to":"', text.base58(logs["b"][rows]), '","type":"', kind,
        '","value":"', value, '"', tail, "}", "")


def _tx_objects(raw: np.ndarray, frozen: Frozen, text: _Text58, txids: pa.Array, txp: np.ndarray, salt: int) -> pa.Array:
    """The transaction objects (TronGrid's account-transactions items, or a TRC-20 row's ``detail``) of the
    transactions at positions ``txp``."""
    tx = frozen.tx
    method = tx["method"][txp]
    native = method == NATIVE
    ms = pa.array(tx["time"][txp] * 1000).cast(pa.string())
    block = pa.array(TRON_FIRST_BLOCK + (tx["time"][txp] - frozen.t0) // 3).cast(pa.string())
    owner = text.hex41(tx["sender"][txp])
    other = text.hex41(np.maximum(tx["to"][txp], 0))
    energy = np.where(native, 0, np.where(method == TRANSFER_FROM, 29_650, 13_345)).astype(np.int64)
    fee = pa.array(np.where(native, 0, energy * 420)).cast(pa.string())
    data = pc.utf8_slice_codeunits(_call_data(_Text(raw), tx, txp), 2)
    value = pa.array(tx["value"][txp]).cast(pa.string())
    trigger = pc.binary_join_element_wise(
        '{"parameter":{"value":{"data":"', data, '","owner_address":"', owner, '","contract_address":"', other,
        '"},"type_url":"type.googleapis.com/protocol.TriggerSmartContract"},"type":"TriggerSmartContract"}', "")
    transfer = pc.binary_join_element_wise(
        '{"parameter":{"value":{"amount":', value, ',"owner_address":"', owner, '","to_address":"', other,
        '"},"type_url":"type.googleapis.com/protocol.TransferContract"},"type":"TransferContract"}', "")
    contract = pc.if_else(pa.array(native), transfer, trigger)
    return pc.binary_join_element_wise(
        '{"txID":"', txids.take(pa.array(txp)), '","ret":[{"contractRet":"SUCCESS","fee":', fee, '}],"blockNumber":', block,
        ',"block_timestamp":', ms, ',"energy_usage_total":', pa.array(energy).cast(pa.string()),
        ',"raw_data":{"contract":[', contract, '],"timestamp":', ms, '},"internal_transactions":[]}', "")


def _concat_text(arr: pa.Array) -> bytes:
    """The characters of every string of ``arr`` back to back (its value buffer, sliced)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    return arr.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def _token_info(w: World, raw: np.ndarray) -> dict[int, str]:
    out = {}
    rows = [(t.entity, t.symbol, t.name, t.decimals) for t in w.tokens.values() if t.entity >= 0]
    rows += [(t["entity"], t["symbol"], t["name"], t["decimals"]) for t in w.extra_tokens]
    for entity, symbol, name, decimals in rows:
        address = b58check_encode(b"\x41" + bytes(raw[entity]))
        out[entity] = json.dumps({"symbol": symbol, "address": address, "decimals": decimals, "name": name},
                                 separators=(",", ":"))
    return out
