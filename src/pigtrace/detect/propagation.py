"""Laundering and cash-out by following the victims' money forward in time, with the tracing engine.

Place in the flow: the collection detectors' findings (collection_evidence, fake_platform, approval_drain,
poisoning, screening hits) -> **propagation** -> findings laundering and cash_out. It shares the walk
with `pigtrace trace` (trace/walk, first in first out over each wallet's time-ordered history), so money
only moves forward in time and only what a wallet had received before a payment can leave in it; a wallet
that passed the traced money on promptly and whole spends it first (trace/walk's ``prompt_s``): first in
first out would park the ring's money behind the customers' money of a wallet that also does business.

Seeds: everything the scam collection wallets received. The walk follows it through non-service wallets
up to ``HOPS`` payments, stops at services and exchange deposit accounts (trace/endpoints), and says per
payment how much of the traced money it carried.

- **Laundering**: a wallet (not a collection wallet, not a service, not a victim) at least ``MIN_SHARE``
  of whose payments, by USD, carried traced money, and at least ``MIN_USD`` in all. Clean money mixed
  into a wallet lowers the share it passes on rather than hiding it; the score grows with the share. Or
  a pass-through: below that share (it also does other business) but it passed the traced money it
  received on within ``PROMPT_S``, whole (trace/walk's ``PASSED_ON``, in payments made of that money alone,
  or of the receipts that brought it: a payment only partly traced, passed on as one parcel).
- **Cash-out**: an exchange deposit account or OTC desk the traced money reached, at least ``MIN_USD``;
  scored by the share of everything the account ever received that was traced money (a mule's account
  takes mostly scam money, an ordinary customer's a sliver). A wallet is desk-shaped by its ordinary payers
  and payees (``_with_desks``); when the walk finds enough of them to be the ring's own hops, the wallet is
  the ring's hub, not a desk, and the walk is run once more through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from pigtrace.arrays import distinct
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import usd
from pigtrace.detect.flow_taint import DESK_ACCOUNTS, DESK_DEGREE, is_seed
from pigtrace.graph.flows import FlowStore, edge_rows, load_flows
from pigtrace.graph.taint import scam_passed_first
from pigtrace.trace.endpoints import K, NONE, Endpoints, load_endpoints
from pigtrace.trace.walk import PASSED_ON, Seeds, WalkResult, walk

HOPS = 16  # twice `pigtrace trace`'s default: a peel chain alone runs to a dozen payments
MIN_USD = 100.0  # traced money a wallet must pass on (or an account receive) to be named
MIN_SHARE = 0.3  # of what a wallet paid out, the share that carried traced money
# Pass-through: a wallet that also does other business (so below MIN_SHARE) but passed the traced money it
# received on within PROMPT_S of receiving it, whole (trace/walk: PASSED_ON of it, in payments made of it alone).
# A week, not a day: a slow ring's hops sit on the money for days (on the tuning worlds 24 hours missed 23 of
# the Tron `style=random+collection_hold=hours` hops a week finds, and took no more wrong ones).
PROMPT_S = 7 * 24 * 3600
MIN_CASH_SHARE = 0.1  # of what an account received, the traced share
EVIDENCE_EDGES = 6  # payments shown per finding, largest first
SCAM_ROLES = ("scam_collection", "scam_operator")


class Propagation(Detector):
    id = "propagation"
    concept = "money_laundering"
    help = (
        "Laundering and cash-out found by following what the scam collection wallets received forward in "
        "time, payment by payment (first in, first out, as `pigtrace trace` does, except that a wallet passing "
        f"the money on promptly and whole passes it first), through up to {HOPS} payments: a wallet at least "
        f"{MIN_SHARE:.0%} of whose payments carried the victims' money is laundering (clean money mixed in lowers "
        f"that share, it does not hide the wallet), and so is one that passed at least {PASSED_ON:.0%} of the "
        "victims' money it received on within "
        f"{PROMPT_S // 86400} days in payments of that money alone (a hop in a wallet that also does business); "
        "an exchange deposit "
        "account or OTC desk the money reached is a cash-out, scored by how much of all it received was the "
        "victims' money; a desk-shaped wallet whose counterparties the walk finds to be the ring's hops is its "
        "hub, and the walk goes on through it."
    )
    severity = "high"
    confidence = "medium"
    roles = ("laundering", "cash_out")
    # the flow store and endpoints come from the warehouse (graph.flows, trace.endpoints), as `trace` reads them
    reads = ("transfers", "entities", "findings:screening_hits", "findings:approval_drain", "findings:fake_platform",
             "findings:collection_evidence", "findings:poisoning", "findings:laundering")
    writes = ("findings:propagation",)

    def seeds(self, ctx: AnalysisContext) -> set[tuple[str, str]]:
        """(chain, address) of the wallets whose receipts the walk starts from: the collection wallets found."""
        return {(f.chain, f.address) for f in ctx.findings if is_seed(f) and (ctx.chain is None or f.chain == ctx.chain)}

    def already_found(self, ctx: AnalysisContext) -> set[tuple[str, str, str]]:
        """(chain, address, role) the walk leaves unnamed: found before by another detector (none here)."""
        return set()

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        seeds = self.seeds(ctx)
        if not seeds:
            return []
        store = load_flows(ctx.con)
        nodes = _nodes(store, seeds)
        if not len(nodes):
            return []
        scam = np.zeros(store.n_nodes, dtype=bool)
        scam[_nodes(store, {(f.chain, f.address) for f in ctx.findings
                            if f.role in SCAM_ROLES + ("laundering",)})] = True
        base = load_endpoints(ctx.con, store)
        pairs = _distinct_pairs(store, np.ones(store.n_edges, dtype=bool))
        ends = _with_desks(store, base, pairs, scam, nodes)
        receipts = _in_edges(store, nodes)
        # what one collection wallet pays another is already on the move from the first: seeded again at
        # the second it was counted twice there and at every wallet after it
        seeded = np.zeros(store.n_nodes, dtype=bool)
        seeded[nodes] = True
        receipts = receipts[(np.nan_to_num(store.usd[receipts]) > 0) & ~seeded[store.src[receipts]]]
        keep = {(f.chain, f.address) for f in ctx.findings if f.role in SCAM_ROLES + ("victim",)}
        skip = np.zeros(store.n_nodes, dtype=bool)
        skip[_nodes(store, keep)] = True
        usd_all = np.nan_to_num(store.usd)
        out_total = np.bincount(store.src, weights=usd_all, minlength=store.n_nodes)
        in_total = np.bincount(store.dst, weights=usd_all, minlength=store.n_nodes)
        traced = _trace(store, ends, receipts, skip, out_total)
        if traced is None:
            return []
        # A desk-shaped wallet whose ordinary counterparties turn out to be the ring's own hops, found by the
        # walk, is the ring's hub, not a desk: walk again through it (it stopped the trace on the tuning worlds
        # where rings share their laundering wallets)
        scam[traced.launder] = True
        again = _with_desks(store, base, pairs, scam, nodes)
        hubs = np.flatnonzero(again.kind != ends.kind)
        if any((int(h), int(ends.kind[h])) in traced.res.endpoints for h in hubs):
            ends = again
            traced = _trace(store, ends, receipts, skip, out_total)
        res, launder, share = traced.res, traced.launder, traced.share
        carried_e, carried_v, out_traced, in_traced = traced.carried_e, traced.carried_v, traced.out, traced.into
        cash = [(node, kind, v[0], v[1], v[2]) for (node, kind), v in res.endpoints.items()
                if kind in (K["exchange_deposit"], K["otc"]) and v[0] >= MIN_USD and not skip[node]]
        cash = _own_money_capped(store, cash, carried_e, carried_v, nodes, _sole_payer(store, ends))
        cash = [c for c in cash if c[2] >= MIN_USD and c[2] >= MIN_CASH_SHARE * max(in_total[c[0]], 1e-9)]
        known = self.already_found(ctx)
        if known:
            launder = launder[~np.isin(launder, _nodes(store, {(c, a) for c, a, r in known if r == "laundering"}))]
            found_cash = set(_nodes(store, {(c, a) for c, a, r in known if r == "cash_out"}).tolist())
            cash = [c for c in cash if c[0] not in found_cash]
        shown = _evidence_edges(store, carried_e, carried_v, launder, [c[0] for c in cash])
        detail = edge_rows(ctx.con, store, np.concatenate(list(shown.values())) if shown else np.zeros(0, np.int64))
        out = []
        for node in launder.tolist():
            s = float(share[node])
            if s >= MIN_SHARE:
                score = min(1.0, 0.4 + 0.55 * s)
                why = (f"{s:.0%} of the {usd(out_total[node])} it paid out carried money traced from scam "
                       f"collection wallets ({usd(out_traced[node])}), first in first out")
            else:
                p = min(1.0, float(out_traced[node] / in_traced[node])) if in_traced[node] > 0 else 0.0
                score = 0.45 + 0.35 * p
                why = (f"passed {p:.0%} of the {usd(in_traced[node])} traced from scam collection wallets that it "
                       f"received on within {PROMPT_S // 86400} days of receiving it, whole, though that money was "
                       f"only {s:.0%} of the {usd(out_total[node])} it paid out: a hop for the scam's money in a "
                       "wallet that also does other business")
            out.append(Finding(
                chain=store.node_chain(node), address=store.address(node), role="laundering", typology=self.id,
                score=score, first_seen=_time(store, shown.get(node), min),
                last_seen=_time(store, shown.get(node), max), reasons=[why],
                evidence=_rows(store, shown.get(node), detail, "paid on traced scam money")))
        for node, kind, got, first, last in cash:
            s = min(float(got / in_total[node]), 1.0) if in_total[node] > 0 else 1.0
            what = ends.kind_of(node).replace("_", " ")
            entity = ends.entity_of(node)
            out.append(Finding(
                chain=store.node_chain(node), address=store.address(node), role="cash_out", typology=self.id,
                score=min(1.0, 0.45 + 0.5 * s), first_seen=_from_epoch(first), last_seen=_from_epoch(last),
                reasons=[f"{what}{' of ' + entity if entity else ''} that received {usd(got)} traced from scam "
                         f"collection wallets, {s:.0%} of all it received"],
                evidence=_rows(store, shown.get(node), detail, "traced scam money arriving")))
        return out


@dataclass
class _Traced:
    """One walk: its result, the traced money per edge (``carried_e``, ``carried_v``) and per wallet paid out
    and received (``out``, ``into``), the traced share of what each wallet paid out, and the laundering wallets."""
    res: WalkResult
    carried_e: np.ndarray
    carried_v: np.ndarray
    out: np.ndarray
    into: np.ndarray
    share: np.ndarray
    launder: np.ndarray


def _trace(store: FlowStore, ends: Endpoints, receipts: np.ndarray, skip: np.ndarray,
           out_total: np.ndarray) -> _Traced | None:
    """Walk what the collection wallets received (``receipts``) forward to ``ends``; the laundering wallets
    (not in ``skip``) by the share of what they paid out (``out_total``) that carried traced money, or by a
    prompt pass-through."""
    res = walk(store, ends, Seeds(edges=receipts, tokens=store.amount[receipts].copy(),
                                  value=store.usd[receipts].copy(), hop=0), method="fifo", hops=HOPS, min_usd=1.0,
               prompt_s=PROMPT_S)
    if not res.edges:
        return None
    carried_e = np.fromiter(res.edges.keys(), dtype=np.int64)
    carried_v = np.array([v[0] for v in res.edges.values()])
    out = np.bincount(store.src[carried_e], weights=carried_v, minlength=store.n_nodes)
    into = np.bincount(store.dst[carried_e], weights=carried_v, minlength=store.n_nodes)
    share = np.divide(out, out_total, out=np.zeros(store.n_nodes), where=out_total > 0)
    hop = np.zeros(store.n_nodes, dtype=bool)
    hop[list(res.prompt)] = True
    hop &= share < MIN_SHARE
    launder = np.flatnonzero((out >= MIN_USD) & ((share >= MIN_SHARE) | hop) & ~skip & (ends.kind == NONE))
    return _Traced(res, carried_e, carried_v, out, into, share, launder)


def _sole_payer(store: FlowStore, ends: Endpoints) -> np.ndarray:
    """Per node, the one wallet that pays it when it is an exchange deposit account that only that wallet
    pays (end points aside: the exchange's own gas top-ups), else -1: the wallet owner's own account."""
    n = store.n_nodes
    s, d = _distinct_pairs(store, (ends.kind[store.dst] == K["exchange_deposit"]) & (ends.kind[store.src] == NONE))
    sole = np.full(n, -1, dtype=np.int64)
    one = np.bincount(d, minlength=n) == 1
    sole[d[one[d]]] = s[one[d]]
    return sole


def _own_money_capped(store: FlowStore, cash: list, carried_e: np.ndarray, carried_v: np.ndarray,
                      seeds: np.ndarray, sole_payer: np.ndarray) -> list:
    """``cash`` with each account's traced money recounted: a payment into it from a wallet other than a
    collection wallet carries at most the traced money that wallet still held when it paid, traced money
    passed on first (graph.taint.scam_passed_first, the walk's own rule, here with the whole history's clean
    money known). A payment into an account that only its payer pays (``sole_payer``: its owner's own) comes
    out of the payer's own money first (see scam_passed_first's ``own_first``): a money changer banking its
    customers' takings while a ring's money sits in its wallet banks its own money. Both legs
    of a swap are the wallet's own money converted and are left out of its history."""
    if not cash:
        return cash
    nodes = np.array([c[0] for c in cash], dtype=np.int64)
    into = np.isin(store.dst[carried_e], nodes)
    e, v = carried_e[into], carried_v[into]
    payer = store.src[e].astype(np.int64)
    own = ~np.isin(payer, seeds)
    capped = v.copy()
    if own.any():
        carried = np.zeros(store.n_edges)
        carried[carried_e] = carried_v
        wallets = distinct(payer[own])
        reached = np.zeros(store.n_nodes, dtype=bool)  # wallets traced money reached, and the seeds
        reached[store.dst[carried_e]] = True
        reached[seeds] = True
        ins = _in_edges(store, wallets)
        ins = ins[~np.isin(ins, store.link_get)]
        first = store.out_ptr[wallets]
        lens = store.out_ptr[wallets + 1] - first
        outs = store.out_idx[np.repeat(first - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))].astype(np.int64)
        outs = outs[~np.isin(outs, store.link_pay)]
        held = scam_passed_first(store.dst[ins], store.time[ins], carried[ins], store.src[outs], store.time[outs],
                                 np.nan_to_num(store.usd[outs]), in_usd=np.nan_to_num(store.usd[ins]),
                                 own_first=sole_payer[store.dst[outs]] == store.src[outs],
                                 in_clean=np.where(reached[store.src[ins]], 0.0, np.nan_to_num(store.usd[ins])))
        at = np.argsort(outs, kind="stable")
        pos = np.minimum(np.searchsorted(outs[at], e[own]), max(len(outs) - 1, 0))
        found = outs[at][pos] == e[own] if len(outs) else np.zeros(int(own.sum()), dtype=bool)
        capped[own] = np.minimum(v[own], np.where(found, held[at][pos] if len(outs) else 0.0, 0.0))
    before = np.bincount(store.dst[e], weights=v, minlength=store.n_nodes)
    after = np.bincount(store.dst[e], weights=capped, minlength=store.n_nodes)
    ratio = np.divide(after, before, out=np.ones(store.n_nodes), where=before > 0)
    return [(node, kind, got * float(ratio[node]), first, last) for node, kind, got, first, last in cash]


def _with_desks(store: FlowStore, ends: Endpoints, pairs: tuple[np.ndarray, np.ndarray], scam: np.ndarray,
                seeds: np.ndarray) -> Endpoints:
    """``ends`` with the wallets shaped like an OTC desk as ``otc`` end points, as a labelled desk is (and as in
    flow_taint and cash_out): at least DESK_DEGREE distinct ordinary payers and payees, an ordinary one being
    neither an end point already nor a ``scam`` wallet, or as many distinct exchange deposit accounts among its
    payees (DESK_ACCOUNTS), and not fed mostly by ``seeds``, the collection wallets (that is the scam's
    consolidation wallet). ``pairs``: the distinct (payer, payee) pairs of the flow store.
    Money that reaches a desk is converted there; what it pays its customers afterwards is its own float,
    which the walk would charge with the scam money."""
    n = store.n_nodes
    s, d = pairs
    ordinary = (ends.kind == NONE) & ~scam
    payers = np.bincount(d[ordinary[s]], minlength=n)
    payees = np.bincount(s[ordinary[d]], minlength=n)
    accounts = np.bincount(s[(ends.kind == K["exchange_deposit"])[d]], minlength=n)
    usd = np.nan_to_num(store.usd)
    from_seed = np.zeros(n, dtype=bool)
    from_seed[seeds] = True
    in_usd = np.bincount(store.dst, weights=usd, minlength=n)
    seed_usd = np.bincount(store.dst, weights=np.where(from_seed[store.src], usd, 0.0), minlength=n)
    desk = (ordinary & (payers >= DESK_DEGREE) & ((payees >= DESK_DEGREE) | (accounts >= DESK_ACCOUNTS))
            & (seed_usd < 0.5 * in_usd))
    if not desk.any():
        return ends
    kind = ends.kind.copy()
    kind[desk] = K["otc"]
    return Endpoints(kind=kind, entity=ends.entity, names=ends.names, key=ends.key)


def _distinct_pairs(store: FlowStore, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(payer, payee) node arrays of the distinct pairs among the edges where ``edges`` (a mask) holds."""
    n = store.n_nodes
    pair = distinct(store.src[edges].astype(np.int64) * n + store.dst[edges].astype(np.int64))
    return pair // n, pair % n


def _nodes(store: FlowStore, pairs: set[tuple[str, str]]) -> np.ndarray:
    by_chain: dict[str, list[str]] = {}
    for chain, address in pairs:
        by_chain.setdefault(chain, []).append(address)
    found = [store.nodes_of(chain, addrs) for chain, addrs in by_chain.items() if store.chain_id(chain) is not None]
    nodes = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return nodes[nodes >= 0].astype(np.int64)


def _in_edges(store: FlowStore, nodes: np.ndarray) -> np.ndarray:
    """Every edge into ``nodes``, node by node in their order (one gather over the CSR arrays)."""
    first = store.in_ptr[nodes]
    lens = store.in_ptr[nodes + 1] - first
    pos = np.repeat(first - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
    return store.in_idx[pos].astype(np.int64)


def _evidence_edges(store: FlowStore, edges: np.ndarray, value: np.ndarray, launder: np.ndarray,
                    cash: list[int]) -> dict[int, np.ndarray]:
    """The largest traced payments out of each laundering wallet and into each cash-out account."""
    order = np.argsort(-value, kind="stable")
    edges = edges[order]
    out: dict[int, np.ndarray] = {}
    for side, nodes in ((store.src, launder), (store.dst, np.asarray(cash, dtype=np.int64))):
        if not len(nodes):
            continue
        mine = edges[np.isin(side[edges], nodes)]
        mine = mine[np.argsort(side[mine], kind="stable")]  # by node, largest first within each
        ends = side[mine]
        start = np.r_[0, np.flatnonzero(ends[1:] != ends[:-1]) + 1] if len(mine) else np.zeros(0, np.int64)
        stop = np.r_[start[1:], len(mine)]
        for lo, hi in zip(start.tolist(), stop.tolist()):
            out[int(ends[lo])] = mine[lo:min(hi, lo + EVIDENCE_EDGES)]
    return out


def _rows(store: FlowStore, edges: np.ndarray | None, detail: dict, note: str) -> list[dict]:
    if edges is None:
        return []
    rows = []
    for e, t, src, dst, token, value in zip(edges.tolist(), store.time[edges].tolist(), store.src[edges].tolist(),
                                            store.dst[edges].tolist(), store.asset_token[store.asset[edges]].tolist(),
                                            np.nan_to_num(store.usd[edges]).tolist()):
        d = detail.get(e, {})
        rows.append({"tx_hash": d.get("tx_hash"), "time": _from_epoch(t), "from": store.address(src),
                     "to": store.address(dst), "token": str(token), "amount": d.get("amount"),
                     "usd": round(value, 2), "note": note})
    return rows


def _time(store: FlowStore, edges: np.ndarray | None, pick):
    if edges is None or not len(edges):
        return None
    return _from_epoch(int(pick(store.time[edges])))


def _from_epoch(t: int) -> datetime:
    return datetime.fromtimestamp(int(t), UTC).replace(tzinfo=None)


DETECTORS = [Propagation]
