"""Union of the heuristics' links into clusters (connected components, scipy.sparse.csgraph), with the cap
that keeps a service from swallowing everyone.

Every heuristic refuses the hubs it can recognise (its guard), but an unlabelled service can still slip
through and chain thousands of unrelated owners into one component. So the links are applied heuristic by
heuristic, most certain first, and a heuristic whose links would make (or grow) a cluster larger than
``max_size`` addresses loses every one of its links inside that would-be cluster: the cluster stays as the
heuristics before it left it (each piece within the cap), and the refusal is reported with the size it would
have reached. Asserted heuristics (TagPack definers) are exempt: a tag author may define a large entity.
Everything here is whole-array numpy work; the addresses are dense indices into ``nodes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pigtrace.arrays import distinct


@dataclass
class Layer:
    """One heuristic's links as address refs: ``a[i]`` was linked to ``b[i]``."""
    name: str
    a: np.ndarray
    b: np.ndarray
    capped: bool = True


@dataclass
class Refusal:
    heuristic: str
    links: int  # links dropped
    clusters: int  # would-be clusters over the cap
    largest: int  # size the largest of them would have reached


@dataclass
class Union:
    nodes: np.ndarray  # address refs, ascending
    labels: np.ndarray  # component of each node
    links: list[tuple[np.ndarray, np.ndarray]]  # per layer: accepted links as dense (a, b)
    refusals: list[Refusal] = field(default_factory=list)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label of each of ``n`` nodes linked by the undirected edges (a[i], b[i])."""
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(graph, directed=False)[1]


def unite(layers: list[Layer], max_size: int | None) -> Union:
    nodes = distinct(np.concatenate([np.concatenate([l.a, l.b]) for l in layers] or [np.zeros(0, np.int64)]))
    n = len(nodes)
    done_a, done_b = np.zeros(0, np.int64), np.zeros(0, np.int64)
    labels = np.arange(n)
    out = Union(nodes, labels, [])
    for layer in layers:
        a, b = np.searchsorted(nodes, layer.a), np.searchsorted(nodes, layer.b)
        trial = components(n, np.concatenate([done_a, a]), np.concatenate([done_b, b]))
        keep = np.ones(len(a), dtype=bool)
        if layer.capped and max_size and len(a):
            size = np.bincount(trial)
            keep = size[trial[a]] <= max_size
            if not keep.all():
                over = distinct(trial[a[~keep]])
                out.refusals.append(Refusal(layer.name, int((~keep).sum()), len(over), int(size[over].max())))
        a, b = a[keep], b[keep]
        out.links.append((a, b))
        done_a, done_b = np.concatenate([done_a, a]), np.concatenate([done_b, b])
        labels = trial if keep.all() else components(n, done_a, done_b)
    out.labels = labels
    return out
