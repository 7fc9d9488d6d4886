"""Scam taint over the value-flow graph, shared by the laundering and cash-out detectors.

Seeds are the collection wallets found by earlier detectors (fake platforms, drain receivers, paid
look-alikes). The walk is proportional (haircut): a wallet passes on the share of its inflow that came
from the scam, so a busy exchange, OTC desk or market maker dilutes the taint instead of passing it to
every customer. Services (exchange hot wallets, DEX pools and routers, bridges, token contracts),
exchange deposit accounts and desk-shaped wallets are endpoints: they receive taint and pass none on. The return leg of a swap
is a conversion of the trader's own money, so it is left out (the trader keeps its share). Gas top-ups are left
out too: a small native-coin payment to a wallet that never sends native coin on is burnt as fees, not money the
wallet moves, so it must not dilute the wallet's share (the scam's gas funder tops up every laundering hop and the
exchange tops up every deposit account before sweeping it; counted as inflow, that dilution compounds hop by hop
down a peel chain).

The graph is the shared stage ``flow_graph`` (``pt_nodes``, ``pt_edges``; detect.stages). The walk starts
from the findings the calling detector reads, so it is the caller's: the result lands in DuckDB as
``pt_taint`` (chain, address, idx, share, tainted_in, passed_in, in_usd, out_usd, in_degree,
out_degree), with the seeds in ``pt_seeds`` and the known victims in ``pt_seed_victims``, for set-based SQL in that detector
(rewritten for each caller from the walk remembered for the same seeds).

Beside the haircut share, ``passed_in`` is the scam money each node received in time order, every wallet
passing scam money on before money of its own (passed_first_in): a ring's money that passes a chain of
wallets that also do ordinary business keeps its size, and what such a wallet pays after the scam money
has left it (its own takings, banked at its exchange account) carries none."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.graph.build import FlowGraph, build_flow_graph
from pigtrace.graph.taint import PassedFirst, haircut_taint

RING_HOP = "ring_hop"  # the typology of collection_evidence's laundering findings (see ``is_seed``)

HOPS = 16
DESK_DEGREE = 10  # distinct payers and distinct payees that make a wallet desk-shaped
# ... or it pays at least this many distinct exchange deposit accounts (its buyers give the desk their exchange
# address): a ring's hub pays a handful of mules' accounts. On bench/alt_world.py's worlds, whose desks pay their
# buyers' exchange accounts, the 28 desks rings sold to paid 18-61 such accounts and 2-9 ordinary wallets; on the
# simulator's knob and tuning worlds no wallet paid 10 or more without also paying 10 ordinary ones. A ring that
# cashes out through ten or more mules' accounts from one hub would be taken for a desk.
DESK_ACCOUNTS = DESK_DEGREE
# Dust floor: below MIN_TAINTED_USD of scam money a wallet is judged only when nearly all it ever received
# (PURE_SHARE) is scam money, and even then not below DUST_USD (poisoning dust, rounding).
MIN_TAINTED_USD = 50.0
PURE_SHARE = 0.9
DUST_USD = 10.0
# Victim-fed collection wallet (a collection wallet no earlier detector named, e.g. a platform whose victims
# were only found later through its payout wallet): paid by at least VICTIM_PAYERS distinct known victims,
# their payments at least VICTIM_FED of everything it ever received, and it swept at least SWEPT of that on
# (a friend, shop or landlord that several victims paid keeps the money; a collection wallet forwards it).
VICTIM_PAYERS = 2
VICTIM_FED = 0.5
SWEPT = 0.8


def enough_taint_sql(alias: str) -> str:
    """SQL predicate on a ``pt_taint`` row: it received more than dust of scam money."""
    return (f"({alias}.tainted_in >= {MIN_TAINTED_USD} OR ({alias}.share >= {PURE_SHARE} "
            f"AND {alias}.tainted_in >= {DUST_USD}))")


@dataclass
class Taint:
    graph: FlowGraph
    seeds: np.ndarray  # scam_collection findings and victim-fed collection wallets
    victim_fed: np.ndarray  # the victim-fed ones (not yet a finding)
    sinks: np.ndarray
    share: np.ndarray
    tainted_in: np.ndarray
    passed_in: np.ndarray  # scam money received in time order, scam money passed on first (passed_first_in)


EDGES_SQL = f"""
    WITH native_senders AS (SELECT DISTINCT src_ref AS ref FROM pt_value WHERE token = 'native')
    SELECT v.src_ref, v.dst_ref, v.usd FROM pt_value v
    ANTI JOIN pt_swap_returns r ON r.chain = v.chain AND r.tx_hash = v.tx_hash AND r.address = v.dst
    LEFT JOIN native_senders n ON n.ref = v.dst_ref
    WHERE NOT ({gas_topup_sql("v")} AND n.ref IS NULL)
"""


def store_pairs(con, table: str, pairs) -> None:
    """Write (chain, address) pairs to temp table ``table`` in one columnar insert."""
    pairs = sorted(pairs)
    con.register(f"{table}_arrow", pa.table({"chain": pa.array([p[0] for p in pairs], pa.string()),
                                             "address": pa.array([p[1] for p in pairs], pa.string())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT chain, address FROM {table}_arrow")
    con.unregister(f"{table}_arrow")


def flow_graph(ctx: AnalysisContext) -> FlowGraph:
    """The value-flow graph (``pt_nodes``, ``pt_edges`` and its CSR arrays) and ``pt_own_accounts``
    (OWN_ACCOUNTS_SQL), built once per analysis."""
    g = ctx.cache.get("flow_graph")
    if g is None:
        flow_services.prepare(ctx)
        g = build_flow_graph(ctx.con, EDGES_SQL)
        # every walk reads the owners' own exchange accounts (passed_first_in); they do not depend on its seeds
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE pt_own_accounts AS {OWN_ACCOUNTS_SQL}")
        ctx.cache["flow_graph"] = g
    return g


def is_seed(f) -> bool:
    """A finding the scam's money is walked from: a collection wallet, or a wallet collection_evidence
    handed to laundering because the people who paid it were the ring's wallets (a ring wallet, whatever
    clean money it also took in: what it passes on goes where the ring sends it)."""
    return f.role == "scam_collection" or (f.role == "laundering" and f.typology == RING_HOP)


def taint(ctx: AnalysisContext) -> Taint:
    """The haircut taint from the current scam_collection findings and the victim-fed collection wallets
    (cached for the analysis; recomputed when later detectors add collection wallets or victims)."""
    key = (frozenset((f.chain, f.address) for f in ctx.findings if is_seed(f)),
           frozenset((f.chain, f.address) for f in ctx.findings if f.role == "victim"))
    cached = ctx.cache.get("taint")
    # still current when the only new collection wallets are the victim-fed ones it already walked from
    con = ctx.con
    if cached is not None and cached[0][0] <= key[0] <= cached[2]:
        if cached[0][1] == key[1]:
            _publish(con, cached[1], key)
            return cached[1]
        # victims found since: walk again only if they make a new victim-fed collection wallet
        old = cached[1]
        store_pairs(con, "pt_seed_victims", key[1])
        victims = old.graph.mask(con, "SELECT chain, address FROM pt_seed_victims")
        if not _victim_fed(old.graph, victims, old.seeds | old.sinks).any():
            ctx.cache["taint"] = ((cached[0][0], key[1]), old, cached[2])
            _publish(con, old, key)
            return old
    g = flow_graph(ctx)
    store_pairs(con, "pt_seeds", key[0])
    seeds = g.mask(con, "SELECT chain, address FROM pt_seeds")
    store_pairs(con, "pt_seed_victims", key[1])
    victims = g.mask(con, "SELECT chain, address FROM pt_seed_victims")
    sinks = g.mask(con, """SELECT chain, address FROM pt_services UNION SELECT chain, address FROM pt_deposits
                           UNION SELECT chain, address FROM pt_otc_labelled""")
    # Desk-shaped wallets (many payers and many payees: OTC desks, processors, unlabelled exchanges) are
    # end points too: judged by cash_out, never walked through, so their customers inherit nothing;
    # except a consolidation wallet, which gets most of its money straight from collection wallets.
    from_seeds = np.asarray(g.adj[seeds].sum(axis=0)).ravel()
    desk = (g.in_degree >= DESK_DEGREE) & (g.out_degree >= DESK_DEGREE) & ~seeds
    sinks |= desk & (from_seeds < 0.5 * g.in_usd)
    victim_fed = _victim_fed(g, victims, seeds | sinks)
    seeds = seeds | victim_fed
    share, tainted_in = haircut_taint(g, seeds, sinks, hops=HOPS)
    result = Taint(g, seeds, victim_fed, sinks, share, tainted_in, passed_first_in(con, g, seeds, sinks, share, tainted_in))
    _publish(con, result, key, seeds_stored=True)
    fed = con.execute("SELECT chain, address FROM pt_taint WHERE victim_fed").fetchall()
    ctx.cache["taint"] = (key, result, key[0] | frozenset(fed))
    return result


def _publish(con, t: Taint, key, seeds_stored: bool = False) -> None:
    """Write the walk ``t`` (seeded from the findings ``key``) as ``pt_taint``, ``pt_seeds`` and
    ``pt_seed_victims`` for the detector that asked for it (another detector's walk may have replaced them,
    or the runner dropped them as that detector's scratch)."""
    if not seeds_stored:
        store_pairs(con, "pt_seeds", key[0])
        store_pairs(con, "pt_seed_victims", key[1])
    g = t.graph
    con.register("pt_taint_arrow", pa.table({
        "idx": np.arange(g.n, dtype=np.int64), "share": t.share, "tainted_in": t.tainted_in, "in_usd": g.in_usd,
        "passed_in": t.passed_in, "out_usd": g.out_usd, "in_degree": g.in_degree, "out_degree": g.out_degree,
        "seed": t.seeds,
        "victim_fed": t.victim_fed, "sink": t.sinks}))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_taint AS
            SELECT n.chain, n.address, t.* FROM pt_taint_arrow t JOIN {g.nodes_table} n USING (idx)
            WHERE t.tainted_in > 0 OR t.seed"""
    )
    con.unregister("pt_taint_arrow")


def _victim_fed(g: FlowGraph, victims: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """Wallets that collect known victims' money and sweep it on (see VICTIM_PAYERS): not a known victim,
    collection wallet, service, deposit account or desk (``excluded``)."""
    if not victims.any():
        return np.zeros(g.n, dtype=bool)
    from_victims = g.adj[victims]
    victim_usd = np.asarray(from_victims.sum(axis=0)).ravel()
    payers = np.asarray((from_victims > 0).sum(axis=0)).ravel()
    return ((payers >= VICTIM_PAYERS) & (victim_usd >= VICTIM_FED * g.in_usd) & (victim_usd >= MIN_TAINTED_USD)
            & (g.out_usd >= SWEPT * g.in_usd) & ~victims & ~excluded)


# Exchange deposit accounts that one wallet alone pays (services aside: the exchange's own gas top-ups): the
# wallet owner's own account, with that payer. What the owner banks there comes out of its own money first.
OWN_ACCOUNTS_SQL = f"""
    SELECT v.chain, v.dst AS address, min(v.src) AS payer FROM {flow_services.value_of("pt_deposits", "address", "dst")} v
    SEMI JOIN pt_deposits d ON d.chain = v.chain AND d.address = v.dst
    ANTI JOIN pt_services s ON s.chain = v.chain AND s.address = v.src
    GROUP BY ALL HAVING count(DISTINCT v.src) = 1"""


def passed_first_in(con, g: FlowGraph, seeds: np.ndarray, sinks: np.ndarray, share: np.ndarray,
                    tainted_in: np.ndarray) -> np.ndarray:
    """Per node, the scam money that reached it when the walk follows time order and every wallet passes
    scam money on before money of its own (graph.taint.scam_passed_first), payment by payment: the
    seeds' payments are all scam money; a wallet the haircut walk reached with more than dust passes on
    what it still holds; sinks receive and pass nothing. Where the haircut walk dilutes a ring's money
    at every wallet that also does ordinary business (the share of its whole history), so that a chain
    of such wallets falls below any share, this walk passes the money on whole as long as it is still
    in the wallet, and charges nothing to what the wallet pays after the scam money has left. A swap
    converts what the wallet paid into it: its payment leg carries scam money like any payment, and what
    comes back (just after it) carries the same share of scam money, so the wallet holds the converted scam
    money and no more (with both legs left out, a swap whose two legs differ in USD left the difference held
    as scam money, charged to what the wallet later paid from its own takings). Gas top-ups are left out; a
    payment beyond what the ledger shows the wallet holding is charged at its haircut share; a payment into
    an exchange account that only the wallet pays (pt_own_accounts: its owner's own) comes out of the wallet's
    own money first, what that could not cover being scam money (a wallet that also does business banks its
    takings there while a ring's money sits in it; the ring's money leaves with its next payments); repeated until
    no payment changes (at most HOPS rounds). The swap legs themselves count as no node's inflow."""
    walked = ~seeds & ~sinks & (tainted_in >= DUST_USD)
    if not walked.any() and not seeds.any():
        return np.zeros(g.n)
    con.register("pt_passed_nodes_arrow", pa.table({"idx": np.flatnonzero(walked | seeds).astype(np.int64)}))
    # the walked wallets' payments only, picked by address ref before any index is looked up (the whole
    # ledger joined to the node table twice does not fit the analysis memory at 10M transfers)
    e = con.execute(
        f"""WITH w AS (SELECT n.ref FROM {g.nodes_table} n SEMI JOIN pt_passed_nodes_arrow p USING (idx)),
                 v AS (SELECT v.chain, v.src, v.dst, v.time, v.usd, v.tx_hash, v.token, v.amount, v.src_ref, v.dst_ref
                       FROM pt_value v SEMI JOIN w ON w.ref = v.src_ref
                       UNION ALL
                       SELECT v.chain, v.src, v.dst, v.time, v.usd, v.tx_hash, v.token, v.amount, v.src_ref, v.dst_ref
                       FROM pt_value v SEMI JOIN w ON w.ref = v.dst_ref
                       ANTI JOIN w x ON x.ref = v.src_ref),
                 kept AS (SELECT v.*, CASE WHEN r.address IS NOT NULL THEN 2 WHEN q.address IS NOT NULL THEN 1
                                           ELSE 0 END AS leg  -- 1: paid into a swap, 2: what came back
                          FROM v
                          LEFT JOIN pt_swap_returns r ON r.chain = v.chain AND r.tx_hash = v.tx_hash AND r.address = v.dst
                          LEFT JOIN pt_swap_returns q ON q.chain = v.chain AND q.tx_hash = v.tx_hash AND q.address = v.src
                          WHERE NOT {gas_topup_sql("v")} AND NOT (r.address IS NOT NULL AND q.address IS NOT NULL))
            SELECT a.idx AS s, b.idx AS d, epoch(v.time)::BIGINT AS t, v.usd, v.leg,
                   v.leg = 0 AND o.address IS NOT NULL AS own_first,
                   CASE WHEN v.leg > 0 THEN dense_rank() OVER (ORDER BY v.chain, v.tx_hash,
                       CASE WHEN v.leg = 2 THEN v.dst ELSE v.src END) - 1 ELSE -1 END AS swap
            FROM kept v JOIN {g.nodes_table} a ON a.ref = v.src_ref
            JOIN {g.nodes_table} b ON b.ref = v.dst_ref
            LEFT JOIN pt_own_accounts o ON o.chain = v.chain AND o.address = v.dst AND o.payer = v.src
            -- the order in which the walk takes a wallet's payments made at the same time (else it varies
            -- with DuckDB's threads)
            ORDER BY v.chain, v.tx_hash, CASE WHEN v.leg = 2 THEN v.dst ELSE v.src END, v.src, v.dst, v.usd"""
    ).fetchnumpy()
    con.unregister("pt_passed_nodes_arrow")
    src, dst = np.asarray(e["s"], dtype=np.int64), np.asarray(e["d"], dtype=np.int64)
    usd, leg = np.asarray(e["usd"], dtype=np.float64), np.asarray(e["leg"], dtype=np.int64)
    swap = np.asarray(e["swap"], dtype=np.int64)
    own_first = np.asarray(e["own_first"], dtype=bool)
    pay, back = leg == 1, leg == 2
    t = 2 * np.asarray(e["t"], dtype=np.int64) + back  # what a swap returns comes just after its payment
    carried = np.where(seeds[src], usd, 0.0)
    ins, outs = walked[dst], walked[src] & ~seeds[src]
    clean_in = np.where((tainted_in[src[ins]] > 0) | seeds[src[ins]], 0.0, usd[ins])  # from wallets never reached
    n_swaps = int(swap.max()) + 1 if len(swap) else 0
    # the events stay the same from round to round, only what the inflows carry changes: sorted once
    walk = PassedFirst(dst[ins], t[ins], src[outs], t[outs], usd[outs], usd[ins], share[src[outs]], own_first[outs],
                       clean_in)
    for _ in range(HOPS):
        new = carried.copy()
        new[outs] = walk(carried[ins])
        if back.any():  # a swap returns the share of scam money its payment carried
            paid = np.bincount(swap[pay], weights=usd[pay], minlength=n_swaps)
            scam = np.bincount(swap[pay], weights=new[pay], minlength=n_swaps)
            ratio = np.divide(scam, paid, out=np.zeros(n_swaps), where=paid > 0)
            new[back] = usd[back] * np.minimum(ratio[swap[back]], 1.0)
        done = np.allclose(new, carried, rtol=0.0, atol=0.01)
        carried = new
        if done:
            break
    return np.bincount(dst, weights=np.where(leg == 0, carried, 0.0), minlength=g.n)
