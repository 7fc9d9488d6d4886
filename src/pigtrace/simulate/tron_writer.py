"""Writes a frozen ledger as TronGrid v1 TRC-20 transfer pages (``trongrid/page_NNNNN.json``): the shape of
``GET /v1/accounts/{address}/transactions/trc20`` — ``{"data": [...], "success": true, "meta": {...}}`` —
each item with ``transaction_id``, ``token_info``, ``block_timestamp`` (ms), base58check ``from``/``to``,
``type: "Transfer"``, the exact raw ``value``, and a ``detail`` object (as TronGrid's transaction-info
endpoints give it) whose ``raw_data.contract[0].parameter.value`` names the signer (``owner_address``),
the called contract and the call data, so a transferFrom's initiator is known.

TronGrid's TRC-20 endpoint carries transfers only: native TRX movements (gas top-ups) and Approval events
are not written. Items are assembled as JSON text column-wise with pyarrow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pigtrace.chains.addresses import b58check_encode
from pigtrace.simulate.addressbook import hash32_ascii
from pigtrace.simulate.context import World
from pigtrace.simulate.etl_writer import _call_data, _strings, _Text, decimal_text
from pigtrace.simulate.ledger import LOG_TRANSFER, Frozen

PAGE = 20_000
TRON_FIRST_BLOCK = 68_500_000  # a Tron block height of early 2025; Tron makes a block every 3 seconds


def _base58(raw: np.ndarray) -> pa.Array:
    return pa.array([b58check_encode(b"\x41" + bytes(r)) for r in raw], type=pa.string())


def _hex41(raw: np.ndarray) -> pa.Array:
    text = _Text(raw).hex40
    n = len(raw)
    return _strings(np.concatenate([np.broadcast_to(np.frombuffer(b"41", np.uint8), (n, 2)), text], axis=1))


def write_trongrid(out: Path, frozen: Frozen, w: World, salt: int) -> dict[str, int]:
    folder = out / "trongrid"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page_*.json"):
        old.unlink()
    raw = w.book.raw()
    tx, logs = frozen.tx, frozen.logs
    keep = np.flatnonzero(logs["kind"] == LOG_TRANSFER)
    used = np.unique(np.concatenate([logs["a"][keep], logs["b"][keep], tx["sender"], tx["to"]]))
    index = np.full(len(raw), -1, dtype=np.int64)
    index[used] = np.arange(len(used))
    b58 = _base58(raw[used])
    h41 = _hex41(raw[used])
    token_info = _token_info(w, raw)
    n_pages = 0
    for start in range(0, len(keep), PAGE):
        rows = keep[start : start + PAGE]
        txp = logs["tx"][rows]
        txid = _strings(hash32_ascii(txp, salt))
        ms = pa.array(tx["time"][txp] * 1000).cast(pa.string())
        block = pa.array(TRON_FIRST_BLOCK + (tx["time"][txp] - frozen.t0) // 3).cast(pa.string())
        info = pa.array([token_info.get(int(c), "null") for c in np.unique(logs["contract"][rows])])
        info = info.take(pa.array(np.searchsorted(np.unique(logs["contract"][rows]), logs["contract"][rows])))
        value = decimal_text(logs["amt"][rows], logs["scale"][rows])
        data = pc.utf8_slice_codeunits(_call_data(_Text(raw), tx, txp), 2)
        fee = pa.array(np.where(tx["sender"][txp] == logs["a"][rows], 13_844_850, 27_258_900)).cast(pa.string())
        take = lambda arr, ents: arr.take(pa.array(index[ents]))
        parts = [
            '{"transaction_id":"', txid, '","token_info":', info, ',"block_timestamp":', ms,
            ',"from":"', take(b58, logs["a"][rows]), '","to":"', take(b58, logs["b"][rows]),
            '","type":"Transfer","value":"', value,
            '","detail":{"ret":[{"contractRet":"SUCCESS","fee":', fee, '}],"txID":"', txid, '","blockNumber":', block,
            ',"block_timestamp":', ms, ',"raw_data":{"contract":[{"parameter":{"value":{"data":"', data,
            '","owner_address":"', take(h41, tx["sender"][txp]), '","contract_address":"', take(h41, tx["to"][txp]),
            ('"},"type_url":"type.googleapis.com/protocol.TriggerSmartContract"},"type":"TriggerSmartContract"}],'
             '"timestamp":'), ms, '}}}',
        ]
        items = pc.binary_join_element_wise(*parts, "")
        body = pc.binary_join_element_wise(items, pa.array([",\n"] * (len(rows) - 1) + [""]), "")
        text = _concat_text(body)
        meta = json.dumps({"at": int(tx["time"][txp].max()) * 1000, "page_size": len(rows)})
        n_pages += 1
        with open(folder / f"page_{n_pages:05d}.json", "wb") as f:
            f.write(b'{"data":[\n')
            f.write(text)
            f.write(b'\n],"success":true,"meta":' + meta.encode() + b"}\n")
    return {"trongrid_pages": n_pages, "transfers": len(keep)}


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
