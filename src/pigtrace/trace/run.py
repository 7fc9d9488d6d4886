"""`pigtrace trace ADDRESS|TXHASH`: from what the investigator has to where the money went.

Place in the flow: cli/trace_commands -> **trace/run** -> graph/flows (store, rows), trace/endpoints,
trace/walk -> a ``TraceResult`` whose ``as_dict`` is the JSON contract::

    {"source", "method", "input_usd",
     "endpoints": [{"address", "kind", "entity", "usd", "first_time", "last_time"}],
     "hops": [{"from", "to", "tx_hash", "time", "asset", "amount", "usd"}],
     "unresolved_usd"}

What is traced from a source:

- an address, ``follow="sent"``: what it paid out (a victim's payments);
- an address, ``follow="received"``: what it received, followed onwards from it (a scam wallet's takings);
- ``follow="auto"`` (default): ``received`` when ``pigtrace analyze`` found the address in a scam role
  (collection, operator, laundering, cash-out) and not as a victim, or a label calls it a scam; else
  ``sent``;
- a transaction hash: the money each of its transfers moved (a swap's payment is followed into what it
  bought).
``since``/``until`` keep the source's payments (or receipts) in [since, until); the money is then followed
to the end of the data. Only transfers with a USD value are traced (the input is in USD).

Amounts: ``usd`` of an endpoint or a hop is the traced part of the input's value it holds or carried; a
hop's ``amount`` is the whole transfer as a block explorer shows it (token units, exact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import numpy as np

from pigtrace.chains.addresses import guess_chain, normalize
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.graph.flows import FlowStore, edge_rows, load_flows, transaction_edges
from pigtrace.labels import taxonomy
from pigtrace.trace.endpoints import KINDS, Endpoints, load_endpoints
from pigtrace.trace.methods import METHODS
from pigtrace.trace.walk import Seeds, WalkResult, walk

TX_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
FOLLOW = ("auto", "sent", "received")
SCAM_ROLES = ("scam_collection", "scam_operator", "laundering", "cash_out")
DEFAULT_HOPS = 8
DEFAULT_MIN_USD = 1.0


@dataclass
class TraceResult:
    source: str
    chain: str
    method: str
    follow: str  # sent, received or transaction
    input_usd: float
    endpoints: list[dict[str, Any]]
    hops: list[dict[str, Any]]
    unresolved_usd: float
    hops_total: int = 0  # hops the money took; ``hops`` holds all of them unless the caller asked for fewer
    walk: WalkResult | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "method": self.method, "input_usd": round(self.input_usd, 2),
            "endpoints": [{**e, "usd": round(e["usd"], 2)} for e in self.endpoints],
            "hops": [{**h, "usd": round(h["usd"], 2)} for h in self.hops],
            "unresolved_usd": round(self.unresolved_usd, 2),
        }


def trace(con: duckdb.DuckDBPyConnection, source: str, method: str = "fifo", hops: int = DEFAULT_HOPS,
          min_usd: float = DEFAULT_MIN_USD, since: datetime | None = None, until: datetime | None = None,
          follow: str = "auto", chain: str | None = None, store: FlowStore | None = None,
          hop_rows: int | None = None) -> TraceResult:
    """Trace ``source`` (address or transaction hash). ``hop_rows``: read back (transaction hash, exact
    amount) for only the largest this many hops, in ledger order; None: every hop. Reading them back scans
    the warehouse's transfers, the slowest step of a trace on a large warehouse."""
    if method not in METHODS:
        raise PigtraceError(f"--method {method!r}: use one of {', '.join(METHODS)}")
    if follow not in FOLLOW:
        raise PigtraceError(f"--follow {follow!r}: use one of {', '.join(FOLLOW)}")
    if hops < 1:
        raise PigtraceError(f"--hops {hops}: must be at least 1")
    if min_usd < 0:
        raise PigtraceError(f"--min-usd {min_usd}: must not be negative")
    if since is not None and until is not None and since >= until:
        raise PigtraceError(f"--since {since:%Y-%m-%d} is not before --until {until:%Y-%m-%d}")
    source = source.strip()
    store = store or load_flows(con)
    if TX_HASH.match(source):
        chain, seeds, shown, follow = _transaction_seeds(con, store, source)
    else:
        chain, node, shown = resolve_address(con, store, source, chain)
        if follow == "auto":
            follow = auto_follow(con, chain, shown)
        seeds = _address_seeds(store, node, follow, since, until)
    ends = load_endpoints(con, store)
    result = walk(store, ends, seeds, method=method, hops=hops, min_usd=min_usd)
    return TraceResult(
        source=shown, chain=chain, method=method, follow=follow, input_usd=result.input_usd,
        endpoints=_endpoint_rows(store, ends, result), hops=_hop_rows(con, store, result, hop_rows),
        unresolved_usd=result.unresolved_usd, hops_total=len(result.edges), walk=result,
    )


def resolve_address(con, store: FlowStore, source: str, chain: str | None) -> tuple[str, int, str]:
    family = guess_chain(source)
    if family not in ("evm", "tron"):
        raise PigtraceError(f"{source!r}: not an EVM or Tron address, nor a transaction hash")
    if chain is None:
        candidates = ["tron"] if family == "tron" else [str(c) for c in store.chains if c != "tron"]
    else:
        candidates = [chain]
    best: tuple[int, str, int, str] | None = None
    for c in candidates:
        try:
            address = normalize(source, c)
        except InvalidAddress as e:
            raise PigtraceError(f"{source!r}: {e}") from None
        node = store.node_of(c, address)
        if node is None:
            continue
        degree = int(store.out_ptr[node + 1] - store.out_ptr[node] + store.in_ptr[node + 1] - store.in_ptr[node])
        if best is None or degree > best[0]:
            best = (degree, c, node, address)
    if best is None:
        where = f" on {chain}" if chain else ""
        raise PigtraceError(f"{source}: not in the warehouse{where} (no transfer to or from this address)")
    return best[1], best[2], best[3]


def auto_follow(con, chain: str, address: str) -> str:
    roles = {r for (r,) in con.execute(
        "SELECT role FROM findings WHERE chain = ? AND address = ?", [chain, address]).fetchall()}
    if roles & set(SCAM_ROLES) and "victim" not in roles:
        return "received"
    scam = sorted(taxonomy.SCAM_CONCEPTS)
    labelled = con.execute(
        """SELECT count(*) FROM labels WHERE chain = ? AND address = ?
           AND (category = 'scam' OR list_has_any(coalesce(concepts, []::VARCHAR[]), ?::VARCHAR[]))""",
        [chain, address, scam],
    ).fetchall()[0][0]
    return "received" if labelled and "victim" not in roles else "sent"


def priced_within(store: FlowStore, edges: np.ndarray, since: datetime | None, until: datetime | None) -> np.ndarray:
    keep = np.isfinite(store.usd[edges]) & (store.usd[edges] > 0)
    if since is not None:
        keep &= store.time[edges] >= _epoch(since)
    if until is not None:
        keep &= store.time[edges] < _epoch(until)
    return edges[keep]


def _epoch(t: datetime) -> int:
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return int((t - datetime(1970, 1, 1)).total_seconds())


def _address_seeds(store: FlowStore, node: int, follow: str, since, until) -> Seeds:
    edges = store.out_edges(node) if follow == "sent" else store.in_edges(node)
    edges = priced_within(store, edges.astype(np.int64), since, until)
    return Seeds(edges=edges, tokens=store.amount[edges].copy(), value=store.usd[edges].copy(),
                 hop=1 if follow == "sent" else 0, source=node)


def _transaction_seeds(con, store: FlowStore, tx_hash: str) -> tuple[str, Seeds, str, str]:
    chain, edges = transaction_edges(con, store, tx_hash)
    if chain is None:
        raise PigtraceError(f"{tx_hash}: no transaction with this hash in the warehouse")
    edges = priced_within(store, edges, None, None)
    if not len(edges):
        raise PigtraceError(f"{tx_hash}: this transaction moved no value with a known USD price (nothing to trace)")
    # Money counted once: what a swap paid back is followed from the payment that bought it, and a transfer
    # passing on what its sender received earlier in the same transaction is followed from that receipt.
    bought = np.isin(edges, store.link_get[np.isin(store.link_pay, edges)])
    edges = edges[~bought]
    first_in = {}
    for e in edges.tolist():
        first_in.setdefault(int(store.dst[e]), e)
    passed_on = np.array([first_in.get(int(store.src[e]), e) < e for e in edges.tolist()], dtype=bool)
    edges = edges[~passed_on]
    return chain, Seeds(edges=edges, tokens=store.amount[edges].copy(), value=store.usd[edges].copy(), hop=1), \
        tx_hash, "transaction"


def as_time(t: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=int(t))


def _endpoint_rows(store: FlowStore, ends: Endpoints, res: WalkResult) -> list[dict[str, Any]]:
    rows = []
    for (node, kind), (usd, first, last) in res.endpoints.items():
        name = KINDS[kind]
        rows.append({
            "address": store.address(node), "kind": name,
            "entity": ends.entity_of(node) if name not in ("held", "unknown") else None,
            "usd": usd, "first_time": as_time(first), "last_time": as_time(last),
        })
    rows.sort(key=lambda r: (-r["usd"], r["address"], r["kind"]))
    return rows


def _hop_rows(con, store: FlowStore, res: WalkResult, limit: int | None) -> list[dict[str, Any]]:
    if not res.edges:
        return []
    edges = np.array(sorted(res.edges), dtype=np.int64)
    if limit is not None and len(edges) > limit:
        usd = np.array([res.edges[e][0] for e in edges.tolist()])
        edges = np.sort(edges[np.argsort(-usd, kind="stable")[:limit]])
    detail = edge_rows(con, store, edges)
    rows = []
    for e in edges.tolist():  # edge ids are in ledger order
        d = detail.get(e, {})
        rows.append({
            "from": store.address(int(store.src[e])), "to": store.address(int(store.dst[e])),
            "tx_hash": d.get("tx_hash"), "time": as_time(int(store.time[e])),
            "asset": str(store.asset_symbol[store.asset[e]]), "amount": d.get("amount"), "usd": res.edges[e][0],
        })
    return rows
