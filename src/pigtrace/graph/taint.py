"""Walks over a ``FlowGraph``: proportional (haircut) taint and hop distances from a seed set.

Haircut taint: a seed's outflow is fully tainted; any other node passes on the share of its inflow that
was tainted (tainted_in / total_in), so money that mixes into a busy exchange, OTC desk or market maker
is diluted by that node's clean volume instead of tainting every customer downstream. Sinks (services:
exchange hot wallets, DEX pools, bridges, token contracts) receive taint but pass none on. Each round
is one sparse matrix-vector product, so a walk of H hops costs O(H * edges).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pigtrace.graph.build import FlowGraph


def haircut_taint(g: FlowGraph, seeds: np.ndarray, sinks: np.ndarray, hops: int = 12,
                  tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(share, tainted_in): per node, the tainted share of its inflow (1.0 for seeds) and the USD of
    tainted value it received. Time order is not modelled: the share is over the node's whole history."""
    seeds = seeds.astype(bool)
    passes = ~sinks.astype(bool) | seeds
    at = g.adj.T.tocsr()
    denom = np.maximum(g.in_usd, 1e-9)
    share = seeds.astype(np.float64)
    tainted_in = np.zeros(g.n)
    for _ in range(hops):
        tainted_in = at @ (share * passes)
        new = np.minimum(1.0, tainted_in / denom)
        new[seeds] = 1.0
        if np.max(np.abs(new - share), initial=0.0) < tol:
            share = new
            break
        share = new
    return share, tainted_in


def hop_distance(adj: sp.csr_matrix, seeds: np.ndarray, blocked: np.ndarray | None = None,
                 max_hops: int = 32) -> np.ndarray:
    """Fewest edges from any seed to each node (-1 where unreachable); ``blocked`` nodes are reached
    but not walked through (services)."""
    n = adj.shape[0]
    dist = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(seeds)
    dist[frontier] = 0
    at = (adj != 0).astype(np.int8).T.tocsr()
    walkable = np.ones(n, dtype=bool) if blocked is None else ~blocked
    for h in range(1, max_hops + 1):
        f = np.zeros(n, dtype=np.int8)
        f[frontier[walkable[frontier]]] = 1
        reached = np.flatnonzero((at @ f) > 0)
        reached = reached[dist[reached] < 0]
        if reached.size == 0:
            break
        dist[reached] = h
        frontier = reached
    return dist



# An own-first payment banks the wallet's takings: about the own money it then held, at least OWN_BANKED of
# it and at most 1 / OWN_BANKED times it (a business empties its till into its account; a much smaller
# payment while a ring's money sits in the wallet, or one well beyond its takings, is taken for the ring's,
# as any other payment).
OWN_BANKED = 0.8


def scam_passed_first(in_wallet: np.ndarray, in_time: np.ndarray, in_scam: np.ndarray, out_wallet: np.ndarray,
                      out_time: np.ndarray, out_usd: np.ndarray, in_usd: np.ndarray | None = None,
                      out_share: np.ndarray | None = None, own_first: np.ndarray | None = None,
                      in_clean: np.ndarray | None = None) -> np.ndarray:
    """Per outflow, the scam money it can carry when a wallet passes scam money on before any money of its
    own: the least of its USD and the scam money the wallet still held just before it (what reached it,
    less what it had paid out since: H_k = max(0, H_k-1 + in_k - out_k), the Lindley recursion).

    A laundering wallet moves the ring's money on fast; when the same wallet also does ordinary business
    (a money changer or trader who launders), a payment it makes after it has paid out at least all the
    scam money it had received (say, banking its customers' takings at its own exchange account weeks
    later) carries none, although whole-history shares and first in first out both charge it with scam
    money. Nothing is lost: every scam dollar a wallet received is charged to some later payment of it
    (or is still held). Events are keyed by wallet (any sortable ids); times are integers; an inflow at an
    outflow's own time counts as before it. One sort and one running minimum over all wallets.

    With ``in_usd`` (each inflow's whole USD) and ``out_share`` (per outflow, a share to fall back on, say
    the wallet's whole-history scam share), the part of an outflow beyond all the wallet had received less
    all it had paid before (money the ledger does not show arriving: a history that starts after the
    wallet was funded, prices that moved while it held a coin) is charged at that share; the shortfall is
    not forgotten, so later inflows make it up before they count as the wallet's own money.

    With ``in_usd``, ``in_clean`` (per inflow, the part known to be clean: from wallets no scam money ever
    reached) and ``own_first`` (per outflow, True where the wallet pays out of its own money first: say, into
    an exchange account that only it pays, its owner's own), such an outflow carries only what the wallet's
    own money then held could not cover, when it is about that own money (OWN_BANKED; own money: the
    clean money it had received less what such payments
    took of it, and never more than all it held less the scam money; money the walk could not place is not
    taken for the wallet's own), and the scam money it
    did not carry stays in the wallet for its later payments: a wallet that also does business and banks
    its takings at its own account while a ring's money sits in it banks its own money, and the ring's money
    leaves with the payments that follow (to the ring's next wallets and mules' accounts)."""
    return PassedFirst(in_wallet, in_time, out_wallet, out_time, out_usd, in_usd, out_share, own_first,
                       in_clean)(in_scam)


class PassedFirst:
    """``scam_passed_first`` over fixed events for several ``in_scam`` vectors: a walk that repeats it until
    no payment changes (detect.flow_taint) sorts the events and sums what does not depend on the scam money
    once, not once a round. ``PassedFirst(...)(in_scam)`` equals ``scam_passed_first(...)``."""

    def __init__(self, in_wallet: np.ndarray, in_time: np.ndarray, out_wallet: np.ndarray, out_time: np.ndarray,
                 out_usd: np.ndarray, in_usd: np.ndarray | None = None, out_share: np.ndarray | None = None,
                 own_first: np.ndarray | None = None, in_clean: np.ndarray | None = None) -> None:
        self.out_usd = np.asarray(out_usd, dtype=np.float64)
        n_out = len(self.out_usd)
        self.n_in = n_in = len(np.asarray(in_time))
        if not n_out:
            return
        wallet = np.concatenate([np.asarray(in_wallet), np.asarray(out_wallet)])
        _, w = np.unique(wallet, return_inverse=True)
        time = np.concatenate([np.asarray(in_time, dtype=np.int64), np.asarray(out_time, dtype=np.int64)])
        is_out = np.r_[np.zeros(n_in, dtype=bool), np.ones(n_out, dtype=bool)]
        self.order = order = np.lexsort((is_out, time, w))
        w = w[order]
        self.starts = starts = np.r_[0, np.flatnonzero(w[1:] != w[:-1]) + 1]
        self.lens = lens = np.diff(np.r_[starts, len(w)])
        self.group = np.repeat(np.arange(len(starts)), lens)
        self.balance = None
        if in_usd is not None:
            flow = np.concatenate([np.asarray(in_usd, dtype=np.float64), -self.out_usd])[order]
            total = np.cumsum(flow)
            self.balance = total - flow - np.repeat(total[starts] - flow[starts], lens)  # all money, before each event
        self.mine = None
        if own_first is not None and self.balance is not None and in_clean is not None and np.any(own_first):
            self.mine = np.concatenate([np.zeros(n_in, dtype=bool), np.asarray(own_first, dtype=bool)])[order]
            clean = np.concatenate([np.asarray(in_clean, dtype=np.float64), np.zeros(n_out)])[order]
            self.clean_before = _before(clean, starts, lens)
        self.share = None
        if self.balance is not None and out_share is not None:
            self.share = np.concatenate([np.zeros(n_in), np.asarray(out_share, dtype=np.float64)])[order]

    def __call__(self, in_scam: np.ndarray) -> np.ndarray:
        if not len(self.out_usd):
            return np.zeros(0)
        starts, lens, group, balance, mine = self.starts, self.lens, self.group, self.balance, self.mine
        step = np.concatenate([np.asarray(in_scam, dtype=np.float64), -self.out_usd])[self.order]
        paid = np.maximum(-step, 0.0)
        before = _held_before(step, starts, lens, group)
        carried = np.minimum(before, paid)
        if mine is not None:
            for _ in range(4):  # each round fixes the own-first payments up to the next one of the same wallet
                own_spent = _before(np.where(mine, paid - carried, 0.0), starts, lens)
                own = np.minimum(np.maximum(balance - before, 0.0), np.maximum(self.clean_before - own_spent, 0.0))
                banks = mine & (paid >= OWN_BANKED * own) & (OWN_BANKED * paid <= own)
                carried[mine] = np.where(banks[mine], np.clip(paid[mine] - own[mine], 0.0, np.minimum(before[mine], paid[mine])),
                                         np.minimum(before[mine], paid[mine]))
                new_step = np.where(mine, -carried, step)
                new_before = _held_before(new_step, starts, lens, group)
                if np.allclose(new_before, before, rtol=0.0, atol=0.01):
                    break
                before = new_before
                carried = np.where(mine, carried, np.minimum(before, paid))
        if self.share is not None:
            unexplained = np.maximum(0.0, paid - np.maximum(balance, 0.0))
            carried += np.minimum(paid - carried, unexplained) * self.share
        res = np.empty(len(step))
        res[self.order] = carried
        return res[self.n_in:]


def _held_before(step: np.ndarray, starts: np.ndarray, lens: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per event (sorted by wallet, then time), the scam money the wallet held just before it, where
    ``step`` adds what an inflow brought and takes what an outflow paid, never below zero."""
    # per wallet S_k = x_1 + ... + x_k and H_k = S_k - min(0, S_1..S_k), in whole cents (exact); the running
    # minimum restarts at each wallet because each wallet's values are shifted below all earlier wallets'
    cents = np.round(step * 100.0).astype(np.int64)
    total = np.cumsum(cents)
    s_k = total - np.repeat(total[starts] - cents[starts], lens)
    hi = np.maximum(np.maximum.reduceat(s_k, starts), 0)
    lo = np.minimum(np.minimum.reduceat(s_k, starts), 0)
    shift = np.cumsum(np.r_[0, hi[1:] - lo[:-1] + 1])
    running = np.minimum.accumulate(s_k - shift[group]) + shift[group]
    held = (s_k - np.minimum(running, 0)) / 100.0
    before = np.r_[0.0, held[:-1]]
    before[starts] = 0.0
    return before


def _before(x: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Per event (sorted by wallet, then time), the sum of ``x`` over the wallet's earlier events."""
    total = np.cumsum(x)
    return total - x - np.repeat(total[starts] - x[starts], lens)
