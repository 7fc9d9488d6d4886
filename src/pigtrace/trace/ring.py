"""The ring around a case, found from where the case's money went: its collection wallets, laundering
wallets, operators and the other victims who paid it.

Place in the flow: trace/walk (where the subject's money went) + graph/flows -> **trace/ring** ->
trace/case (the report). Nothing here reads findings or labels beyond the endpoints: a ring is found from
the money alone, so a case works before or without `pigtrace analyze`.

How, from the collection wallets ``C0`` (the wallets the victim paid, or the scam address given):

1. **Laundering wallets**: the wallets (not services) that received at least ``LAUNDER_SHARE`` of the traced
   money on its way from ``C0`` to the endpoints. A *busy* wallet (``BUSY`` or more different payers and as
   many payees) is none of the ring's: it is run like a service (an exchange's unlabelled hot wallet, a
   merchant), and the ring is not looked for around it.
2. **Sister collection wallets**: a ring that gives each victim a wallet of its own pools them; a wallet that
   sends at least ``SISTER_SEND_SHARE`` of what it sends into a laundering wallet that ``C0`` pays directly,
   in the asset the traced money arrived there in, is another of the ring's collection wallets (deeper
   laundering wallets are where rings' money mixes: a sister found there may be another ring's). A gas top-up is kept out by its
   size: a sister's payments must reach ``SISTER_FLOOR`` of what that laundering wallet received in that
   asset.
3. **Co-victims**: whoever paid a collection wallet and is not part of the ring: a wallet (self-custody or
   relay) by its address; an exchange, bridge or other service by the payment itself (the service knows
   the customer; its withdrawal transaction is what to ask about).
4. **Operators**: wallets that pay the ring's wallets their gas (native coin only, to two or more ring
   wallets, while the ring's money moves in tokens), and wallets that paid the victim back (the
   "profit withdrawals" that build trust).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pigtrace.graph.flows import FlowStore
from pigtrace.trace.endpoints import NONE, Endpoints
from pigtrace.trace.walk import WalkResult

LAUNDER_SHARE = 0.01  # of the traced input
BUSY = 20  # a wallet paid by this many different addresses that pays this many is run as a service
SISTER_SEND_SHARE = 0.5
SISTER_FLOOR = 0.001  # of the laundering wallet's receipts in the asset


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
              subject: int | None = None) -> Ring:
    through = traced_through(store, res)
    floor = LAUNDER_SHARE * max(res.input_usd, 0.0)
    coll = set(collection)
    laundering = sorted(n for n, usd in through.items()
                        if usd >= floor and n not in coll and n != subject and ends.kind[n] == NONE
                        and not busy(store, n))
    first_layer = {int(store.dst[e]) for e in res.edges if int(store.src[e]) in coll} & set(laundering)
    sisters = _sisters(store, ends, res, first_layer, set(laundering) | coll | {subject})
    ring = coll | set(sisters) | set(laundering)
    operators = _gas_funders(store, ends, ring, res)
    payees = sorted(n for n in coll | set(sisters) if not busy(store, n))
    co_victims, via_service = _payers(store, ends, payees, ring | set(operators), subject)
    return Ring(collection=list(collection), sisters=sisters, laundering=laundering, operators=operators,
                co_victims=co_victims, via_service=via_service, through=through)


def busy(store: FlowStore, node: int) -> bool:
    payers = store.src[store.in_edges(node)]
    payees = store.dst[store.out_edges(node)]
    return len(payers) >= BUSY and len(payees) >= BUSY and len(np.unique(payers)) >= BUSY \
        and len(np.unique(payees)) >= BUSY


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


def _sisters(store: FlowStore, ends: Endpoints, res: WalkResult, pools: set[int], exclude: set) -> list[int]:
    """Wallets sweeping into ``pools`` (the laundering wallets the collection wallets pay directly)."""
    assets = _arrival_assets(store, res, pools)
    sent_into: dict[int, float] = {}
    for node in pools:
        ins = store.in_edges(node)
        for asset in assets.get(node, ()):
            mine = ins[store.asset[ins] == asset]
            usd = np.nan_to_num(store.usd[mine])
            floor = SISTER_FLOOR * float(usd.sum())
            senders, inv = np.unique(store.src[mine], return_inverse=True)
            per = np.bincount(inv, weights=usd)
            for s, v in zip(senders.tolist(), per.tolist()):
                if v > 0 and v >= floor and s not in exclude and ends.kind[s] == NONE \
                        and not busy(store, s):
                    sent_into[s] = sent_into.get(s, 0.0) + v
    return sorted(s for s, v in sent_into.items() if v >= SISTER_SEND_SHARE * _sent_usd(store, s))


def _gas_funders(store: FlowStore, ends: Endpoints, ring: set[int], res: WalkResult) -> dict[int, str]:
    """Wallets sending only native coin to two or more ring wallets, where the traced money is not native."""
    native = {a for a in range(len(store.asset_token)) if store.asset_token[a] == "native"}
    traced_assets = {int(store.asset[e]) for e in res.edges}
    if not native or traced_assets <= native:
        return {}
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
    return {s: "pays the ring's wallets their gas" for s, n in funded.items() if len(n) >= 2 and s not in tokens_sent}


def _payers(store: FlowStore, ends: Endpoints, collection: list[int], ring: set[int],
            subject: int | None) -> tuple[dict[int, np.ndarray], np.ndarray]:
    if not collection:
        return {}, np.zeros(0, dtype=np.int64)
    ins = np.concatenate([store.in_edges(c) for c in collection]).astype(np.int64)
    ins = ins[np.isfinite(store.usd[ins]) & (store.usd[ins] > 0)]
    src = store.src[ins]
    outside = ~np.isin(src, np.fromiter(ring | ({subject} if subject is not None else set()), dtype=np.int64))
    ins, src = ins[outside], src[outside]
    service = ends.kind[src] != NONE
    wallets: dict[int, np.ndarray] = {}
    w_ins, w_src = ins[~service], src[~service]
    order = np.argsort(w_src, kind="stable")
    w_ins, w_src = w_ins[order], w_src[order]
    bounds = np.flatnonzero(np.diff(w_src)) + 1
    for part in np.split(w_ins, bounds):
        if len(part):
            wallets[int(store.src[part[0]])] = part
    return wallets, np.sort(ins[service])
