"""The ring around a case, found from where the case's money went: its collection wallets, laundering
wallets, operators and the other victims who paid it.

Place in the flow: trace/walk (where the subject's money went) + graph/flows -> **trace/ring** ->
trace/case (the report). A ring is found from the money and the endpoints alone, so a case works before or
without `pigtrace analyze`; where its findings exist, their roles settle two doubts (step 2).

How, from the collection wallets ``C0`` (the wallets the victim paid, or the scam address given):

1. **Laundering wallets**: the wallets (not services) that received at least ``LAUNDER_SHARE`` of the traced
   money on its way from ``C0`` to the endpoints. A *busy* wallet (``BUSY`` or more different payers and as
   many payees) is none of the ring's: it is run like a service (an exchange's unlabelled hot wallet, a
   merchant), and the ring is not looked for around it.
2. **Sister collection wallets**: a ring that gives each victim a wallet of its own pools them, directly
   or after hops of each victim's own. The subject's path is followed from ``C0`` to the first wallet fed
   by others too (the pool, ``k`` transfers on, ``k`` up to ``SISTER_DEPTH``); the wallets feeding the pool
   (sending it at least ``SISTER_SEND_SHARE`` of what they send) are walked back up ``k`` levels: those
   ``k`` levels up are the ring's other collection wallets, those in between its other hops (a ring runs
   each victim's money the same way). A gas top-up is kept out by its size: a feeder's payments must reach
   ``SISTER_FLOOR`` of what the wallet it feeds received. Where analyze's findings exist, a wallet found at
   the top that they call a laundering wallet is a hop (the walk goes one level higher), one they call a
   victim is dropped, and a wallet feeding any laundering wallet that they call a collection wallet is a
   sister too. A sister the ring's wallets pay is downstream of the ring: one of its laundering wallets.
3. **Co-victims**: whoever paid a collection wallet and is not part of the ring: a wallet (self-custody or
   relay) by its address; an exchange, bridge or other service, or a busy wallet (an exchange nobody
   labelled), by the payment itself (the service knows the customer; its withdrawal transaction is what to
   ask about).
4. **Operators**: wallets that pay the ring's wallets their gas (native coin only, to two or more ring
   wallets, while the ring's money moves in tokens), and wallets that paid the victim back (the
   "profit withdrawals" that build trust).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pigtrace.arrays import distinct
from pigtrace.graph.flows import FlowStore
from pigtrace.trace.endpoints import NONE, Endpoints
from pigtrace.trace.walk import WalkResult

LAUNDER_SHARE = 0.01  # of the traced input
BUSY = 20  # a wallet paid by this many different addresses that pays this many is run as a service
SISTER_SEND_SHARE = 0.5
SISTER_FLOOR = 0.001  # of the laundering wallet's receipts in the asset
SISTER_DEPTH = 3  # levels walked back up from a laundering wallet


@dataclass
class Ring:
    collection: list[int]  # node ids, the subject's first
    sisters: list[int]  # collection wallets found through the laundering wallets they feed
    laundering: list[int]
    operators: dict[int, str]  # node -> why
    co_victims: dict[int, np.ndarray]  # wallet node -> its payment edges into collection wallets
    via_service: np.ndarray  # payment edges into collection wallets sent by a service (exchange, bridge, ...)
    through: dict[int, float] = field(default_factory=dict)  # node -> traced USD it received

    @property
    def wallets(self) -> set[int]:
        return set(self.collection) | set(self.sisters) | set(self.laundering)


def find_ring(store: FlowStore, ends: Endpoints, collection: list[int], res: WalkResult,
              subject: int | None = None, roles: dict[int, set[str]] | None = None) -> Ring:
    through = traced_through(store, res)
    floor = LAUNDER_SHARE * max(res.input_usd, 0.0)
    coll = set(collection)
    # the victims the collection wallets paid back ("profits") got traced money too: they are no laundering
    payers = set(store.src[np.concatenate([store.in_edges(c) for c in coll])].tolist()) if coll else set()
    laundering = sorted(n for n, usd in through.items()
                        if usd >= floor and n not in coll and n != subject and n not in payers
                        and ends.kind[n] == NONE and not busy(store, n))
    sisters, hops = _sisters(store, ends, res, coll, set(laundering), {subject}, roles or {})
    laundering = sorted(set(laundering) | set(hops))
    sisters = set(sisters) | _flagged_feeders(store, ends, laundering, coll | set(sisters) | {subject}, roles or {})
    downstream = {x for x in sisters if np.isin(store.src[store.in_edges(x)], list(coll | set(laundering))).any()}
    sisters, laundering = sorted(sisters - downstream), sorted(set(laundering) | downstream)
    ring = coll | set(sisters) | set(laundering)
    gas = _gas_payers(store, ends, ring, res)
    operators = _operators(store, gas, ring)
    payees = sorted(n for n in coll | set(sisters) if not busy(store, n))
    co_victims, via_service = _payers(store, ends, payees, ring | gas, subject)
    return Ring(collection=list(collection), sisters=sisters, laundering=laundering, operators=operators,
                co_victims=co_victims, via_service=via_service, through=through)


def busy_nodes(store: FlowStore) -> np.ndarray:
    """Per node: paid by ``BUSY`` or more different addresses and paying as many (kept with the store)."""
    got = store.derived.get("busy")
    if got is None:
        n = max(store.n_nodes, 1)
        pairs = distinct(store.src.astype(np.int64) * n + store.dst)
        got = (np.bincount(pairs % n, minlength=store.n_nodes) >= BUSY) & \
            (np.bincount(pairs // n, minlength=store.n_nodes) >= BUSY)
        store.derived["busy"] = got
    return got


def busy(store: FlowStore, node: int) -> bool:
    return bool(busy_nodes(store)[node])


def traced_through(store: FlowStore, res: WalkResult) -> dict[int, float]:
    if not res.edges:
        return {}
    edges = np.fromiter(res.edges.keys(), dtype=np.int64, count=len(res.edges))
    usd = np.fromiter((v[0] for v in res.edges.values()), dtype=np.float64, count=len(res.edges))
    nodes, inv = np.unique(store.dst[edges], return_inverse=True)
    total = np.bincount(inv, weights=usd)
    return {int(n): float(t) for n, t in zip(nodes, total)}


def _arrival_assets(store: FlowStore, res: WalkResult, nodes: set[int]) -> dict[int, set[int]]:
    """Per laundering wallet, the assets the traced money arrived in."""
    out: dict[int, set[int]] = {}
    for e in res.edges:
        d = int(store.dst[e])
        if d in nodes:
            out.setdefault(d, set()).add(int(store.asset[e]))
    return out


def _sent_usd(store: FlowStore, node: int) -> float:
    out = store.out_edges(node)
    usd = store.usd[out]
    return float(usd[np.isfinite(usd)].sum())


def _feeders(store: FlowStore, ends: Endpoints, node: int, assets: set[int] | None, exclude: set) -> dict[int, float]:
    """Wallets (not services, not busy) sending ``node`` at least ``SISTER_SEND_SHARE`` of what they send, each
    above ``SISTER_FLOOR`` of its receipts, in ``assets`` (None: any): sender -> USD sent to it."""
    ins = store.in_edges(node)
    if assets is not None:
        ins = ins[np.isin(store.asset[ins], list(assets))]
    usd = np.nan_to_num(store.usd[ins])
    floor = SISTER_FLOOR * float(usd.sum())
    senders, inv = np.unique(store.src[ins], return_inverse=True)
    per = np.bincount(inv, weights=usd)
    out = {}
    for s, v in zip(senders.tolist(), per.tolist()):
        if v > 0 and v >= floor and s not in exclude and ends.kind[s] == NONE and not busy(store, s) \
                and v >= SISTER_SEND_SHARE * _sent_usd(store, s):
            out[s] = v
    return out


def _sisters(store: FlowStore, ends: Endpoints, res: WalkResult, collection: set[int], laundering: set[int],
             exclude: set, roles: dict[int, set[str]]) -> tuple[list[int], list[int]]:
    """(sister collection wallets, the hops between them and the pool). The subject's own path is followed
    from each collection wallet along the largest traced payment while the next wallet is fed by the
    previous one alone (a hop of this victim's own); the first wallet fed by others too is the pool, ``k``
    transfers after the collection wallet (k <= ``SISTER_DEPTH``). The pool is walked back up ``k`` levels of
    wallets feeding it: those ``k`` levels up sit where the subject's collection wallet sits, those in between
    where its own hops sit (a ring runs each victim's money the same way). ``roles``: analyze's finding roles
    per node, where there are any: a wallet found at the collection level that the analysis calls a
    laundering wallet is a hop (the walk goes one level higher), one it calls a victim is no collection
    wallet."""
    out_of: dict[int, list[tuple[float, int]]] = {}
    for e, (usd, _hop) in res.edges.items():
        out_of.setdefault(int(store.src[e]), []).append((usd, int(store.dst[e])))
    pools: dict[int, int] = {}
    for c in collection:
        prev, k = c, 0
        while k < SISTER_DEPTH and out_of.get(prev):
            nxt = max(out_of[prev])[1]
            if nxt not in laundering:
                break
            k += 1
            ins = store.in_edges(nxt)
            usd = np.nan_to_num(store.usd[ins])
            from_prev = float(usd[store.src[ins] == prev].sum())
            if from_prev < 0.9 * float(usd.sum()) or k == SISTER_DEPTH:
                pools[nxt] = min(k, pools.get(nxt, k))
                break
            prev = nxt
    assets = _arrival_assets(store, res, set(pools))
    sisters: set[int] = set()
    hops: set[int] = set()
    seen = set(exclude) | laundering | collection
    for pool, k in sorted(pools.items()):
        level = {pool}
        for step in range(1, SISTER_DEPTH + 2):
            found: set[int] = set()
            for node in level:
                found |= set(_feeders(store, ends, node, assets.get(pool) if node == pool else None, seen))
            seen |= found
            if step < k:
                hops |= found
                level = found
            else:  # where the analysis calls a wallet found here a laundering hop, the ring's wallets sit higher
                deeper = {f for f in found if "laundering" in roles.get(f, ()) and "scam_collection" not in roles.get(f, ())}
                sisters |= {f for f in found - deeper if "victim" not in roles.get(f, ())}
                hops |= deeper
                level = deeper
            if not level:
                break
    return sorted(sisters), sorted(hops)


def _flagged_feeders(store: FlowStore, ends: Endpoints, laundering: list[int], exclude: set,
                     roles: dict[int, set[str]]) -> set[int]:
    """Wallets feeding any laundering wallet (as ``_feeders`` says) that analyze calls collection wallets: a
    ring's other collection wallets that join its money further down than the subject's did."""
    if not roles:
        return set()
    found: set[int] = set()
    for node in laundering:
        found |= {f for f in _feeders(store, ends, node, None, exclude | set(laundering))
                  if "scam_collection" in roles.get(f, ())}
    return found


def _gas_payers(store: FlowStore, ends: Endpoints, ring: set[int], res: WalkResult) -> set[int]:
    """Wallets sending only native coin to two or more ring wallets, where the traced money is not native."""
    native = {a for a in range(len(store.asset_token)) if store.asset_token[a] == "native"}
    traced_assets = {int(store.asset[e]) for e in res.edges}
    if not native or traced_assets <= native:
        return set()
    funded: dict[int, set[int]] = {}
    tokens_sent: set[int] = set()
    for node in ring:
        ins = store.in_edges(node)
        for e, s, a in zip(ins.tolist(), store.src[ins].tolist(), store.asset[ins].tolist()):
            if s in ring or ends.kind[s] != NONE:
                continue
            if a in native:
                funded.setdefault(s, set()).add(node)
            else:
                tokens_sent.add(s)
    return {s for s, n in funded.items() if len(n) >= 2 and s not in tokens_sent}


def _operators(store: FlowStore, gas: set[int], ring: set[int]) -> dict[int, str]:
    """The gas payers that pay mostly the ring's wallets (an exchange nobody labelled pays the ring its gas
    too, among many others: it is no operator, though neither are its payments a victim's)."""
    ring_nodes = np.fromiter(ring, dtype=np.int64, count=len(ring))
    return {s: "pays the ring's wallets their gas" for s in gas
            if np.isin(distinct(store.dst[store.out_edges(s)]), ring_nodes).mean() >= 0.5}


def _payers(store: FlowStore, ends: Endpoints, collection: list[int], ring: set[int],
            subject: int | None) -> tuple[dict[int, np.ndarray], np.ndarray]:
    if not collection:
        return {}, np.zeros(0, dtype=np.int64)
    ins = np.concatenate([store.in_edges(c) for c in collection]).astype(np.int64)
    ins = ins[np.isfinite(store.usd[ins]) & (store.usd[ins] > 0)]
    src = store.src[ins]
    outside = ~np.isin(src, np.fromiter(ring | ({subject} if subject is not None else set()), dtype=np.int64))
    ins, src = ins[outside], src[outside]
    uniq, inv = np.unique(src, return_inverse=True)
    service = ((ends.kind[uniq] != NONE) | np.array([busy(store, int(u)) for u in uniq.tolist()], dtype=bool))[inv]
    wallets: dict[int, np.ndarray] = {}
    w_ins, w_src = ins[~service], src[~service]
    order = np.argsort(w_src, kind="stable")
    w_ins, w_src = w_ins[order], w_src[order]
    bounds = np.flatnonzero(np.diff(w_src)) + 1
    for part in np.split(w_ins, bounds):
        if len(part):
            wallets[int(store.src[part[0]])] = part
    return wallets, np.sort(ins[service])
