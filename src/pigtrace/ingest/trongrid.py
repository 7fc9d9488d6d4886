"""`pigtrace ingest trongrid PATH`: TronGrid v1 TRC-20 transfer responses into the warehouse.

Accepts the plain API response (``{"data": [...], "success": true, "meta": {...}}``), a file that wraps
responses by account (``{"T...": {"data": [...]}}``), a JSON list of responses (pages), JSON-lines of
items, or a folder of such files. Each item becomes a ``transfers`` row (kind ``trc20``, Tron addresses in
base58check) and, when the item carries ``detail``, a ``transactions`` row whose ``from`` is the signer
(``owner_address``) so ``initiator`` is known. Addresses are validated (checksums) and amounts kept exact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from pigtrace.chains.addresses import normalize_tron
from pigtrace.chains.registry import find_asset, usd_price
from pigtrace.errors import IngestError, InvalidAddress
from pigtrace.store.warehouse import atomic, insert_rows, log_ingest

CHAIN = "tron"
_SELECTORS = {"a9059cbb": "0xa9059cbb", "23b872dd": "0x23b872dd", "095ea7b3": "0x095ea7b3"}


def _items(doc: Any, where: str) -> Iterator[tuple[str, dict]]:
    """Yield (location, item) for every transfer item in one parsed document."""
    if isinstance(doc, list):
        for i, page in enumerate(doc):
            if isinstance(page, dict) and "data" in page:
                yield from _items(page, f"{where}[{i}]")
            elif isinstance(page, dict):
                yield f"{where}[{i}]", page
            else:
                raise IngestError(f"{where}[{i}]: expected a TronGrid response or transfer object")
        return
    if not isinstance(doc, dict):
        raise IngestError(f"{where}: expected a JSON object (TronGrid response)")
    if "data" in doc:
        if doc.get("success") is False:
            raise IngestError(f"{where}: TronGrid response has success=false ({doc.get('error', 'no reason given')})")
        if not isinstance(doc["data"], list):
            raise IngestError(f"{where}: field 'data' should be a list of transfers")
        for i, item in enumerate(doc["data"]):
            yield f"{where}: data[{i}]", item
        return
    if "transaction_id" in doc:
        yield where, doc
        return
    wrapped = [(k, v) for k, v in doc.items() if isinstance(v, dict) and "data" in v]
    if not wrapped:
        raise IngestError(f"{where}: no 'data' list found (is this a TronGrid v1 trc20 response?)")
    for key, response in wrapped:
        yield from _items(response, f"{where}: {key}")


def _documents(path: Path) -> Iterator[tuple[str, Any]]:
    files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl")) if path.is_dir() else [path]
    if not files:
        raise IngestError(f"{path}: no .json files found")
    for f in files:
        try:
            text = f.read_text()
        except OSError as e:
            raise IngestError(f"{f}: cannot read: {e.strerror}") from None
        try:
            yield str(f), json.loads(text)
        except json.JSONDecodeError as e:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if len(lines) > 1:  # JSON-lines
                for n, line in enumerate(text.splitlines(), 1):
                    if line.strip():
                        try:
                            yield f"{f}:{n}", json.loads(line)
                        except json.JSONDecodeError as e2:
                            raise IngestError(f"{f}: line {n}: invalid JSON ({e2.msg})") from None
            else:
                raise IngestError(f"{f}: line {e.lineno}: invalid JSON ({e.msg})") from None


def _required(item: dict, field: str, where: str) -> Any:
    if item.get(field) in (None, ""):
        raise IngestError(f"{where}: missing field '{field}'")
    return item[field]


def _address(value: str, field: str, where: str) -> str:
    try:
        return normalize_tron(value)
    except InvalidAddress as e:
        raise IngestError(f"{where}: field '{field}': {e}") from None


def _rows(path: Path) -> tuple[list[dict], list[dict], list[dict]]:
    transfers: list[dict] = []
    transactions: dict[str, dict] = {}
    tokens: dict[str, dict] = {}
    per_tx: dict[str, int] = {}
    for where_file, doc in _documents(path):
        for where, item in _items(doc, where_file):
            txid = str(_required(item, "transaction_id", where)).lower().removeprefix("0x")
            info = _required(item, "token_info", where)
            token = _address(_required(info, "address", where), "token_info.address", where)
            value = str(_required(item, "value", where))
            if not value.isdigit():
                raise IngestError(f"{where}: field 'value': {value!r} is not a non-negative integer")
            ts = _required(item, "block_timestamp", where)
            if not isinstance(ts, int):
                raise IngestError(f"{where}: field 'block_timestamp': {ts!r} is not milliseconds since 1970")
            time = datetime.fromtimestamp(ts / 1000, timezone.utc).replace(tzinfo=None)
            decimals = info.get("decimals")
            frm = _address(_required(item, "from", where), "from", where)
            to = _address(_required(item, "to", where), "to", where)
            detail = item.get("detail") or {}
            block = detail.get("blockNumber")
            contract = ((detail.get("raw_data") or {}).get("contract") or [{}])[0]
            param = (contract.get("parameter") or {}).get("value") or {}
            signer = _address(param["owner_address"], "detail...owner_address", where) if param.get("owner_address") else None
            call = str(param.get("data") or "")
            ret = (detail.get("ret") or [{}])[0]
            status = None if not ret else (1 if ret.get("contractRet") == "SUCCESS" else 0)
            asset = find_asset(CHAIN, token)
            price, source = usd_price(asset) if asset else (None, None)
            amount = int(value)
            # TronGrid's trc20 endpoint gives no log index: number the transfers of one transaction in order
            log_index = per_tx.get(txid, 0)
            per_tx[txid] = log_index + 1
            transfers.append(
                {
                    "chain": CHAIN, "tx_hash": txid, "log_index": log_index, "block_number": block, "time": time,
                    "token": token, "kind": "trc20", "from_address": frm, "to_address": to,
                    "amount": value if amount < 2**128 else None, "amount_text": value if amount >= 2**128 else None,
                    "token_id": None, "initiator": signer,
                    "usd": amount / 10**asset.decimals * price if price is not None else None,
                    "usd_source": source if price is not None else None,
                }
            )
            if detail:
                transactions[txid] = {
                    "chain": CHAIN, "hash": txid, "block_number": block, "transaction_index": None, "time": time,
                    "from_address": signer, "to_address": token, "value": "0", "value_text": None, "gas": None,
                    "gas_price": None, "status": status, "method_id": _SELECTORS.get(call[:8]), "nonce": None,
                }
            tokens[token] = {
                "chain": CHAIN, "address": token, "symbol": info.get("symbol"), "name": info.get("name"),
                "decimals": int(decimals) if decimals is not None else None, "total_supply": None,
            }
    return transfers, list(transactions.values()), list(tokens.values())


def ingest_trongrid(con, path: str | Path) -> dict[str, int]:
    source = Path(path)
    if not source.exists():
        raise IngestError(f"{source}: no such file or folder")
    transfers, transactions, tokens = _rows(source)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    added = {"transactions": 0, "transfers": 0, "tokens": 0}
    with atomic(con):
        for table, rows in (("transactions", transactions), ("transfers", transfers), ("tokens", tokens)):
            added[table] = insert_rows(con, table, rows)
        log_ingest(con, "trongrid", str(source), CHAIN, started, added)
    return added
