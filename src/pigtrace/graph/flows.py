"""The transaction-level, time-ordered flow store: every value transfer of the warehouse (every token and the
native coin) as one edge, in numpy arrays that tracing and case building walk without going back to SQL.

Place in the flow: store (ledger tables) -> **graph/flows** -> trace (methods, walk, run), case building.
This module is the only one that reads ledger rows for tracing. It reads the compact storage directly
(``store.compact``): the base tables ``ledger_transfers``, ``ledger_swaps`` and ``ledger_transactions``,
whose addresses and transaction hashes are integer refs, and the ``addresses`` / ``tx_hashes``
dictionaries for the little text it needs (plus ``tokens`` and ``ingest_log``). Every join between
ledger rows is on refs; a change of the compact layout touches only this file and ``store.compact``.

Layout (``FlowStore``):

- nodes: the address refs that send or receive a value transfer, numbered in (chain, address) order, so
  node ids are dense int32 and the ids of one chain are one contiguous, address-sorted range;
  ``addresses`` holds the text as fixed-width bytes, looked up by binary search.
- edges: one per transfer with a positive amount between two different addresses, in ledger order
  (time, block, log index): an edge's id is its place in that order, so "later than" is "larger id".
  Per edge: src, dst, asset (dense id of chain + token), time (epoch seconds), block, log_index, tx_ref
  (the transaction's ref in ``tx_hashes``: with the log index, the key of the edge's ledger row), amount
  (raw units as float64, for proportions; the exact integer stays in the warehouse) and usd (NaN when
  no price is known).
- CSR: ``out_ptr``/``out_idx`` list each node's outgoing edges and ``in_ptr``/``in_idx`` its incoming
  ones, both in ledger order, so "outgoing edges after time t" is a binary search in one slice.
- swap links: in a transaction with a DEX swap, a wallet's payment into the swap (token A to the pool,
  router or aggregator) is linked to what the swap paid back to the same wallet (token B): ``link_pay``
  -> ``link_get``, with the share of B's money that came from that payment (``link_taint``) and the
  share of the payment's value that went into that receipt (``link_value``). Tracing follows the link
  instead of stopping at the pool. ``dex_nodes`` are the pools and routers seen in swaps.

``load_flows(con)`` builds the store once per warehouse state and reuses it: in memory, and on disk
beside the database (``<db>.flows.npz``), keyed on the ingest log and the ledger's row counts (an in-memory
database is built each time).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pigtrace.arrays import distinct
from pigtrace.chains.registry import NATIVE, get_chain
from pigtrace.store.compact import base_table
from pigtrace.store.warehouse import no_progress_bar

FORMAT = 2  # bump when the arrays change meaning; older cache files are then rebuilt

TRANSFERS, SWAPS, TRANSACTIONS = (base_table(t) for t in ("transfers", "swaps", "transactions"))

# Value-bearing transfers only: tokens and native coin (NFTs carry no amount to follow), a real sender
# and receiver (a ref stands for one address of one chain), money actually moving.
_VALUE = """kind IN ('erc20', 'trc20', 'native') AND from_ref <> to_ref
            AND (amount > 0 OR amount_text IS NOT NULL)"""


@dataclass
class FlowStore:
    key: str
    chains: np.ndarray  # chain names ('U' array), index = chain id
    chain_start: np.ndarray  # int64, len(chains) + 1: node ids of chain c are chain_start[c]:chain_start[c+1]
    addresses: np.ndarray  # fixed-width bytes per node, sorted within each chain
    asset_chain: np.ndarray  # int32 chain id per asset
    asset_token: np.ndarray  # 'U' token contract (or 'native') per asset
    asset_symbol: np.ndarray  # 'U'
    asset_decimals: np.ndarray  # int32, -1 when unknown
    src: np.ndarray  # int32 per edge
    dst: np.ndarray  # int32
    asset: np.ndarray  # int32
    time: np.ndarray  # int64 epoch seconds
    block: np.ndarray  # int64
    log_index: np.ndarray  # int32
    tx_ref: np.ndarray  # int64
    amount: np.ndarray  # float64 raw units
    usd: np.ndarray  # float64, NaN when unknown
    out_ptr: np.ndarray  # int64, n_nodes + 1
    out_idx: np.ndarray  # int32 edge ids
    in_ptr: np.ndarray
    in_idx: np.ndarray
    link_pay: np.ndarray  # int32 edge ids, sorted
    link_get: np.ndarray  # int32 edge ids
    link_taint: np.ndarray  # float64
    link_value: np.ndarray  # float64
    dex_nodes: np.ndarray  # int32 node ids, sorted
    # what layers above derive from this store (endpoints per label state, ...): lives and dies with it
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ sizes and lookups
    @property
    def n_nodes(self) -> int:
        return len(self.addresses)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def chain_id(self, chain: str) -> int | None:
        hit = np.flatnonzero(self.chains == chain)
        return int(hit[0]) if len(hit) else None

    def node_chain(self, node: int) -> str:
        return str(self.chains[np.searchsorted(self.chain_start, node, side="right") - 1])

    def node_of(self, chain: str, address: str) -> int | None:
        ids = self.nodes_of(chain, [address])
        return int(ids[0]) if ids[0] >= 0 else None

    def nodes_of(self, chain: str, addresses) -> np.ndarray:
        """Node ids of ``addresses`` (canonical text) on ``chain``; -1 where the address has no transfer."""
        keys = np.asarray(list(addresses), dtype=object)
        out = np.full(len(keys), -1, dtype=np.int64)
        c = self.chain_id(chain)
        if c is None or not len(keys):
            return out
        lo, hi = int(self.chain_start[c]), int(self.chain_start[c + 1])
        width = self.addresses.dtype.itemsize
        enc = np.array([k.encode() if len(k) <= width else b"" for k in keys], dtype=self.addresses.dtype)
        pos = np.searchsorted(self.addresses[lo:hi], enc)
        ok = (pos < hi - lo) & (enc != b"")
        ok[ok] = self.addresses[lo:hi][pos[ok]] == enc[ok]
        out[ok] = pos[ok] + lo
        return out

    def address(self, node: int) -> str:
        return self.addresses[node].decode()

    def out_edges(self, node: int, after_time: int | None = None) -> np.ndarray:
        """Edge ids sent by ``node`` in ledger order; with ``after_time`` only those strictly later."""
        idx = self.out_idx[self.out_ptr[node]:self.out_ptr[node + 1]]
        if after_time is not None:
            idx = idx[np.searchsorted(self.time[idx], after_time, side="right"):]
        return idx

    def in_edges(self, node: int) -> np.ndarray:
        return self.in_idx[self.in_ptr[node]:self.in_ptr[node + 1]]

    def links_of(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(edge position in ``edges``, link row) for every swap link whose payment leg is in ``edges``."""
        lo = np.searchsorted(self.link_pay, edges, side="left")
        hi = np.searchsorted(self.link_pay, edges, side="right")
        n = hi - lo
        which = np.repeat(np.arange(len(edges)), n)
        rows = np.arange(n.sum()) + np.repeat(lo - np.cumsum(n) + n, n)
        return which, rows

    def decimals(self, asset: int) -> int:
        return int(self.asset_decimals[asset])

    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray))


# ---------------------------------------------------------------------- warehouse state and cache
_SAVED = [f for f in fields(FlowStore) if f.name != "derived"]


def state_key(con: duckdb.DuckDBPyConnection) -> str:
    """What the store depends on: the latest ingest (its number and when it started: a warehouse made again
    at the same path, whose cache file was left behind, numbers its ingests from 1 again) and the row counts
    of the ledger tables it reads."""
    row = con.execute(
        f"""SELECT (SELECT coalesce(max(id), 0) || '@' || coalesce(epoch_us(max(started)), 0) FROM ingest_log),
                   (SELECT count(*) FROM {TRANSFERS}),
                   (SELECT count(*) FROM {SWAPS}), (SELECT count(*) FROM {TRANSACTIONS}),
                   (SELECT count(*) FROM tokens)"""
    ).fetchall()[0]
    return f"v{FORMAT}:ingest={row[0]}:transfers={row[1]}:swaps={row[2]}:transactions={row[3]}:tokens={row[4]}"


_memory: dict[str, FlowStore] = {}
_MEMORY_SLOTS = 2


def db_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse's file path, or None for an in-memory database."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def cache_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    path = db_file(con)
    return Path(f"{path}.flows.npz") if path else None


def load_flows(con: duckdb.DuckDBPyConnection, disk: bool | None = None) -> FlowStore:
    """The flow store of the warehouse as it is now: from memory, from ``<db>.flows.npz``, or built.

    ``disk`` (default: on unless ``PIGTRACE_FLOW_CACHE=0``) reads and writes the file beside the
    database; a file that cannot be written (read-only folder) is simply not kept."""
    if disk is None:
        disk = os.environ.get("PIGTRACE_FLOW_CACHE", "1") != "0"
    key = state_key(con)
    where = db_file(con)
    if where is None:  # an in-memory database has no name to keep its store under
        return build_flows(con, key)
    slot = _memory.get(where)
    if slot is not None and slot.key == key:
        return slot
    path = cache_path(con) if disk else None
    store = _read(path, key) if path is not None else None
    if store is None:
        store = build_flows(con, key)
        if path is not None:
            _write(path, store)
    _memory[where] = store
    while len(_memory) > _MEMORY_SLOTS:
        _memory.pop(next(iter(_memory)))
    return store


def forget(con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Drop the in-memory copies (all, or this warehouse's)."""
    if con is None:
        _memory.clear()
    else:
        _memory.pop(db_file(con) or "", None)


def _read(path: Path, key: str) -> FlowStore | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key:
                return None
            return FlowStore(**{f.name: (str(z[f.name]) if f.name == "key" else z[f.name]) for f in _SAVED})
    except (OSError, ValueError, KeyError):
        return None  # damaged or from another version: rebuilt


def _write(path: Path, store: FlowStore) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{f_.name: (np.array(store.key) if f_.name == "key" else getattr(store, f_.name))
                           for f_ in _SAVED})
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


# ---------------------------------------------------------------------- building
def build_flows(con: duckdb.DuckDBPyConnection, key: str | None = None) -> FlowStore:
    """Read the ledger once and lay it out as arrays: the addresses, assets, transfers and swap parties.
    Rows are read with their refs and numbered in numpy; text is read only for the store's addresses and
    tokens, from the dictionary."""
    key = key or state_key(con)
    with no_progress_bar(con):
        # Unordered: the rows come back nearly in ledger order (ingests write block by block), which numpy's
        # stable sort finishes far faster than an ORDER BY over every column.
        cols = _ledger_order(con.execute(
            f"""SELECT from_ref, to_ref, token_ref, coalesce(epoch(time), 0)::BIGINT AS time,
                       coalesce(block_number, 0) AS block, log_index, tx_ref,
                       coalesce(amount::DOUBLE, TRY_CAST(amount_text AS DOUBLE)) AS amount,
                       coalesce(usd, 'NaN'::DOUBLE) AS usd, tx_ref IN (SELECT tx_ref FROM {SWAPS}) AS in_swap
                FROM {TRANSFERS} WHERE {_VALUE}"""
        ).fetchnumpy())
        # the parties of a swap: its pool, and whoever called the pool for someone else (a router)
        parties = con.execute(
            f"""SELECT tx_ref, pool_ref AS ref FROM {SWAPS} WHERE pool_ref IS NOT NULL
                UNION SELECT tx_ref, sender_ref FROM {SWAPS}
                      WHERE sender_ref IS NOT NULL AND sender_ref IS DISTINCT FROM recipient_ref
                        AND sender_ref IS DISTINCT FROM initiator_ref"""
        ).fetchnumpy()
        src_ref, dst_ref, token_ref = (np.asarray(cols[c], np.int64) for c in ("from_ref", "to_ref", "token_ref"))
        nodes = _dictionary_rows(con, _present(src_ref, dst_ref))
        assets = _dictionary_rows(con, _present(token_ref), ", k.symbol, k.decimals",
                                  "LEFT JOIN tokens k ON k.chain = a.chain AND k.address = a.address")
    chains, chain_start, addresses = _node_arrays(nodes)
    n = len(addresses)
    node_of = _numbering(nodes.column("ref").to_numpy())
    src, dst = node_of[src_ref], node_of[dst_ref]
    asset = _numbering(assets.column("ref").to_numpy())[token_ref]
    out_idx, out_ptr = _csr(src, n)
    in_idx, in_ptr = _csr(dst, n)
    tx_ref = np.asarray(cols["tx_ref"], dtype=np.int64)
    usd = np.asarray(cols["usd"], dtype=np.float64)
    p_tx, p_node = _party_nodes(parties, node_of)
    link = _swap_links(src, dst, asset, tx_ref, usd, np.flatnonzero(cols["in_swap"]), p_tx, p_node, n)
    asset_chain, asset_token, symbols, decimals = _asset_arrays(chains, assets)
    return FlowStore(
        key=key, chains=chains, chain_start=chain_start, addresses=addresses,
        asset_chain=asset_chain, asset_token=asset_token, asset_symbol=symbols, asset_decimals=decimals,
        src=src, dst=dst, asset=asset, time=np.asarray(cols["time"], dtype=np.int64),
        block=np.asarray(cols["block"], dtype=np.int64), log_index=np.asarray(cols["log_index"], dtype=np.int32),
        tx_ref=tx_ref, amount=np.asarray(cols["amount"], dtype=np.float64), usd=usd,
        out_ptr=out_ptr, out_idx=out_idx, in_ptr=in_ptr, in_idx=in_idx,
        link_pay=link[0], link_get=link[1], link_taint=link[2], link_value=link[3],
        dex_nodes=distinct(p_node).astype(np.int32),
    )


def _present(*refs: np.ndarray) -> np.ndarray:
    """The distinct refs of ``refs``, sorted (refs are dense dictionary positions: a mark per ref)."""
    size = max((int(r.max()) + 1 for r in refs if len(r)), default=0)
    seen = np.zeros(size, dtype=bool)
    for r in refs:
        seen[r] = True
    return np.flatnonzero(seen)


def _dictionary_rows(con: duckdb.DuckDBPyConnection, refs: np.ndarray, extra: str = "", join: str = "") -> pa.Table:
    """(ref, chain, address, ...) of ``refs`` from the address dictionary, in (chain, address) order."""
    con.register("pt_fs_refs", pa.table({"ref": pa.array(refs, pa.int64())}))
    try:
        return con.sql(
            f"""SELECT a.ref, a.chain, a.address{extra} FROM addresses a {join}
                WHERE a.ref IN (SELECT ref FROM pt_fs_refs) ORDER BY a.chain, a.address"""
        ).to_arrow_table()
    finally:
        con.unregister("pt_fs_refs")


def _numbering(refs: np.ndarray) -> np.ndarray:
    """A lookup from ref to its position in ``refs`` (-1 for a ref not in it), indexed by ref."""
    lookup = np.full(int(refs.max()) + 1 if len(refs) else 0, -1, dtype=np.int32)
    lookup[refs] = np.arange(len(refs), dtype=np.int32)
    return lookup


def _party_nodes(parties: dict, node_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tx ref, node) of the swap parties that are nodes (a router that only calls moves no value)."""
    ref = np.asarray(parties["ref"], dtype=np.int64)
    node = np.full(len(ref), -1, dtype=np.int64)
    known = ref < len(node_of)
    node[known] = node_of[ref[known]]
    keep = node >= 0
    return np.asarray(parties["tx_ref"], dtype=np.int64)[keep], node[keep]


def _asset_arrays(chains: np.ndarray, assets: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per asset: chain id, token, symbol and decimals (the native coin's from the chain registry)."""
    chain_id = {str(c): i for i, c in enumerate(chains)}
    asset_chain, symbols, decimals = [], [], []
    columns = (assets.column(c).to_pylist() for c in ("chain", "address", "symbol", "decimals"))
    for chain, token, symbol, dec in zip(*columns):
        asset_chain.append(chain_id[chain])
        if token == NATIVE:
            try:
                ch = get_chain(chain)
                symbol, dec = ch.native_symbol, ch.native_decimals
            except Exception:  # a chain this installation does not know: keep what the data says
                symbol = symbol or "native"
        symbols.append(symbol or token)
        decimals.append(-1 if dec is None else int(dec))
    return (np.array(asset_chain, dtype=np.int32), np.array(assets.column("address").to_pylist(), dtype=str),
            np.array(symbols, dtype=str), np.array(decimals, dtype=np.int32))


def _node_arrays(nodes: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chain_col = nodes.column("chain").to_numpy(zero_copy_only=False).astype(str)
    chains, first = np.unique(chain_col, return_index=True)
    order = np.argsort(first)
    chains = chains[order]
    chain_start = np.append(np.sort(first), len(chain_col)).astype(np.int64)
    addr = nodes.column("address").combine_chunks()
    if len(addr) == 0:
        return chains, chain_start, np.zeros(0, dtype="S42")
    lengths = np.diff(np.frombuffer(addr.buffers()[1], dtype=np.int32)[addr.offset:addr.offset + len(addr) + 1])
    width = int(lengths.max())
    if (lengths == width).all():  # every address as long as the widest (one chain family): view the buffer
        start = int(np.frombuffer(addr.buffers()[1], dtype=np.int32)[addr.offset])
        data = np.frombuffer(addr.buffers()[2], dtype=np.uint8)[start:start + width * len(addr)]
        addresses = data.view(f"S{width}").copy()
    else:
        addresses = np.array([s.encode() for s in addr.to_pylist()], dtype=f"S{width}")
    return chains, chain_start, addresses


def _ledger_order(cols: dict) -> dict:
    """Rows sorted by (time, block, log index): ledger order. Two stable sorts, by (block, log index) and
    then by time, each over rows that already come nearly in that order. Rows that tie on all three (two
    native transfers of one block, both log index -1; TronGrid rows of one second without an event index)
    are put in (transaction, sender, receiver, token, amount) order, so the order does not depend on the order
    DuckDB's threads returned them in."""
    log = cols["log_index"].astype(np.int64)
    key = cols["block"].astype(np.int64) * (1 << 22) + np.clip(log + (1 << 21), 0, (1 << 22) - 1)
    order = np.argsort(key, kind="stable")
    time = np.asarray(cols["time"])
    order = order[np.argsort(time[order], kind="stable")]
    order = _tie_break(order, time, key, cols)
    if np.all(order[1:] > order[:-1]):
        return cols
    return {k: np.asarray(v)[order] for k, v in cols.items()}


def _tie_break(order: np.ndarray, time: np.ndarray, key: np.ndarray, cols: dict) -> np.ndarray:
    """``order`` with each run of rows equal in (time, block, log index) sorted by the transaction, the
    parties, the token and the amount; only the tied rows are sorted again."""
    t, k = time[order], key[order]
    tied = (t[1:] == t[:-1]) & (k[1:] == k[:-1])
    if not tied.any():
        return order
    starts = np.flatnonzero(np.concatenate(([True], ~tied)))  # each run's first position
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(order))))
    member = np.zeros(len(order), dtype=bool)
    member[1:] |= tied
    member[:-1] |= tied
    at = np.flatnonzero(member)
    rows = order[at]
    amount = np.nan_to_num(np.asarray(cols["amount"], dtype=np.float64)[rows], nan=-1.0)
    by = np.lexsort((amount, np.asarray(cols["token_ref"])[rows], np.asarray(cols["to_ref"])[rows],
                     np.asarray(cols["from_ref"])[rows], np.asarray(cols["tx_ref"])[rows], run[at]))
    order = order.copy()
    order[at] = rows[by]
    return order


def _csr(key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids grouped by ``key`` (node), each group in ledger (edge id) order, and the group offsets.
    A stable sort in two 16-bit passes (numpy sorts 16-bit keys by radix)."""
    key = key.astype(np.uint32)
    low = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    idx = low[np.argsort((key[low] >> 16).astype(np.uint16), kind="stable")].astype(np.int32)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n), out=ptr[1:])
    return idx, ptr


def _pair_key(tx_ref: np.ndarray, node: np.ndarray, n_nodes: int) -> np.ndarray:
    """One exact 64-bit key per (transaction, node)."""
    return tx_ref.astype(np.int64) * np.int64(max(n_nodes, 1)) + node.astype(np.int64)


def _swap_links(src, dst, asset, tx_ref, usd, cand, p_tx, p_node, n_nodes):
    """Link each wallet's payments into a swap to what the swap paid back to it, per transaction.
    ``cand``: the edges of transactions with a swap; ``p_tx``/``p_node``: each such transaction's parties.

    A payment leg goes from a wallet that is not a swap party (pool, router) of its transaction to one that
    is; a return leg from a party to a non-party wallet. Legs of the same wallet and transaction in
    different assets are linked. ``link_taint``: the share of the return leg bought with that payment
    (by the payments' USD; equal shares when unknown). ``link_value``: the share of the payment's value
    that went into that return leg (by the returns' USD)."""
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
    if not len(p_tx) or not len(cand):
        return empty
    party = distinct(_pair_key(p_tx, p_node, n_nodes))
    s_party = np.isin(_pair_key(tx_ref[cand], src[cand], n_nodes), party)
    d_party = np.isin(_pair_key(tx_ref[cand], dst[cand], n_nodes), party)
    pay = cand[d_party & ~s_party]
    get = cand[s_party & ~d_party]
    if not len(pay) or not len(get):
        return empty
    pay_key = _pair_key(tx_ref[pay], src[pay], n_nodes)
    get_key = _pair_key(tx_ref[get], dst[get], n_nodes)
    order = np.argsort(pay_key, kind="stable")
    pay, pay_key = pay[order], pay_key[order]
    lo = np.searchsorted(pay_key, get_key, side="left")
    hi = np.searchsorted(pay_key, get_key, side="right")
    n = hi - lo
    g = np.repeat(get, n)
    p = pay[np.arange(n.sum()) + np.repeat(lo - np.cumsum(n) + n, n)]
    keep = asset[p] != asset[g]
    p, g = p[keep], g[keep]
    if not len(p):
        return empty
    w_p = np.where(np.isfinite(usd[p]) & (usd[p] > 0), usd[p], 0.0)
    w_g = np.where(np.isfinite(usd[g]) & (usd[g] > 0), usd[g], 0.0)
    taint = _shares(g, w_p)  # over the payments that bought return leg g
    value = _shares(p, w_g)  # over the return legs payment p bought
    order = np.argsort(p, kind="stable")
    return p[order].astype(np.int32), g[order].astype(np.int32), taint[order], value[order]


def _shares(group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each row's share of its group's weight; equal shares in a group whose weights are all zero."""
    _, inv, counts = np.unique(group, return_inverse=True, return_counts=True)
    total = np.bincount(inv, weights=weight)
    share = np.where(total[inv] > 0, weight / np.where(total[inv] > 0, total[inv], 1.0), 1.0 / counts[inv])
    return share


# ---------------------------------------------------------------------- rows back from the warehouse
def transaction_edges(con: duckdb.DuckDBPyConnection, store: FlowStore, tx_hash: str) -> tuple[str | None, np.ndarray]:
    """(chain, edge ids) of the value transfers of transaction ``tx_hash``; (None, []) when the warehouse
    has no transaction with that hash. A hash given with or without 0x is matched either way; a hash
    known on several chains is taken on the first (by name) where it moved value."""
    bare = tx_hash[2:] if tx_hash[:2].lower() == "0x" else tx_hash
    forms = sorted({tx_hash, bare, bare.lower(), "0x" + bare.lower()})
    refs = dict(con.execute(
        "SELECT ref, chain FROM tx_hashes WHERE hash IN (SELECT unnest(?::VARCHAR[]))", [forms]).fetchall())
    if not refs:
        return None, np.zeros(0, dtype=np.int64)
    within = {"refs": sorted(refs), "lo": min(refs), "hi": max(refs)}
    rows = con.execute(
        f"""SELECT DISTINCT tx_ref, coalesce(epoch(time), 0)::BIGINT FROM {TRANSFERS}
            WHERE tx_ref BETWEEN $lo AND $hi AND tx_ref IN (SELECT unnest($refs::BIGINT[])) AND {_VALUE}""",
        within,
    ).fetchall()
    if not rows:
        known = con.execute(
            f"""SELECT tx_ref FROM {TRANSACTIONS}
                WHERE tx_ref BETWEEN $lo AND $hi AND tx_ref IN (SELECT unnest($refs::BIGINT[])) LIMIT 1""", within
        ).fetchall()
        return (refs[known[0][0]] if known else None), np.zeros(0, dtype=np.int64)
    chain = min(refs[r] for r, _ in rows)
    found = []
    for tx_ref, time in (r for r in rows if refs[r[0]] == chain):
        # edges are in time order: the transaction's are among those of its second
        lo, hi = np.searchsorted(store.time, [time, time + 1])
        found.append(lo + np.flatnonzero(store.tx_ref[lo:hi] == tx_ref))
    return chain, distinct(np.concatenate(found).astype(np.int64))


def edge_rows(con: duckdb.DuckDBPyConnection, store: FlowStore, edges: np.ndarray) -> dict[int, dict]:
    """Per edge id: its transaction hash and its exact amount in token units (decimal text), read back
    from the stored transfers by the row's key, (tx ref, log index), and from the hash dictionary."""
    edges = distinct(np.asarray(edges, dtype=np.int64))
    if not len(edges):
        return {}
    con.register("pt_fs_tx_refs", pa.table({"ref": pa.array(distinct(store.tx_ref[edges]), pa.int64())}))
    try:
        # two integer semi-joins: the ledger rows of those transactions, and their hashes
        raw = {(t, i): r for t, i, r in con.execute(
            f"""SELECT tx_ref, log_index, coalesce(amount::VARCHAR, amount_text) FROM {TRANSFERS}
                WHERE tx_ref IN (SELECT ref FROM pt_fs_tx_refs)""").fetchall()}
        hashes = dict(con.execute(
            "SELECT ref, hash FROM tx_hashes WHERE ref IN (SELECT ref FROM pt_fs_tx_refs)").fetchall())
    finally:
        con.unregister("pt_fs_tx_refs")
    out: dict[int, dict] = {}
    for eid, tx_ref, log_index in zip(edges.tolist(), store.tx_ref[edges].tolist(), store.log_index[edges].tolist()):
        if (tx_ref, log_index) not in raw:
            continue
        out[eid] = {"tx_hash": hashes.get(tx_ref), "amount": _token_units(raw[tx_ref, log_index],
                                                                          store.decimals(int(store.asset[eid])))}
    return out


def _token_units(raw: str | None, decimals: int) -> str | None:
    """Raw integer units as decimal text in token units; the raw text when the decimals are unknown."""
    amount = raw if raw is None or decimals < 0 else str(Decimal(raw).scaleb(-decimals).normalize())
    return f"{Decimal(amount):f}" if amount is not None and "E" in amount else amount
