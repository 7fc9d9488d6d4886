"""Which link joined each member of a cluster. A cluster may hold many more links than it needs; each member
is given one: the links chosen form a spanning tree of the cluster that prefers the most certain heuristics
(a minimum spanning forest weighted by registry order), hung from the cluster's first address (its smallest
ref, the id the cluster carries). Following the chosen links from any member leads to the first address
through the links that joined it; the first address itself names its most certain link. Whole-array work
on the dense node indices of ``union.Union``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from pigtrace.arrays import distinct
from pigtrace.cluster.union import Union


def attribute(u: Union) -> pa.Table:
    """One row per clustered address: ``ref``, ``cluster_id`` (the first address's ref), ``heuristic`` (the
    index of the layer whose link joined it) and ``via`` (the ref of the address that link goes to)."""
    n = len(u.nodes)
    lo, hi, rank = one_link_per_pair(u)
    node = distinct(np.r_[lo, hi])
    if not len(node):
        return pa.table({"ref": np.zeros(0, np.int64), "cluster_id": np.zeros(0, np.int64),
                         "heuristic": np.zeros(0, np.int32), "via": np.zeros(0, np.int64)})
    first = np.full(u.labels.max() + 1, n)
    np.minimum.at(first, u.labels, np.arange(n))
    tops = distinct(first[u.labels[node]])
    via = tree_parents(n, lo, hi, rank, tops)
    via[tops] = most_certain_neighbour(lo, hi, rank, tops)
    via = via[node]
    heuristic = rank[np.searchsorted(lo * n + hi, np.minimum(node, via) * n + np.maximum(node, via))]
    return pa.table({"ref": u.nodes[node], "cluster_id": u.nodes[first[u.labels[node]]],
                     "heuristic": heuristic.astype(np.int32), "via": u.nodes[via]})


def one_link_per_pair(u: Union) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The accepted links as (lo, hi, rank), lo < hi, one per pair (its most certain heuristic), sorted."""
    a = np.concatenate([x for x, _ in u.links] + [np.zeros(0, np.int64)])
    b = np.concatenate([y for _, y in u.links] + [np.zeros(0, np.int64)])
    rank = np.concatenate([np.full(len(x), i) for i, (x, _) in enumerate(u.links)] + [np.zeros(0, np.int64)])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((rank, hi, lo))
    lo, hi, rank = lo[order], hi[order], rank[order]
    keep = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(lo) else np.zeros(0, bool)
    return lo[keep], hi[keep], rank[keep]


def tree_parents(n: int, lo: np.ndarray, hi: np.ndarray, rank: np.ndarray, tops: np.ndarray) -> np.ndarray:
    """Each node's parent in the minimum spanning forest (weights: rank + 1), every tree hung from its top
    node: one breadth-first walk from an extra node joined to every top."""
    tree = minimum_spanning_tree(coo_matrix((rank + 1.0, (lo, hi)), shape=(n, n)).tocsr())
    t_from, t_to = tree.nonzero()
    hung = coo_matrix((np.ones(len(t_from) + len(tops)), (np.r_[t_from, np.full(len(tops), n)], np.r_[t_to, tops])),
                      shape=(n + 1, n + 1)).tocsr()
    return breadth_first_order(hung, n, directed=False, return_predecessors=True)[1][:n]


def most_certain_neighbour(lo: np.ndarray, hi: np.ndarray, rank: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """For each of ``nodes``: the neighbour of its most certain link, the oldest (smallest) among equals."""
    ends, others, ranks = np.r_[lo, hi], np.r_[hi, lo], np.r_[rank, rank]
    best = np.lexsort((others, ranks, ends))
    best = best[np.r_[True, ends[best][1:] != ends[best][:-1]]]
    return others[best][np.searchsorted(ends[best], nodes)]
