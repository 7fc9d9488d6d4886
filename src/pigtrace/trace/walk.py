"""The tracing walk: traced money moves through the flow store hop by hop until it reaches an endpoint,
stays put, or the trace gives up on it.

Place in the flow: graph/flows (edges, swap links) + trace/endpoints (where to stop) -> **trace/walk**
-> trace/run (addresses, hashes, the report). Case building can call ``walk`` with its own seeds (say,
a victim's payments to the collection wallets) and read per-edge and per-endpoint amounts.

The walk keeps a frontier of (wallet, asset) -> the receipts that brought traced money there. Each
round takes every frontier wallet once, lets the spending rule (trace/methods) say how much of the traced
money each later payment in that asset carried, and moves it along those payments:

- to an endpoint (service, deposit account): it stops there and is counted for that endpoint;
- into a swap (a payment linked to what the swap paid back to the same wallet): it comes back to the
  wallet in the other asset in the same round (a swap is not a hop);
- to another wallet: it joins the next round's frontier.
What no payment carried stays with the wallet (``held``). A payment carrying less than ``min_usd`` of
traced money is not followed (its value is ``unresolved``); after ``hops`` payments the money still on
the move is ``unknown`` at the wallet where the trace stopped. Every amount is the input's own USD value
passed along (a swap or a later price change does not make it grow), so the endpoints plus the
unresolved value add up to the input.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np

from pigtrace.graph.flows import FlowStore
from pigtrace.trace.endpoints import K, NONE, Endpoints
from pigtrace.trace.methods import SHORT, History, spend

KEEP_EVENTS = 12_000_000  # events of busy wallets' histories kept with the store (about 40 bytes each)
PASSED_ON = 0.8  # with prompt_s: the share of the traced money received that left promptly, whole
WHOLLY = 0.9  # ... in payments made at least this much of it


@dataclass
class Seeds:
    """Traced money to start from. ``edges``: transfers whose receivers get it; ``tokens``: the traced
    part of each in token units (at most its amount); ``value``: its USD value. ``hop``: 1 when these
    transfers are the first step of the trace (a victim's payments, a transaction's transfers), 0 when
    they are the money arriving at the wallet being traced (its receipts, followed onwards). Money that
    comes back to ``source`` is counted as held there: its onward path is already part of the input (the
    source's payments, or its receipts, are traced in full)."""

    edges: np.ndarray
    tokens: np.ndarray
    value: np.ndarray
    hop: int = 1
    source: int | None = None  # the wallet traced from; traced money coming back to it stays there (held)


@dataclass
class WalkResult:
    input_usd: float
    edges: dict[int, list] = field(default_factory=dict)  # edge id -> [usd carried, hop]
    endpoints: dict[tuple[int, int], list] = field(default_factory=dict)  # (node, kind) -> [usd, first, last]
    unresolved_usd: float = 0.0
    visited: int = 0  # (wallet, asset) histories evaluated
    prompt: set[int] = field(default_factory=set)  # with prompt_s: wallets that passed traced money on promptly


def walk(store: FlowStore, ends: Endpoints, seeds: Seeds, method: str = "fifo", hops: int = 8,
         min_usd: float = 1.0, prompt_s: int | None = None) -> WalkResult:
    w = _Walk(store, ends, method, min_usd, seeds.source, prompt_s)
    w.res.input_usd = float(np.sum(seeds.value))
    frontier: dict[tuple[int, int], list] = {}
    order = np.argsort(seeds.edges, kind="stable")  # in ledger order: the result must not depend on the caller's
    for e, tok, val in zip(seeds.edges[order].tolist(), seeds.tokens[order].tolist(), seeds.value[order].tolist()):
        if val <= 0 or val < min_usd:
            w.res.unresolved_usd += max(val, 0.0)
            continue
        if seeds.hop >= 1:
            w.follow(e, val, seeds.hop)
            w.deliver(e, tok, val, seeds.hop, frontier, frontier)
        else:  # the source's own receipts: they start at the source, whatever it is
            w.arrive(int(store.dst[e]), int(store.asset[e]), e, tok, val, frontier, None)
    for hop in range(seeds.hop, hops):
        if not frontier:
            break
        nxt: dict[tuple[int, int], list] = {}
        queue = deque(frontier)
        while queue:
            key = queue.popleft()
            arrivals = frontier.pop(key, None)
            if arrivals:
                w.spend_at(key, arrivals, hop, frontier, nxt, queue)
        frontier = nxt
    for (node, _asset), arrivals in frontier.items():
        for e, _tok, val in arrivals:
            w.endpoint(node, K["unknown"], val, int(store.time[e]))
    return w.res


class _Walk:
    def __init__(self, store: FlowStore, ends: Endpoints, method: str, min_usd: float, source: int | None,
                 prompt_s: int | None = None) -> None:
        self.s, self.ends, self.method, self.min_usd, self.source = store, ends, method, min_usd, source
        self.prompt_s = prompt_s
        self.res = WalkResult(input_usd=0.0)
        self.used: dict[int, float] = {}  # poison: token units of a payment already carrying traced money
        self.read_fifo: set[tuple[int, int]] = set()  # with prompt_s: (wallet, asset) spent first in, first out

    def follow(self, e: int, val: float, hop: int) -> None:
        got = self.res.edges.get(e)
        if got is None:
            self.res.edges[e] = [val, hop]
        else:
            got[0] += val

    def endpoint(self, node: int, kind: int, val: float, t: int) -> None:
        got = self.res.endpoints.get((node, kind))
        if got is None:
            self.res.endpoints[(node, kind)] = [val, t, t]
        else:
            got[0] += val
            got[1], got[2] = min(got[1], t), max(got[2], t)

    def deliver(self, e: int, tok: float, val: float, hop: int, now: dict, later: dict, queue: deque | None = None,
                links: tuple[int, int] | None = None) -> None:
        """Traced money carried by edge ``e`` reaches its receiver (or, for a swap payment, comes back).
        ``links``: the edge's range in the swap-link arrays when the caller has looked it up already."""
        s = self.s
        if links is None:
            links = (int(np.searchsorted(s.link_pay, e, side="left")), int(np.searchsorted(s.link_pay, e, side="right")))
        lo, hi = links
        if hi > lo:
            share = tok / s.amount[e]
            for r in range(lo, hi):
                g = int(s.link_get[r])
                g_val = val * float(s.link_value[r])
                g_tok = share * float(s.link_taint[r]) * float(s.amount[g])
                self.follow(g, g_val, hop)
                self.arrive(int(s.dst[g]), int(s.asset[g]), g, g_tok, g_val, now, queue)
            return
        node = int(s.dst[e])
        if node == self.source:
            self.endpoint(node, K["held"], val, int(s.time[e]))
            return
        kind = int(self.ends.kind[node])
        if kind != NONE:
            self.endpoint(node, kind, val, int(s.time[e]))
            return
        self.arrive(node, int(s.asset[e]), e, tok, val, later, None)

    @staticmethod
    def arrive(node: int, asset: int, e: int, tok: float, val: float, where: dict, queue: deque | None) -> None:
        key = (node, asset)
        if key not in where:
            where[key] = []
            if queue is not None:
                queue.append(key)
        where[key].append((e, tok, val))

    def spend_at(self, key: tuple[int, int], arrivals: list, hop: int, now: dict, nxt: dict, queue: deque) -> None:
        s = self.s
        node, asset = key
        self.res.visited += 1
        hist = history(s, node, asset)
        ins, outs = hist.in_pos, hist.out_pos
        arr = np.array(arrivals, dtype=np.float64)  # rows: edge id, tokens, value
        arr_e = arr[:, 0].astype(np.int64)
        traced = np.zeros((len(ins), 2))
        np.add.at(traced, np.searchsorted(ins, arr_e), arr[:, 1:])
        np.minimum(traced[:, 0], hist.in_amt, out=traced[:, 0])
        first, last = int(arr_e.min()), int(arr_e.max())
        method, carried = self.method, None
        # a wallet's asset already read first in, first out stays so: its payments carry that money already
        if self.prompt_s is not None and method != "poison" and key not in self.read_fifo:
            cap = self._cap(hist, first)
            first_out, first_held = spend("poison", hist, traced, cap)
            if node in self.res.prompt or self._passes_promptly(hist, arr_e, traced, first_out, cap):
                method, carried, held = "poison", first_out, first_held
                self.res.prompt.add(node)
        if carried is None:
            carried, held = spend(method, hist, traced, self._cap(hist, first) if method == "poison" else None)
            if self.prompt_s is not None and method != "poison":
                self.read_fifo.add(key)
        if held[1] > 0 and held[1] >= self.min_usd:
            self.endpoint(node, K["held"], float(held[1]), int(s.time[first]))
            got = self.res.endpoints[(node, K["held"])]
            got[2] = max(got[2], int(s.time[last]))
        else:
            self.res.unresolved_usd += float(held[1])
        val = carried[:, 1]
        moving = val > 0
        if method == "poison":
            for o, tok in zip(outs[moving].tolist(), carried[moving, 0].tolist()):
                self.used[o] = self.used.get(o, 0.0) + tok
        followed = moving & (val >= self.min_usd)
        self.res.unresolved_usd += float(val[moving & ~followed].sum())
        idx = np.flatnonzero(followed)
        if not len(idx):
            return
        o_e = outs[idx]
        lo = np.searchsorted(s.link_pay, o_e, side="left").tolist()
        hi = np.searchsorted(s.link_pay, o_e, side="right").tolist()
        for o, tok, v, a, b in zip(o_e.tolist(), carried[idx, 0].tolist(), val[idx].tolist(), lo, hi):
            self.follow(o, v, hop + 1)
            self.deliver(o, tok, v, hop + 1, now, nxt, queue, (a, b))

    def _cap(self, hist: History, first: int) -> np.ndarray | None:
        """For poison: what each payment can still carry, less what earlier visits' traced money took."""
        if not self.used:
            return None
        cap = hist.out_amt.copy()
        later = np.flatnonzero(hist.out_pos > first)
        cap[later] -= np.fromiter((self.used.get(o, 0.0) for o in hist.out_pos[later].tolist()), dtype=np.float64,
                                  count=len(later))
        return np.maximum(cap, 0.0)

    def _passes_promptly(self, hist: History, arr_e: np.ndarray, traced: np.ndarray, carried: np.ndarray,
                         cap: np.ndarray | None) -> bool:
        """Did the payments that carried the traced money first (``carried``, poison) move at least PASSED_ON of
        it on, each within prompt_s of the latest traced receipt before it and made at least WHOLLY of it? Or,
        the same test for the receipts that brought it, whole: a wallet that passed on a payment only partly
        traced (the wallet before mixed in clean money) as one parcel, in and straight out, is a hop as much."""
        got = float(traced[:, 0].sum())
        if got <= 0:
            return False
        arrived = np.sort(arr_e)
        at = np.searchsorted(arrived, hist.out_pos) - 1
        t = self.s.time
        prompt = (at >= 0) & (t[hist.out_pos] - t[arrived[np.maximum(at, 0)]] <= self.prompt_s)
        whole = carried[:, 0] >= WHOLLY * hist.out_amt
        if float(carried[prompt & whole, 0].sum()) >= PASSED_ON * got:
            return True
        rows = traced[:, 0] > 0
        full = traced.copy()
        full[rows, 0] = hist.in_amt[rows]
        full[rows, 1] = traced[rows, 1] * hist.in_amt[rows] / traced[rows, 0]
        carried, _ = spend("poison", hist, full, cap)
        whole = carried[:, 0] >= WHOLLY * hist.out_amt
        return float(carried[prompt & whole, 0].sum()) >= PASSED_ON * float(full[rows, 0].sum())


def history(store: FlowStore, node: int, asset: int) -> History:
    """The wallet's history in one asset; a busy wallet's is kept with the store (the most recently used,
    up to KEEP_EVENTS events in all), so later visits and traces skip the work that does not depend on
    what is traced."""
    kept: OrderedDict = store.derived.setdefault("histories", OrderedDict())
    hist = kept.get((node, asset))
    if hist is not None:
        kept.move_to_end((node, asset))
        return hist
    ins = store.in_edges(node)
    ins = ins[store.asset[ins] == asset]
    outs = store.out_edges(node)
    outs = outs[store.asset[outs] == asset]
    hist = History(ins, store.amount[ins], outs, store.amount[outs])
    if hist.size > SHORT:
        held = store.derived.get("history_events", 0) + hist.size
        while kept and held > KEEP_EVENTS:
            held -= kept.popitem(last=False)[1].size
        kept[(node, asset)] = hist
        store.derived["history_events"] = held
    return hist
