"""Collection wallets found backwards from where the ring's money went, whoever paid them.

Place in the flow: every other detector (collection, laundering, cash-out) -> **ring_feeders** -> late_propagation
(which walks the money of the wallets found here on) -> merge. It reads the value-flow graph
(``flow_taint.flow_graph``: gas top-ups and swap return legs left out).

A ring that has its victims pay from their exchange accounts into a deposit wallet each, and sweeps each
through hops of its own, gives the collection model nothing: no person pays the wallet, no two wallets share a
destination or a gas funder. laundering_source asks for people devoted to a wallet, so that a shop's customer
paying a reused laundering wallet everything stays out; here the payers may be exchanges. What ties the wallets
to the ring is where the money ends: the same laundering wallet or mule account the ring's found wallets feed.

A wallet (no service or exchange deposit account, not found in any role) *feeds* the ring when it passed on
at least ``PASSED`` of what it received, under ``TO_SERVICES`` of it straight to services, took in at least
``PAYMENTS`` payments, at most ``FROM_RING`` of what people (not services) paid it came from found scam
wallets or from wallets that pass on all they get (where the ring's money meets: its consolidation), and at
least ``REACHED`` of what it paid out reached found laundering wallets or cash-out accounts, straight or through up to ``HOPS``
hops (wallets like it, not found, that pass on what they get); none of its money reached a found collection
wallet, victim or operator (then it pays the scam: a victim); and where it paid the found wallet straight,
that wallet took at least ``FROM_RING`` of its money from the ring's found wallets (a found wallet that only
such wallets pay is one many people devoted to it paid, whatever it was found as: they are its victims' own
wallets, a shared platform wallet taken for laundering). The feeders are collection wallets when
``RING_MIN`` or more of them reach the same found wallet first (its main destination among them), the ring's
found collection wallets whose money reaches it first counting too (a ring with a deposit wallet per victim
and several consolidation wallets: its other wallets were found, no three unfound ones meet at one), none was
paid by a wallet that also paid another feeder (a ring paying its victims "profits"), and none got its gas from
a wallet it paid (an exchange's hot wallets fuel its customers' deposit accounts and take their sweeps: with
the hot wallets unlabelled and one taken for laundering, the accounts look like deposit wallets feeding it). The hops between them
and the found wallets are laundering; people who sent a feeder at least ``DEVOTED`` of all they sent, or paid
it ``REPEATED`` times or more, are its victims.

What breaks it: a ring whose found laundering is nowhere on the deposit wallets' way out (nothing found
downstream), hops that also do other business (they stop passing on nearly all), a ring spread so thin that
fewer than ``RING_MIN`` of its wallets end at any one found wallet, and a ring that pays its deposit wallets
from a wallet that pays two of them, or that fuels its deposit wallets from a wallet they pay. Customers who pay all their exchange withdrawals, more than once, through
a hop to a wallet found as laundering (a reused wallet that also does business) are taken for its deposit
wallets, sooner where two found collection wallets meet there too (Ethereum ``style=random`` tuning seeds 15-44:
one such shop customer among 15 more deposit wallets found).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pigtrace.arrays import distinct
from pigtrace.detect import flow_taint
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import HELD_PASSED as PASSED, HELD_SERVICES as TO_SERVICES, RING_MIN
from pigtrace.detect.collection_features import DEVOTED_SHARE as DEVOTED
from pigtrace.detect.flow_evidence import collect, in_out_sql, seen_sql, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

PAYMENTS = 2
FROM_RING = 0.5
REACHED = 0.5
HOPS = 2
MIN_USD = 100.0
# A payer that paid one such wallet this many times or more is its victim whatever else it did: a victim pays a
# platform again and again (deposits growing, "taxes"); an exchange's withdrawals are services, left out
REPEATED = 3
SCORES = {"scam_collection": 0.8, "laundering": 0.75, "victim": 0.7}
REACHED_ROLES = ("laundering", "cash_out")
PAID_ROLES = ("scam_collection", "victim", "scam_operator")
RING_ROLES = ("scam_collection", "laundering", "scam_operator")
SOURCES = ("screening_hits", "approval_drain", "fake_platform", "collection_evidence", "poisoning", "laundering",
           "victim_fed_laundering", "gas_funder", "propagation", "platform_payout", "victim_payout",
           "laundering_source", "operator_gassed", "laundering_chain", "mule_deposit", "otc_cash_out")


class RingFeeders(Detector):
    id = "ring_feeders"
    concept = "pig_butchering"
    help = (
        f"Scam collection wallets found backwards from the ring's found laundering and cash-out: {RING_MIN} or more "
        f"wallets, each paid {PAYMENTS} times or more (by exchanges or people) and passing nearly all of it on, "
        f"{REACHED:.0%} or more of it through fresh hops to the same found laundering wallet or mule account, none "
        "of it to a found collection wallet, and none paid by a wallet that pays another of them (the ring's found "
        f"collection wallets whose money meets theirs there first count towards the {RING_MIN}). The hops are "
        f"laundering; people who sent such a wallet most of all they sent, or paid it {REPEATED} times or more, are "
        "its victims."
    )
    severity = "high"
    confidence = "medium"
    roles = ("scam_collection", "laundering", "victim")
    reads = ("pt_value", "pt_nodes", "pt_edges", "pt_services", "pt_deposits", "pt_token_info",
             *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:ring_feeders",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        reached_pairs = {(f.chain, f.address) for f in ctx.findings if f.role in REACHED_ROLES}
        if not reached_pairs:
            return []
        con = ctx.con
        g = flow_taint.flow_graph(ctx)
        known = _mask(con, g, "pt_rf_known", {(f.chain, f.address) for f in ctx.findings})
        reached = _mask(con, g, "pt_rf_reached", reached_pairs)
        paid = _mask(con, g, "pt_rf_paid", {(f.chain, f.address) for f in ctx.findings if f.role in PAID_ROLES})
        ring = _mask(con, g, "pt_rf_ring", {(f.chain, f.address) for f in ctx.findings if f.role in RING_ROLES})
        collection = _mask(con, g, "pt_rf_collection",
                           {(f.chain, f.address) for f in ctx.findings if f.role == "scam_collection"})
        service = g.mask(con, "SELECT chain, address FROM pt_services UNION SELECT chain, address FROM pt_deposits")
        coo = g.adj.tocoo()
        s, d, v = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        payments = con.execute("SELECT d, sum(n) AS n FROM pt_edges GROUP BY d").fetchnumpy()
        in_n = np.zeros(g.n, dtype=np.int64)
        in_n[np.asarray(payments["d"], dtype=np.int64)] = np.asarray(payments["n"], dtype=np.int64)
        to_services = np.bincount(s[service[d]], weights=v[service[d]], minlength=g.n)
        passes = (~service & ~known & (g.in_usd > 0) & (g.out_usd >= PASSED * g.in_usd)
                  & (to_services < TO_SERVICES * np.maximum(g.out_usd, 1e-9)))
        share, first, via, by_depth = _reach(g, s, d, v, passes, reached, paid)
        # of what people (not services) paid it, the share from the ring's wallets and from wallets that pass on
        # all they get: a wallet those pay is where the ring's money meets, not where it enters (withdrawals
        # from exchanges count for neither side)
        fed = ring[s] | (passes[s] & ~service[s])
        from_people = g.in_usd - np.bincount(d[service[s]], weights=v[service[s]], minlength=g.n)
        from_fed = np.bincount(d[fed], weights=v[fed], minlength=g.n)
        # paid straight, the found wallet their money met is fed by the ring's found wallets: one that only such
        # wallets pay is a wallet many people devoted to it paid, whatever it was found as, and they are its
        # victims' own wallets
        ring_in = np.bincount(d[ring[s]], weights=v[ring[s]], minlength=g.n)
        met_ring = np.zeros(g.n, dtype=bool)
        met = first >= 0
        met_ring[met] = ring_in[first[met]] >= FROM_RING * g.in_usd[first[met]]
        feeder = (passes & (in_n >= PAYMENTS) & (from_fed <= FROM_RING * from_people) & (share >= REACHED) & ~via
                  & (met_ring | (by_depth[0] < REACHED)) & (g.out_usd >= MIN_USD))
        feeder &= ~_paid_back(s, d, feeder, service, g.n)
        feeder &= ~_fuelled_by_payee(con, g, feeder)
        # the ring's found collection wallets whose money meets theirs first at the same found wallet count too,
        # for a feeder that pays that wallet straight (through hops, a victim paying a platform's one-off
        # addresses would join its found deposit wallets)
        sisters = collection & (share >= REACHED) & (first >= 0)
        own = np.bincount(first[feeder], minlength=g.n)[np.maximum(first, 0)]
        with_sisters = own + np.bincount(first[sisters], minlength=g.n)[np.maximum(first, 0)]
        feeder &= (own >= RING_MIN) | ((with_sisters >= RING_MIN) & (by_depth[0] >= REACHED))
        if not feeder.any():
            return []
        hops = _hops(s, d, v, feeder, passes & ~feeder, by_depth)
        victims = _victims(con, g, s, d, v, feeder, service | known | hops | feeder)
        return self._findings(ctx, g, feeder, hops, victims, share, first)

    def _findings(self, ctx, g, feeder, hops, victims, share, first) -> list[Finding]:
        con = ctx.con
        roles = {"scam_collection": np.flatnonzero(feeder), "laundering": np.flatnonzero(hops),
                 "victim": np.flatnonzero(victims)}
        named = distinct(np.concatenate([*roles.values(), first[feeder]]))
        con.register("pt_rf_arrow", pa.table({"idx": pa.array(named, pa.int64())}))
        rows = con.execute("SELECT n.idx, n.chain, n.address FROM pt_nodes n SEMI JOIN pt_rf_arrow USING (idx)").fetchall()
        con.unregister("pt_rf_arrow")
        chain_of = {i: c for i, c, _ in rows}
        addr_of = {i: a for i, _, a in rows}
        found = {i for r in roles.values() for i in r.tolist()}
        store_pairs(con, "pt_rf_found", {(chain_of[i], addr_of[i]) for i in found})
        seen = {(c, a): (min(x for x in (fi, fo) if x is not None), max(x for x in (li, lo) if x is not None))
                for c, a, fi, li, fo, lo in con.execute(f"SELECT * FROM {seen_sql('pt_rf_found')}").fetchall()}
        evidence = collect(con, in_out_sql("pt_rf_found", "address", "received", "paid on"))
        out = []
        for role, idx in roles.items():
            for i in idx.tolist():
                key = (chain_of[i], addr_of[i])
                if role == "scam_collection":
                    why = (f"took in {usd(g.in_usd[i])} and passed {usd(g.out_usd[i])} on; {share[i]:.0%} of it "
                           f"reached the ring's found laundering and cash-out, first at {addr_of[int(first[i])]}, "
                           f"where {RING_MIN - 1} or more other such wallets' money also went")
                elif role == "laundering":
                    why = ("a hop between wallets that feed the ring and the ring's found laundering or cash-out: "
                           f"it passed {usd(g.out_usd[i])} of the {usd(g.in_usd[i])} it received on")
                else:
                    why = "sent most of all it sent to a wallet that feeds the ring's found laundering"
                first_seen, last_seen = seen.get(key, (None, None))
                out.append(Finding(chain=key[0], address=key[1], role=role, typology=self.id, score=SCORES[role],
                                   first_seen=first_seen, last_seen=last_seen, reasons=[self.help, why],
                                   evidence=evidence.get(key, [])))
        return out


def _mask(con, g, table: str, pairs: set) -> np.ndarray:
    store_pairs(con, table, pairs)
    return g.mask(con, f"SELECT chain, address FROM {table}")


def _reach(g, s, d, v, passes, reached, paid):
    """Per node: the share of what it paid out that reached a ``reached`` node, straight or through up to HOPS
    ``passes`` nodes (each passing on its share); the reached node that brought it most over one payment
    (``first``, -1: none); whether any of it reached a ``paid`` node; and the share per depth (0: straight)."""
    n = g.n
    frac = v / np.maximum(g.out_usd[s], 1e-9)
    direct = reached[d]
    straight = np.bincount(s[direct], weights=frac[direct], minlength=n)
    via = np.zeros(n, dtype=bool)
    via[s[paid[d]]] = True
    first = _best(s[direct], frac[direct], d[direct], n)
    share, by_depth = straight, [straight]
    onward = passes[d] & ~reached[d] & ~paid[d]
    for _ in range(HOPS):
        carried = frac * share[d] * onward
        # each payment brings the found wallet it reached straight, or the one the wallet paid brought most
        first = _best(np.r_[s[direct], s[onward]], np.r_[frac[direct], carried[onward]],
                      np.r_[d[direct], first[d[onward]]], n)
        via[s[onward & via[d]]] = True
        share = straight + np.bincount(s, weights=carried, minlength=n)
        by_depth.append(share)
    return share, first, via, by_depth


def _best(src, value, target, n):
    """Per source node the target with the largest value (ties to the smaller target); -1 where none."""
    best = np.full(n, -1, dtype=np.int64)
    ok = (target >= 0) & (value > 0)
    src, value, target = src[ok], value[ok], target[ok]
    at = np.lexsort((target, -value, src))
    src, target = src[at], target[at]
    head = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, dtype=bool)
    best[src[head]] = target[head]
    return best


def _fuelled_by_payee(con, g, feeder) -> np.ndarray:
    """Feeders whose gas a wallet they paid topped up: an exchange's hot wallets fuel its deposit accounts and
    take their sweeps; when nobody labelled the exchange and a hot wallet was taken for laundering, its
    customers' accounts look like deposit wallets feeding it."""
    gas = con.execute(f"""SELECT a.idx AS s, b.idx AS d FROM pt_value v
                          JOIN pt_nodes a ON a.ref = v.src_ref JOIN pt_nodes b ON b.ref = v.dst_ref
                          WHERE {gas_topup_sql("v")}""").fetchnumpy()
    s, d = np.asarray(gas["s"], dtype=np.int64), np.asarray(gas["d"], dtype=np.int64)
    out = np.zeros(len(feeder), dtype=bool)
    keep = feeder[d]
    s, d = s[keep], d[keep]
    if len(d):
        paid_back = np.asarray(g.adj[d, s]).ravel() > 0
        out[d[paid_back]] = True
    return out


def _paid_back(s, d, feeder, skip, n) -> np.ndarray:
    """Feeders paid by a wallet (no service) that also paid another feeder: the ring paying its victims back."""
    pay = feeder[d] & ~skip[s]
    per_payer = np.bincount(s[pay], minlength=n)
    backers = per_payer >= 2
    out = np.zeros(n, dtype=bool)
    out[d[pay & backers[s]]] = True
    return out


def _hops(s, d, v, feeder, passes, by_depth) -> np.ndarray:
    """The passing wallets on the feeders' way to the found wallets: paid by a feeder or a hop, with the
    share still to reach them at the remaining depth, at least MIN_USD."""
    hops = np.zeros(len(feeder), dtype=bool)
    frontier = feeder.copy()
    for depth in range(HOPS, 0, -1):
        step = frontier[s] & passes[d] & (by_depth[depth - 1][d] >= REACHED) & (v >= MIN_USD)
        nxt = np.zeros(len(feeder), dtype=bool)
        nxt[d[step]] = True
        nxt &= ~hops
        hops |= nxt
        frontier = nxt
    return hops


def _victims(con, g, s, d, v, feeder, skip) -> np.ndarray:
    """Wallets (not in ``skip``) that sent feeders at least DEVOTED of all they sent, or paid one feeder
    REPEATED times or more (a victim pays the platform again and again, from a wallet that also does other
    things)."""
    pay = feeder[d] & ~skip[s]
    sent = np.bincount(s[pay], weights=v[pay], minlength=g.n)
    con.register("pt_rf_arrow", pa.table({"idx": pa.array(np.flatnonzero(feeder), pa.int64())}))
    edges = con.execute("SELECT e.s, e.n FROM pt_edges e JOIN pt_rf_arrow f ON f.idx = e.d").fetchnumpy()
    con.unregister("pt_rf_arrow")
    repeated = np.zeros(g.n, dtype=bool)
    repeated[np.asarray(edges["s"], dtype=np.int64)[np.asarray(edges["n"]) >= REPEATED]] = True
    return (((sent >= DEVOTED * np.maximum(g.out_usd, 1e-9)) | repeated) & (sent >= MIN_USD)) & ~skip


DETECTORS = [RingFeeders]
