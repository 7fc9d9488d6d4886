"""Mapping TronGrid items to columns for `pigtrace ingest trongrid` (after ``trongrid_read``, before
``trongrid`` stages them in DuckDB).

One mapper per item kind, each checking the fields it reads and naming the item and field when one is
missing or malformed. Addresses are validated once per distinct text (base58check ``T...`` or 41-hex)
and stored in base58check; raw amounts stay decimal text until DuckDB casts them exactly.

- A ``trc20`` item (Transfer or Approval row) gives one row of ``trc20``; its optional ``detail`` (the
  transaction object, as ``gettransactionbyid`` returns it) gives the signer, block and transaction row.
- A ``transaction`` item gives a ``transactions`` row: the signer (``owner_address``) and the contract
  the transaction names (the TRX receiver, the called contract, the account resources are delegated to),
  and a ``native`` TRX transfer for a TransferContract amount or a contract call's ``call_value``.
- An ``internal`` item gives a ``native`` TRX transfer for its ``call_value``.
"""

from __future__ import annotations

from typing import Any

from pigtrace.chains.addresses import normalize_tron
from pigtrace.errors import IngestError, InvalidAddress
from pigtrace.ingest.trongrid_read import Item

TRC20_TYPES = ("Transfer", "Approval")
# The field naming the other party of each system contract (TriggerSmartContract: the called contract).
_COUNTERPARTY = {
    "TransferContract": "to_address", "TransferAssetContract": "to_address",
    "TriggerSmartContract": "contract_address", "DelegateResourceContract": "receiver_address",
    "UnDelegateResourceContract": "receiver_address",
}
_COLUMNS = {
    "trc20": ["listing", "seq", "type", "tx_hash", "ms", "token", "from_address", "to_address", "value",
              "block_number", "signer"],
    "transactions": ["hash", "block_number", "ms", "from_address", "to_address", "value", "status",
                     "method_id", "gas"],
    "native": ["tx_hash", "internal_id", "block_number", "ms", "from_address", "to_address", "amount", "initiator"],
}


class Columns:
    """Column lists per output table, filled item by item, plus the tokens met (by address)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, list]] = {t: {c: [] for c in cols} for t, cols in _COLUMNS.items()}
        self.tokens: dict[str, dict] = {}
        self._addresses: dict[str, str] = {}

    def add(self, table: str, **row: Any) -> None:
        for column, values in self.data[table].items():
            values.append(row.get(column))

    def address(self, value: Any, field: str, where: str) -> str:
        """The base58check form of a Tron address given as base58 or 41-hex; IngestError naming the field."""
        got = self._addresses.get(value) if isinstance(value, str) else None
        if got is not None:
            return got
        if not isinstance(value, str):
            raise IngestError(f"{where}: field '{field}': {value!r} is not a Tron address")
        try:
            got = normalize_tron(value)
        except InvalidAddress as e:
            raise IngestError(f"{where}: field '{field}': {e}") from None
        self._addresses[value] = got
        return got


def _get(obj: dict, path: str, where: str, required: bool = True) -> Any:
    """The value at a dotted ``path`` (``[0]`` takes a list's first element); None or IngestError if absent."""
    value: Any = obj
    for part in path.split("."):
        index = part.endswith("[0]")
        key = part.removesuffix("[0]")
        value = value.get(key) if isinstance(value, dict) else None
        if index:
            value = value[0] if isinstance(value, list) and value else None
        if value is None or value == "":
            if required:
                raise IngestError(f"{where}: missing field '{path}'")
            return None
    return value


def _ms(value: Any, field: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise IngestError(f"{where}: field '{field}': {value!r} is not milliseconds since 1970")
    return value


def _amount(value: Any, field: str, where: str) -> str:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise IngestError(f"{where}: field '{field}': {value!r} is not a non-negative integer")
    return text


def transaction(cols: Columns, tx: dict, where: str, fallback_ms: int | None = None, prefix: str = "") -> dict:
    """Map one transaction object (an account-transactions item, or a TRC-20 item's ``detail``); returns
    its hash, signer and block for the caller."""
    field = lambda name: f"{prefix}{name}"  # noqa: E731 - the field as the user's file names it
    if not tx.get("txID"):
        raise IngestError(f"{where}: missing field '{field('txID')}'")
    txid = str(tx["txID"]).lower().removeprefix("0x")
    contract = _get(tx, "raw_data.contract[0]", where, required=False)
    if contract is None:
        raise IngestError(f"{where}: missing field '{field('raw_data.contract[0]')}'")
    kind = _get(contract, "type", where, required=False)
    value = _get(contract, "parameter.value", where, required=False)
    if kind is None or not isinstance(value, dict):
        raise IngestError(f"{where}: field '{field('raw_data.contract[0]')}': no 'type' or 'parameter.value'")
    owner_raw = value.get("owner_address")
    if not owner_raw:
        raise IngestError(f"{where}: missing field '{field('raw_data.contract[0].parameter.value.owner_address')}'")
    value_field = field("raw_data.contract[0].parameter.value.")
    signer = cols.address(owner_raw, value_field + "owner_address", where)
    other_key = _COUNTERPARTY.get(kind) or next((k for k in ("to_address", "receiver_address", "contract_address")
                                                 if value.get(k)), None)
    other = cols.address(value[other_key], value_field + other_key, where) if other_key and value.get(other_key) else None
    ms = tx.get("block_timestamp", fallback_ms)
    if ms is None:
        raise IngestError(f"{where}: missing field '{field('block_timestamp')}'")
    ms = _ms(ms, field("block_timestamp"), where)
    block = tx.get("blockNumber")
    if block is not None and (isinstance(block, bool) or not isinstance(block, int)):
        raise IngestError(f"{where}: field '{field('blockNumber')}': {block!r} is not a block number")
    ret = _get(tx, "ret[0]", where, required=False)
    status = None if not isinstance(ret, dict) or "contractRet" not in ret else int(ret["contractRet"] == "SUCCESS")
    moved = "0"
    if kind == "TransferContract":
        moved = _amount(value.get("amount"), value_field + "amount", where)
    elif kind == "TriggerSmartContract" and value.get("call_value"):
        moved = _amount(value["call_value"], value_field + "call_value", where)
    if kind == "TriggerSmartContract":
        data = str(value.get("data") or "")
        method = "0x" + data[:8].lower() if len(data) >= 8 else None
    else:
        method = None if kind == "TransferContract" else kind  # system contracts have no selector: their type
    cols.add("transactions", hash=txid, block_number=block, ms=ms, from_address=signer, to_address=other,
             value=moved, status=status, method_id=method, gas=tx.get("energy_usage_total"))
    if moved != "0" and status != 0 and other is not None:
        cols.add("native", tx_hash=txid, internal_id="", block_number=block, ms=ms, from_address=signer,
                 to_address=other, amount=moved, initiator=signer)
    return {"hash": txid, "signer": signer if kind == "TriggerSmartContract" else None, "block": block}


def trc20(cols: Columns, item: Item, seq: int) -> None:
    body, where = item.body, item.where
    txid = str(_get(body, "transaction_id", where)).lower().removeprefix("0x")
    info = _get(body, "token_info", where)
    if not isinstance(info, dict):
        raise IngestError(f"{where}: field 'token_info': expected an object")
    token = cols.address(_get(body, "token_info.address", where), "token_info.address", where)
    kind = body.get("type") or "Transfer"
    if kind not in TRC20_TYPES:
        raise IngestError(f"{where}: field 'type': {kind!r} (expected Transfer or Approval)")
    value = _amount(_get(body, "value", where), "value", where)
    ms = _ms(_get(body, "block_timestamp", where), "block_timestamp", where)
    frm = cols.address(_get(body, "from", where), "from", where)
    to = cols.address(_get(body, "to", where), "to", where)
    signer = block = None
    detail = body.get("detail")
    if detail:
        if not isinstance(detail, dict):
            raise IngestError(f"{where}: field 'detail': expected an object")
        got = transaction(cols, {"txID": txid, **detail}, where, fallback_ms=ms, prefix="detail.")
        if got["hash"] != txid:
            raise IngestError(f"{where}: field 'detail.txID': {got['hash']!r} is not this item's transaction_id")
        signer, block = got["signer"], got["block"]
    cols.add("trc20", listing=item.listing, seq=seq, type=kind, tx_hash=txid, ms=ms, token=token, from_address=frm,
             to_address=to, value=value, block_number=block, signer=signer)
    decimals = info.get("decimals")
    if decimals is not None and not str(decimals).isdigit():
        raise IngestError(f"{where}: field 'token_info.decimals': {decimals!r} is not a number")
    known = cols.tokens.get(token)
    if known is None or known["decimals"] is None:
        cols.tokens[token] = {"address": token, "symbol": info.get("symbol"), "name": info.get("name"),
                              "decimals": int(decimals) if decimals is not None else None}


def internal(cols: Columns, item: Item) -> None:
    body, where = item.body, item.where
    txid = str(_get(body, "tx_id", where)).lower()
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise IngestError(f"{where}: field 'data': expected an object")
    trx = (data.get("call_value") or {}).get("_") if isinstance(data.get("call_value"), dict) else None
    if not trx or data.get("rejected"):
        return  # no TRX moved (TRC-10 call values are not read)
    cols.add("native", tx_hash=txid, internal_id=str(_get(body, "internal_tx_id", where)), block_number=None,
             ms=_ms(_get(body, "block_timestamp", where), "block_timestamp", where),
             from_address=cols.address(_get(body, "from_address", where), "from_address", where),
             to_address=cols.address(_get(body, "to_address", where), "to_address", where),
             amount=_amount(trx, "data.call_value._", where), initiator=None)


def map_items(items) -> Columns:
    cols = Columns()
    for seq, item in enumerate(items):
        if item.kind == "trc20":
            trc20(cols, item, seq)
        elif item.kind == "transaction":
            transaction(cols, item.body, item.where)
        else:
            internal(cols, item)
    return cols
