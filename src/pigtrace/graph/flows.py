"""The transaction-level, time-ordered flow store: every value transfer of the warehouse (every token and the
native coin) as one edge, in numpy arrays that tracing and case building walk without going back to SQL.

Place in the flow: store (ledger tables) -> **graph/flows** -> trace (methods, walk, run), case building.
This module is the only one that reads ledger rows for tracing, and it reads them through SQL on the
table names and columns of the data contract (``transfers``, ``transactions``, ``swaps``, plus ``tokens``
and ``ingest_log``), in the few queries below, so a change of the storage behind those names touches only
this file.

Layout (``FlowStore``):

- nodes: (chain, address) pairs dictionary-encoded in DuckDB (``row_number`` in address order, joined by
  hash), so node ids are dense int32 and the ids of one chain are one contiguous, address-sorted range;
  ``addresses`` holds the text as fixed-width bytes, looked up by binary search.
- edges: one per transfer with a positive amount between two different addresses, in ledger order
  (time, block, log index): an edge's id is its place in that order, so "later than" is "larger id". Per edge: src, dst, asset (dense id of chain + token), time (epoch seconds), block,
  log_index, txh (DuckDB's 64-bit hash of the transaction hash: enough to find the row again), amount
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
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pigtrace.chains.registry import NATIVE, get_chain
from pigtrace.store.compact import base_table

FORMAT = 1  # bump when the arrays change meaning; older cache files are then rebuilt

# Value-bearing transfers only: tokens and native coin (NFTs carry no amount to follow), a real sender
# and receiver, money actually moving.
_VALUE = """kind IN ('erc20', 'trc20', 'native') AND from_address <> to_address
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
    txh: np.ndarray  # uint64
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
    """What the store depends on: the latest ingest, the row counts of the ledger tables it reads, and the
    DuckDB version."""
    # counted on the stored tables: a count through the text views pays their joins back to text
    transfers, swaps, transactions = (base_table(t) for t in ("transfers", "swaps", "transactions"))
    row = con.execute(
        f"""SELECT (SELECT coalesce(max(id), 0) FROM ingest_log), (SELECT count(*) FROM {transfers}),
                   (SELECT count(*) FROM {swaps}), (SELECT count(*) FROM {transactions}),
                   (SELECT count(*) FROM tokens)"""
    ).fetchall()[0]
    # the store holds DuckDB's hashes of transaction hashes (to find rows again): another DuckDB may hash otherwise
    return (f"v{FORMAT}:duckdb={duckdb.__version__}:ingest={row[0]}:transfers={row[1]}:swaps={row[2]}"
            f":transactions={row[3]}:tokens={row[4]}")


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
    Addresses are grouped and joined by two independent 64-bit DuckDB hashes of (chain, address), never by
    their text (two addresses sharing both: about 1e-26 for a million addresses). Tokens are few and keyed
    by one hash; should two share it, the hash is salted and the reading repeated."""
    key = key or state_key(con)
    with _quiet(con):
        for salt in range(4):
            store = _build(con, key, salt)
            if store is not None:
                return store
    raise RuntimeError("could not give every token its own 64-bit hash")  # not expected on this planet


@contextmanager
def _quiet(con: duckdb.DuckDBPyConnection):
    """No DuckDB progress bar while building: it would land in the middle of `--format json` output."""
    was = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if was else 'false'}")


def _build(con: duckdb.DuckDBPyConnection, key: str, salt: int) -> FlowStore | None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_fs_nodes AS
            SELECT chain, address, h, g, (row_number() OVER (ORDER BY chain, address) - 1)::INTEGER AS id FROM (
                SELECT h, g, any_value(chain) AS chain, any_value(address) AS address FROM (
                    SELECT hash(chain, from_address) AS h, hash(from_address, chain, 1) AS g, chain,
                           from_address AS address FROM transfers WHERE {_VALUE}
                    UNION ALL SELECT hash(chain, to_address), hash(to_address, chain, 1), chain, to_address
                    FROM transfers WHERE {_VALUE})
                GROUP BY h, g)"""
    )
    try:
        nodes = con.sql("SELECT chain, address FROM pt_fs_nodes ORDER BY id").to_arrow_table()
        assets = con.execute(
            f"""SELECT a.chain, a.token, hash(a.chain, a.token, {salt}) AS h, k.symbol, k.decimals
                FROM (SELECT DISTINCT chain, token FROM transfers WHERE {_VALUE}) a
                LEFT JOIN tokens k ON k.chain = a.chain AND k.address = a.token ORDER BY a.chain, a.token"""
        ).fetchall()
        asset_h = np.array([a[2] for a in assets], dtype=np.uint64)
        if len(np.unique(asset_h)) < len(asset_h):
            return None
        # Unordered: the rows come back nearly in ledger order (ingests write block by block), which numpy's
        # stable sort finishes far faster than an ORDER BY over every column.
        cols = con.execute(
            f"""SELECT a.id AS src, b.id AS dst, hash(t.chain, t.token, {salt}) AS asset,
                       coalesce(epoch(t.time), 0)::BIGINT AS time, coalesce(t.block_number, 0) AS block,
                       t.log_index, hash(t.tx_hash) AS txh,
                       coalesce(t.amount::DOUBLE, TRY_CAST(t.amount_text AS DOUBLE)) AS amount,
                       coalesce(t.usd, 'NaN'::DOUBLE) AS usd,
                       hash(t.tx_hash) IN (SELECT hash(tx_hash) FROM swaps) AS in_swap
                FROM (SELECT * FROM transfers WHERE {_VALUE}) t
                JOIN pt_fs_nodes a ON a.h = hash(t.chain, t.from_address) AND a.g = hash(t.from_address, t.chain, 1)
                JOIN pt_fs_nodes b ON b.h = hash(t.chain, t.to_address) AND b.g = hash(t.to_address, t.chain, 1)"""
        ).fetchnumpy()
        # the parties of a swap: its pool, and whoever called the pool for someone else (a router)
        parties = con.execute(
            f"""WITH p AS (SELECT chain, tx_hash, pool AS address FROM swaps WHERE pool IS NOT NULL
                           UNION SELECT chain, tx_hash, sender FROM swaps
                                 WHERE sender IS NOT NULL AND sender <> coalesce(recipient, '')
                                   AND sender <> coalesce(initiator, ''))
                SELECT hash(p.tx_hash) AS txh, n.id AS node FROM p
                JOIN pt_fs_nodes n ON n.h = hash(p.chain, p.address) AND n.g = hash(p.address, p.chain, 1)"""
        ).fetchnumpy()
    finally:
        con.execute("DROP TABLE IF EXISTS pt_fs_nodes")
    cols = _ledger_order(cols)
    chains, chain_start, addresses = _node_arrays(nodes)
    n = len(addresses)
    src = np.asarray(cols["src"], dtype=np.int32)
    dst = np.asarray(cols["dst"], dtype=np.int32)
    asset_order = np.argsort(asset_h)
    asset = asset_order[np.searchsorted(asset_h[asset_order], np.asarray(cols["asset"], dtype=np.uint64))]
    asset = asset.astype(np.int32)
    asset_chain = np.array([int(np.flatnonzero(chains == c)[0]) for c, *_ in assets], dtype=np.int32)
    symbols, decimals = [], []
    for chain, token, _h, symbol, dec in assets:
        if token == NATIVE:
            try:
                ch = get_chain(chain)
                symbol, dec = ch.native_symbol, ch.native_decimals
            except Exception:  # a chain this installation does not know: keep what the data says
                symbol = symbol or "native"
        symbols.append(symbol or token)
        decimals.append(-1 if dec is None else int(dec))
    out_idx, out_ptr = _csr(src, n)
    in_idx, in_ptr = _csr(dst, n)
    txh = np.asarray(cols["txh"], dtype=np.uint64)
    usd = np.asarray(cols["usd"], dtype=np.float64)
    p_txh = np.asarray(parties["txh"], dtype=np.uint64)
    p_node = np.asarray(parties["node"], dtype=np.int64)
    link = _swap_links(src, dst, asset, txh, usd, np.flatnonzero(cols["in_swap"]), p_txh, p_node)
    return FlowStore(
        key=key, chains=chains, chain_start=chain_start, addresses=addresses,
        asset_chain=asset_chain, asset_token=np.array([a[1] for a in assets], dtype=str),
        asset_symbol=np.array(symbols, dtype=str), asset_decimals=np.array(decimals, dtype=np.int32),
        src=src, dst=dst, asset=asset, time=np.asarray(cols["time"], dtype=np.int64),
        block=np.asarray(cols["block"], dtype=np.int64), log_index=np.asarray(cols["log_index"], dtype=np.int32),
        txh=txh, amount=np.asarray(cols["amount"], dtype=np.float64), usd=usd,
        out_ptr=out_ptr, out_idx=out_idx, in_ptr=in_ptr, in_idx=in_idx,
        link_pay=link[0], link_get=link[1], link_taint=link[2], link_value=link[3],
        dex_nodes=np.unique(p_node).astype(np.int32),
    )


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
    then by time, each over rows that already come nearly in that order. Two native transfers of one
    block (both log index -1) keep the order they came in."""
    log = cols["log_index"].astype(np.int64)
    order = np.argsort(cols["block"].astype(np.int64) * (1 << 22) + np.clip(log + (1 << 21), 0, (1 << 22) - 1),
                       kind="stable")
    order = order[np.argsort(np.asarray(cols["time"])[order], kind="stable")]
    if np.all(order[1:] > order[:-1]):
        return cols
    return {k: np.asarray(v)[order] for k, v in cols.items()}


def _csr(key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids grouped by ``key`` (node), each group in ledger (edge id) order, and the group offsets.
    A stable sort in two 16-bit passes (numpy sorts 16-bit keys by radix)."""
    key = key.astype(np.uint32)
    low = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    idx = low[np.argsort((key[low] >> 16).astype(np.uint16), kind="stable")].astype(np.int32)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n), out=ptr[1:])
    return idx, ptr


def _pair_key(txh: np.ndarray, node: np.ndarray) -> np.ndarray:
    """One 64-bit key per (transaction, node); the multiplier spreads node ids over the word."""
    with np.errstate(over="ignore"):
        return txh ^ (node.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def _swap_links(src, dst, asset, txh, usd, cand, p_txh, p_node):
    """Link each wallet's payments into a swap to what the swap paid back to it, per transaction.
    ``cand``: the edges of transactions with a swap; ``p_txh``/``p_node``: each such transaction's parties.

    A payment leg goes from a wallet that is not a swap party (pool, router) of its transaction to one that
    is; a return leg from a party to a non-party wallet. Legs of the same wallet and transaction in
    different assets are linked. ``link_taint``: the share of the return leg bought with that payment
    (by the payments' USD; equal shares when unknown). ``link_value``: the share of the payment's value
    that went into that return leg (by the returns' USD)."""
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
    if not len(p_txh) or not len(cand):
        return empty
    party = np.unique(_pair_key(p_txh, p_node))
    s_party = np.isin(_pair_key(txh[cand], src[cand]), party)
    d_party = np.isin(_pair_key(txh[cand], dst[cand]), party)
    pay = cand[d_party & ~s_party]
    get = cand[s_party & ~d_party]
    if not len(pay) or not len(get):
        return empty
    pay_key = _pair_key(txh[pay], src[pay])
    get_key = _pair_key(txh[get], dst[get])
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
    has no transaction with that hash. A hash given with or without 0x is matched either way."""
    bare = tx_hash[2:] if tx_hash[:2].lower() == "0x" else tx_hash
    forms = sorted({tx_hash, bare, bare.lower(), "0x" + bare.lower()})
    rows = con.execute(
        f"""SELECT chain, tx_hash, hash(tx_hash) AS txh, from_address, to_address, block_number, log_index
            FROM transfers WHERE tx_hash IN (SELECT unnest(?::VARCHAR[])) AND {_VALUE}
            ORDER BY chain, block_number, log_index""",
        [forms],
    ).fetchall()
    if not rows:
        known = con.execute(
            "SELECT chain FROM transactions WHERE hash IN (SELECT unnest(?::VARCHAR[])) LIMIT 1", [forms]
        ).fetchall()
        known = known[0] if known else None
        return (known[0] if known else None), np.zeros(0, dtype=np.int64)
    chain = rows[0][0]
    found = []
    for ch, _h, txh, frm, to, block, log_index in rows:
        if ch != chain:
            continue
        node = store.node_of(ch, frm)
        if node is None:
            continue
        out = store.out_edges(node)
        hit = out[(store.txh[out] == np.uint64(txh)) & (store.log_index[out] == log_index) & (store.block[out] == (block or 0))]
        found.extend(int(e) for e in hit)
    return chain, np.unique(np.asarray(found, dtype=np.int64))


def edge_rows(con: duckdb.DuckDBPyConnection, store: FlowStore, edges: np.ndarray) -> dict[int, dict]:
    """Per edge id: its transaction hash and its exact amount in token units (decimal text), read back
    from ``transfers`` (one query for all ``edges``)."""
    edges = np.unique(np.asarray(edges, dtype=np.int64))
    if not len(edges):
        return {}
    chain_of = store.asset_chain[store.asset[edges]]
    key = pa.table({
        "eid": pa.array(edges, pa.int64()),
        "chain": pa.array(store.chains[chain_of].tolist(), pa.string()),
        "block": pa.array(store.block[edges], pa.int64()),
        "log_index": pa.array(store.log_index[edges], pa.int32()),
        "txh": pa.array(store.txh[edges], pa.uint64()),
        "frm": pa.array([store.address(int(s)) for s in store.src[edges]], pa.string()),
    })
    lo, hi = int(store.block[edges].min()), int(store.block[edges].max())
    con.register("pt_fs_edge_keys", key)
    try:
        # the blocks first (an integer semi-join), the text compared only on the rows of those blocks
        rows = con.execute(
            """WITH c AS MATERIALIZED (
                   SELECT chain, coalesce(block_number, 0) AS block, log_index, tx_hash, from_address, amount,
                          amount_text FROM transfers
                   WHERE coalesce(block_number, 0) BETWEEN ? AND ?
                     AND coalesce(block_number, 0) IN (SELECT block FROM pt_fs_edge_keys))
               SELECT k.eid, c.tx_hash, coalesce(c.amount::VARCHAR, c.amount_text) AS raw
               FROM c JOIN pt_fs_edge_keys k
                 ON c.block = k.block AND c.log_index = k.log_index AND c.chain = k.chain
               WHERE hash(c.tx_hash) = k.txh AND c.from_address = k.frm""",
            [lo, hi],
        ).fetchall()
    finally:
        con.unregister("pt_fs_edge_keys")
    out: dict[int, dict] = {}
    for eid, tx_hash, raw in rows:
        if eid in out:
            continue
        dec = store.decimals(int(store.asset[eid]))
        amount = str(Decimal(raw).scaleb(-dec).normalize()) if raw is not None and dec >= 0 else raw
        if amount is not None and "E" in amount:
            amount = f"{Decimal(amount):f}"
        out[int(eid)] = {"tx_hash": tx_hash, "amount": amount}
    return out
