"""`pigtrace case ADDRESS`: from one reported victim (or one scam address) to the ring around it, built on the
trace: the victim's payments and loss, the collection wallets, the other victims, the operators and
laundering wallets, the key nodes by victim money through them, and the accounts where this case's money
was cashed out, each with its traced amount.

Place in the flow: graph/flows + trace/endpoints + trace/walk -> trace/ring -> **trace/case** ->
cli/case_commands (print), trace/case_store (the ``cases`` table the API and reports reopen).

The subject is a victim unless `pigtrace analyze` found it in a scam role (and not as a victim) or a label
calls it a scam (``as_="auto"``):

- a victim's loss payments: what it paid to wallets that are not services (exchanges, DEXes, bridges, ...);
  when analyze's findings call some of those receivers scam wallets, only those. A victim who paid from
  an exchange account has no payment of its own on chain: the exchange's withdrawal transactions, given
  with ``payments``, are its payments. The loss is the payments less what the ring paid back.
- a scam address: the collection wallet is the address itself and the case's money is what it received.
Without findings (before or without analyze) the case comes from the money alone and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from pigtrace.arrays import distinct
from pigtrace.errors import PigtraceError
from pigtrace.graph.flows import FlowStore, edge_rows, load_flows, transaction_edges
from pigtrace.trace.endpoints import KINDS, NONE, Endpoints, load_endpoints
from pigtrace.trace.ring import Ring, find_ring, traced_through
from pigtrace.trace.run import DEFAULT_HOPS, DEFAULT_MIN_USD, as_time, auto_follow, priced_within, resolve_address
from pigtrace.trace.walk import Seeds, WalkResult, walk

SCAM_RECEIVERS = ("scam_collection", "scam_operator")
CASH_KINDS = ("exchange_deposit", "exchange", "otc", "bridge", "mixer", "dex")
KEY_NODES = 20
MAIN_RECEIVER_SHARE = 0.2  # without findings or reported payments: a receiver of this share of the payments ...
PASSED_ON = 0.9  # ... that sent on this share of all it received
GRAPH_VICTIMS = 100  # co-victims drawn in the graph (the largest payers); the list holds them all
DETAIL_ROWS = 2000  # payments whose transaction hash is read back (the subject's, then service-paid ones)


@dataclass
class Case:
    subject: str
    chain: str
    subject_kind: str  # victim or scam
    method: str
    basis: str  # "trace" or "trace+findings"
    loss_usd: float
    payments: list[dict[str, Any]]
    collection_wallets: list[dict[str, Any]]
    co_victims: list[dict[str, Any]]
    operators: list[dict[str, Any]]
    laundering: list[dict[str, Any]]
    key_nodes: list[dict[str, Any]]
    cash_out: list[dict[str, Any]]
    graph: dict[str, list]
    unresolved: dict[str, float]
    notes: list[str] = field(default_factory=list)
    hops: int = DEFAULT_HOPS  # the trace's settings, kept so that a report can say how the case was traced
    min_usd: float = DEFAULT_MIN_USD
    id: int | None = None
    created: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "subject": self.subject, "chain": self.chain, "subject_kind": self.subject_kind,
            "method": self.method, "basis": self.basis, "loss_usd": round(self.loss_usd, 2),
            "payments": self.payments, "collection_wallets": self.collection_wallets,
            "co_victims": self.co_victims, "operators": self.operators, "laundering": self.laundering,
            "key_nodes": self.key_nodes, "cash_out": self.cash_out, "graph": self.graph,
            "unresolved": self.unresolved, "notes": self.notes, "hops": self.hops, "min_usd": self.min_usd,
        }


def build_case(con: duckdb.DuckDBPyConnection, address: str, chain: str | None = None, method: str = "fifo",
               hops: int = DEFAULT_HOPS, min_usd: float = DEFAULT_MIN_USD, payments: list[str] | tuple = (),
               since: datetime | None = None, until: datetime | None = None, as_: str = "auto",
               store: FlowStore | None = None) -> Case:
    if as_ not in ("auto", "victim", "scam"):
        raise PigtraceError(f"--as {as_!r}: use auto, victim or scam")
    store = store or load_flows(con)
    ends = load_endpoints(con, store)
    try:
        chain, subject, shown = resolve_address(con, store, address, chain)
    except PigtraceError:
        if not payments or as_ == "scam":
            raise
        # a victim who paid from an exchange account may have no transfer of its own: its payments say it all
        chain, subject, shown = _unseen_subject(con, store, address, chain, payments[0])
    kind = as_ if as_ != "auto" else ("scam" if auto_follow(con, chain, shown) == "received" else "victim")
    roles = _finding_roles(con, chain)
    notes: list[str] = []
    if kind == "victim":
        loss_edges, basis = _loss_payments(con, store, ends, chain, subject, roles, payments, since, until, notes)
        collection = sorted({int(store.dst[e]) for e in loss_edges.tolist()})
        seeds = Seeds(edges=loss_edges, tokens=store.amount[loss_edges].copy(), value=store.usd[loss_edges].copy(),
                      hop=1, source=subject)
    else:
        received = priced_within(store, store.in_edges(subject).astype(np.int64), since, until)
        loss_edges, collection, basis = received, [subject], "trace+findings" if roles else "trace"
        seeds = Seeds(edges=received, tokens=store.amount[received].copy(), value=store.usd[received].copy(),
                      hop=0, source=subject)
    if not roles:
        notes.append("no `pigtrace analyze` findings on this chain: the case comes from the money alone")
    res = walk(store, ends, seeds, method=method, hops=hops, min_usd=min_usd)
    node_roles = {}
    if roles:
        found = list(roles)
        node_roles = {int(n): roles[a] for a, n in zip(found, store.nodes_of(chain, found)) if n >= 0}
    ring = find_ring(store, ends, collection, res, subject if kind == "victim" else None, node_roles)
    if kind == "victim":  # the subject's own payments sent by its exchange are not another victim's
        ring.via_service = np.setdiff1d(ring.via_service, loss_edges)
    first_paid = {v: int(store.time[e].min()) for v, e in ring.co_victims.items()}
    if kind == "victim" and len(loss_edges) and subject >= 0:
        first_paid[subject] = int(store.time[loss_edges].min())
    ring.operators.update(_payout_wallets(store, ends, first_paid, ring))
    ring_edges = np.concatenate([loss_edges if kind == "victim" else np.zeros(0, np.int64),
                                 *ring.co_victims.values(), ring.via_service]).astype(np.int64)
    ring_edges = distinct(ring_edges)
    ring_res = walk(store, ends, Seeds(edges=ring_edges, tokens=store.amount[ring_edges].copy(),
                                       value=store.usd[ring_edges].copy(), hop=1), method=method, hops=hops,
                    min_usd=min_usd)
    paid_back = _paid_back(store, subject, ring, first_paid[subject]) if subject in first_paid and kind == "victim" \
        else np.zeros(0, np.int64)
    detail = edge_rows(con, store, np.concatenate([loss_edges, paid_back, ring.via_service])[:DETAIL_ROWS])
    paid = float(np.nansum(store.usd[loss_edges]))
    if kind == "victim":
        loss = paid - float(np.nansum(store.usd[paid_back]))
    else:
        loss = float(np.nansum(store.usd[ring_edges]))
    _bridge_notes(store, ends, res, notes)
    collection_rows = _collection_rows(store, ring, ring_edges)
    _ring_notes(con, chain, collection_rows, notes)
    case = Case(
        subject=shown, chain=chain, subject_kind=kind, method=method, basis=basis, loss_usd=max(loss, 0.0),
        payments=_payment_rows(store, loss_edges, paid_back, detail, kind),
        collection_wallets=collection_rows,
        co_victims=_co_victim_rows(store, ends, ring, detail, roles),
        operators=[{"address": store.address(n), "why": why} for n, why in sorted(ring.operators.items())],
        laundering=[{"address": store.address(n), "usd": round(ring.through.get(n, 0.0), 2)}
                    for n in sorted(ring.laundering, key=lambda n: -ring.through.get(n, 0.0))],
        key_nodes=_key_nodes(store, ring, ring_res),
        cash_out=_cash_out_rows(store, ends, res, ring_res, ring.wallets),
        graph=_graph(store, ends, subject if kind == "victim" and subject >= 0 else None, ring, ring_res, res),
        unresolved=_unresolved(res), hops=hops, min_usd=min_usd,
    )
    case.notes = notes
    return case


# ---------------------------------------------------------------------- the subject's money
def _unseen_subject(con, store: FlowStore, address: str, chain: str | None, tx: str) -> tuple[str, int, str]:
    from pigtrace.chains.addresses import normalize

    tx_chain, _ = transaction_edges(con, store, tx)
    if tx_chain is None:
        raise PigtraceError(f"{tx}: no transaction with this hash in the warehouse")
    return tx_chain, -1, normalize(address, chain or tx_chain)


def _finding_roles(con: duckdb.DuckDBPyConnection, chain: str) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}
    for a, r in con.execute("SELECT address, role FROM findings WHERE chain = ?", [chain]).fetchall():
        roles.setdefault(a, set()).add(r)
    return roles


def _loss_payments(con, store: FlowStore, ends: Endpoints, chain: str, subject: int, roles: dict,
                   payments: list[str] | tuple, since, until, notes: list[str]) -> tuple[np.ndarray, str]:
    """The subject's payments to the scam: the transactions given (all of them, as the victim reported them),
    else its payments to wallets, narrowed to the findings' scam wallets where there are any."""
    if payments:
        given = []
        for tx in payments:
            tx_chain, edges = transaction_edges(con, store, tx)
            if tx_chain is None:
                raise PigtraceError(f"{tx}: no transaction with this hash in the warehouse")
            if tx_chain != chain:
                raise PigtraceError(f"{tx}: a transaction on {tx_chain}, the subject is on {chain}")
            edges = priced_within(store, edges, None, None)
            given.append(edges[ends.kind[store.dst[edges]] == NONE])
        return distinct(np.concatenate(given).astype(np.int64)), "trace (reported payments)"
    out = priced_within(store, store.out_edges(subject).astype(np.int64), since, until)
    out = out[(ends.kind[store.dst[out]] == NONE) & (store.dst[out] != subject)]
    if not len(out):
        notes.append("no payment of the subject to a wallet: if the victim paid from an exchange account, give the "
                     "exchange's withdrawal transactions with --payment")
        return out, "trace"
    if roles:
        flagged = np.array([bool(roles.get(store.address(int(d)), set()) & set(SCAM_RECEIVERS))
                            for d in store.dst[out].tolist()])
        if flagged.any():
            return out[flagged], "trace+findings"
        notes.append("no receiver of the subject's payments is in a scam role in the findings: the wallets that "
                     "took the bulk of its payments and passed on what they received count (--payment names the "
                     "ones the victim reports)")
    else:
        notes.append("the wallets that took the bulk of the subject's payments and passed on what they received "
                     "count as the scam (--payment names the ones the victim reports)")
    picked = _main_receivers(store, out)
    if not len(picked):
        notes.append("none of the wallets the subject paid most passed on what it received: no payment counts")
    return picked, "trace"


def _main_receivers(store: FlowStore, edges: np.ndarray) -> np.ndarray:
    """The payments to the wallets that took at least ``MAIN_RECEIVER_SHARE`` of them (USD) and passed on at
    least ``PASSED_ON`` of all they ever received: a scam takes the bulk of what its victim pays out and moves
    it on (a shop, a saver or a friend keeps much of it); the grocer and the rent stay out."""
    usd = np.nan_to_num(store.usd[edges])
    receivers, inv = np.unique(store.dst[edges], return_inverse=True)
    share = np.bincount(inv, weights=usd) / max(float(usd.sum()), 1e-9)
    moves_on = np.array([_passed_on(store, int(r)) >= PASSED_ON for r in receivers.tolist()], dtype=bool)
    return edges[(share >= MAIN_RECEIVER_SHARE)[inv] & moves_on[inv]]


def _passed_on(store: FlowStore, node: int) -> float:
    got = np.nansum(store.usd[store.in_edges(node)])
    return float(np.nansum(store.usd[store.out_edges(node)]) / got) if got > 0 else 0.0


def _payout_wallets(store: FlowStore, ends: Endpoints, first_paid: dict[int, int], ring: Ring) -> dict[int, str]:
    """Wallets (not the ring's, not services) that paid two or more of the ring's victims after those victims'
    first payment to the ring, and mostly them: the "profit withdrawals" that keep a victim paying. ``first_paid``: victim
    node -> time of its first payment to the ring."""
    paid: dict[int, set[int]] = {}
    wallets = ring.wallets
    for v, t in first_paid.items():
        ins = store.in_edges(v)
        ins = ins[store.time[ins] > t]
        for s in distinct(store.src[ins]).tolist():
            if s not in first_paid and s not in wallets and ends.kind[s] == NONE:
                paid.setdefault(s, set()).add(v)
    out = {}
    for s, vs in paid.items():
        payees = store.dst[store.out_edges(s)]
        if len(vs) >= 2 and np.isin(payees, list(first_paid)).mean() >= 0.5:
            out[s] = f"paid {len(vs)} of the ring's victims back"
    return out


def _paid_back(store: FlowStore, subject: int, ring: Ring, after: int) -> np.ndarray:
    """What the ring's collection wallets and operators paid the subject after its first payment to the ring
    (its laundering wallets paying a victim would be a coincidence the trace cannot tell from a payback)."""
    ins = store.in_edges(subject).astype(np.int64)
    ins = ins[store.time[ins] > after]
    back = set(ring.collection) | set(ring.sisters) | set(ring.operators)
    return ins[np.isin(store.src[ins], np.fromiter(back, dtype=np.int64, count=len(back)))] if back else ins[:0]


# ---------------------------------------------------------------------- rows
def _edge_row(store: FlowStore, e: int, detail: dict) -> dict[str, Any]:
    d = detail.get(e, {})
    return {"time": as_time(int(store.time[e])), "from": store.address(int(store.src[e])),
            "to": store.address(int(store.dst[e])), "asset": str(store.asset_symbol[store.asset[e]]),
            "amount": d.get("amount"), "usd": round(float(store.usd[e]), 2), "tx_hash": d.get("tx_hash")}


def _payment_rows(store, loss_edges, paid_back, detail, kind) -> list[dict[str, Any]]:
    if kind != "victim":
        return []
    rows = [{"direction": "paid", **_edge_row(store, e, detail)} for e in loss_edges.tolist()]
    rows += [{"direction": "paid back", **_edge_row(store, e, detail)} for e in paid_back.tolist()]
    return sorted(rows, key=lambda r: r["time"])


def _collection_rows(store: FlowStore, ring: Ring, ring_edges: np.ndarray) -> list[dict[str, Any]]:
    into = store.dst[ring_edges]
    rows = []
    for n, how in [(n, "paid by the subject") for n in ring.collection] + [(n, "sweeps into the ring") for n in ring.sisters]:
        mine = ring_edges[into == n]
        rows.append({"address": store.address(n), "found": how, "victim_payments": len(mine),
                     "usd": round(float(np.nansum(store.usd[mine])), 2)})
    return rows


def _ring_notes(con: duckdb.DuckDBPyConnection, chain: str, rows: list[dict[str, Any]], notes: list[str]) -> None:
    """Each collection wallet's ring in analyze's ``rings`` table (``ring``: None when analyze put it in
    none), and a note naming those rings with their size."""
    addresses = [r["address"] for r in rows]
    found: dict[str, str] = {}
    if addresses:
        found = dict(con.execute(
            "SELECT address, min(ring) FROM rings WHERE chain = ? AND role = 'scam_collection' "
            "AND list_contains(?, address) GROUP BY address", [chain, addresses]).fetchall())
    for r in rows:
        r["ring"] = found.get(r["address"])
    for ring in sorted(set(found.values())):
        wallets, victims = con.execute(
            "SELECT count(*) FILTER (WHERE role = 'scam_collection'), count(*) FILTER (WHERE role = 'victim') "
            "FROM rings WHERE chain = ? AND ring = ?", [chain, ring]).fetchone()
        notes.append(f"analyze's {ring} holds {wallets} collection wallets and {victims} victims (`pigtrace rings {ring}`)")


def _co_victim_rows(store: FlowStore, ends: Endpoints, ring: Ring, detail: dict,
                    roles: dict[str, set[str]]) -> list[dict[str, Any]]:
    """``confirmed``: analyze's findings call the co-victim a victim too (None for a service's payment)."""
    rows = []
    for v, edges in ring.co_victims.items():
        address = store.address(v)
        rows.append({"address": address, "confirmed": "victim" in roles.get(address, ()), "paid_from": "wallet",
                     "entity": None, "payments": len(edges),
                     "usd": round(float(np.nansum(store.usd[edges])), 2),
                     "first_paid": as_time(int(store.time[edges].min())), "last_paid": as_time(int(store.time[edges].max())),
                     "tx_hash": None})
    for e in ring.via_service.tolist():
        s = int(store.src[e])
        rows.append({"address": store.address(s), "confirmed": None, "paid_from": ends.kind_of(s) or "busy wallet", "entity": ends.entity_of(s),
                     "payments": 1, "usd": round(float(store.usd[e]), 2), "first_paid": as_time(int(store.time[e])),
                     "last_paid": as_time(int(store.time[e])), "tx_hash": detail.get(e, {}).get("tx_hash")})
    return sorted(rows, key=lambda r: -r["usd"])


def _key_nodes(store: FlowStore, ring: Ring, ring_res: WalkResult) -> list[dict[str, Any]]:
    through = traced_through(store, ring_res)
    role = {**{n: "laundering" for n in ring.laundering}, **{n: "collection" for n in ring.sisters},
            **{n: "collection" for n in ring.collection}}
    ranked = sorted((n for n in through if n in role), key=lambda n: -through[n])[:KEY_NODES]
    return [{"address": store.address(n), "role": role[n], "victim_usd": round(through[n], 2)} for n in ranked]


def _cash_out_rows(store: FlowStore, ends: Endpoints, res: WalkResult, ring_res: WalkResult,
                   ring_wallets: set[int]) -> list[dict[str, Any]]:
    """Where this case's money stopped: services and deposit accounts, and wallets outside the ring still
    holding it (``held``) or where the trace ran out of hops (``unknown``): an OTC desk or a mule nobody
    labelled looks like that."""
    ring_usd = {k: v[0] for k, v in ring_res.endpoints.items()}
    rows = []
    for (node, k), (usd, first, last) in res.endpoints.items():
        if KINDS[k] not in CASH_KINDS and node in ring_wallets:
            continue
        rows.append({"address": store.address(node), "kind": KINDS[k], "entity": ends.entity_of(node),
                     "usd": round(usd, 2), "ring_usd": round(ring_usd.get((node, k), 0.0), 2),
                     "first_time": as_time(first), "last_time": as_time(last)})
    return sorted(rows, key=lambda r: (-r["usd"], r["address"]))


def _unresolved(res: WalkResult) -> dict[str, float]:
    held = sum(v[0] for (n, k), v in res.endpoints.items() if KINDS[k] == "held")
    unknown = sum(v[0] for (n, k), v in res.endpoints.items() if KINDS[k] == "unknown")
    return {"input_usd": round(res.input_usd, 2), "held_usd": round(held, 2), "unknown_usd": round(unknown, 2),
            "below_min_usd": round(res.unresolved_usd, 2)}


def _bridge_notes(store: FlowStore, ends: Endpoints, res: WalkResult, notes: list[str]) -> None:
    for (node, k), (usd, _f, _l) in sorted(res.endpoints.items(), key=lambda kv: -kv[1][0]):
        if KINDS[k] == "bridge":
            name = ends.entity_of(node) or store.address(node)
            notes.append(f"{usd:,.2f} USD left the chain through the bridge {name}: follow it on the other side")


def _graph(store: FlowStore, ends: Endpoints, subject: int | None, ring: Ring, ring_res: WalkResult,
           res: WalkResult) -> dict[str, list]:
    role: dict[int, str] = {}
    big = sorted(ring.co_victims, key=lambda v: -float(np.nansum(store.usd[ring.co_victims[v]])))[:GRAPH_VICTIMS]
    for v in big:
        role[v] = "victim"
    for n in ring.operators:
        role[n] = "operator"
    for n in ring.laundering:
        role[n] = "laundering"
    for n in list(ring.collection) + ring.sisters:
        role[n] = "collection"
    for (n, k) in list(res.endpoints) + list(ring_res.endpoints):
        if KINDS[k] in CASH_KINDS:
            role.setdefault(n, KINDS[k])
    if subject is not None:
        role[subject] = "subject"
    pair_usd: dict[tuple[int, int], list] = {}
    for e, (usd, _hop) in ring_res.edges.items():
        s, d = int(store.src[e]), int(store.dst[e])
        if s in role and d in role:
            got = pair_usd.setdefault((s, d), [0.0, 0])
            got[0] += usd
            got[1] += 1
    nodes = [{"id": store.address(n), "role": r, "kind": ends.kind_of(n)} for n, r in role.items()]
    edges = [{"from": store.address(s), "to": store.address(d), "usd": round(v[0], 2), "transfers": v[1]}
             for (s, d), v in sorted(pair_usd.items(), key=lambda kv: -kv[1][0])]
    return {"nodes": nodes, "edges": edges}
