"""Reading TronGrid v1 JSON for `pigtrace ingest trongrid`: files to documents, documents to items.

First step of the TronGrid flow (read -> ``trongrid_map`` -> ``trongrid`` stages and merges). A file holds
a plain API response (``{"data": [...], "success": true, "meta": {...}}``), responses wrapped by account
(``{"T...": {"data": [...]}}``), a JSON list of responses (pages) or of items, or JSON-lines of items or
responses; a folder is read file by file (``*.json``, ``*.jsonl``) in name order. Each item is yielded
with its location (file, key, ``data[i]``) and its kind, told by its own fields:

- ``trc20``: an item of ``/v1/accounts/{address}/transactions/trc20`` (``transaction_id``, ``token_info``),
- ``transaction``: an item of ``/v1/accounts/{address}/transactions`` (``txID``, ``raw_data``),
- ``internal``: an internal transaction listed by that endpoint (``internal_tx_id``).

Items of one ``data`` list share a ``listing`` number: the identity of a transfer counts repeats within
one account's listing only (see ``trongrid``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pigtrace.errors import IngestError

KINDS = ("trc20", "transaction", "internal")


@dataclass
class Item:
    where: str
    kind: str
    listing: int
    body: dict


def item_kind(obj: dict) -> str | None:
    if "transaction_id" in obj:
        return "trc20"
    if "txID" in obj or "raw_data" in obj:
        return "transaction"
    if "internal_tx_id" in obj:
        return "internal"
    return None


class _Listings:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _items(doc: Any, where: str, listings: _Listings, listing: int | None = None) -> Iterator[Item]:
    """Every item of one parsed document; ``listing`` numbers the ``data`` list an item came from."""
    if isinstance(doc, list):
        loose = listing if listing is not None else listings.next()
        for i, part in enumerate(doc):
            if isinstance(part, dict) and "data" in part:
                yield from _items(part, f"{where}[{i}]", listings)
            elif isinstance(part, dict) and item_kind(part):
                yield Item(f"{where}[{i}]", item_kind(part), loose, part)
            else:
                raise IngestError(f"{where}[{i}]: expected a TronGrid response or a transfer/transaction object")
        return
    if not isinstance(doc, dict):
        raise IngestError(f"{where}: expected a JSON object (TronGrid response)")
    if "data" in doc:
        if doc.get("success") is False:
            raise IngestError(f"{where}: TronGrid response has success=false ({doc.get('error', 'no reason given')})")
        if not isinstance(doc["data"], list):
            raise IngestError(f"{where}: field 'data' should be a list of transfers or transactions")
        number = listings.next()
        for i, item in enumerate(doc["data"]):
            kind = item_kind(item) if isinstance(item, dict) else None
            if kind is None:
                raise IngestError(f"{where}: data[{i}]: not a TronGrid item (no 'transaction_id', 'txID' or "
                                  "'internal_tx_id' field)")
            yield Item(f"{where}: data[{i}]", kind, number, item)
        return
    kind = item_kind(doc)
    if kind:
        yield Item(where, kind, listing if listing is not None else listings.next(), doc)
        return
    wrapped = [(k, v) for k, v in doc.items() if isinstance(v, dict) and "data" in v]
    if not wrapped:
        raise IngestError(f"{where}: no 'data' list found (is this a TronGrid v1 response?)")
    for key, response in wrapped:
        yield from _items(response, f"{where}: {key}", listings)


def _documents(path: Path) -> Iterator[tuple[str, Any, bool]]:
    """(location, parsed document, is one JSON-lines record) for every file under ``path``."""
    files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()) if path.is_dir() else [path]
    if not files:
        raise IngestError(f"{path}: no .json or .jsonl files found")
    for f in files:
        try:
            text = f.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise IngestError(f"{f}: cannot read: {getattr(e, 'strerror', None) or e}") from None
        try:
            yield str(f), json.loads(text), False
        except json.JSONDecodeError as e:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if len(lines) <= 1:
                raise IngestError(f"{f}: line {e.lineno}: invalid JSON ({e.msg})") from None
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        yield f"{f}:{n}", json.loads(line), True
                    except json.JSONDecodeError as e2:
                        raise IngestError(f"{f}: line {n}: invalid JSON ({e2.msg})") from None


def read_items(path: Path) -> Iterator[Item]:
    """Every TronGrid item under ``path`` (a file or a folder), in file order."""
    listings = _Listings()
    current_file, file_listing = None, None
    for where, doc, line_record in _documents(path):
        if line_record:
            # the loose items of one JSON-lines file form one listing
            name = where.rsplit(":", 1)[0]
            if name != current_file:
                current_file, file_listing = name, listings.next()
            yield from _items(doc, where, listings, file_listing)
        else:
            yield from _items(doc, where, listings)
