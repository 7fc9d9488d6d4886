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
