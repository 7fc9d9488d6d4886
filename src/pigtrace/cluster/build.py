"""`pigtrace cluster`: run the chosen heuristics over the compact ledger, unite their links into clusters
under the size cap (``union``), name the link that joined each member (``tree``) and replace the ``clusters``
table (``store``). Nothing in it is random: the same warehouse always gives the same table."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from pigtrace.arrays import distinct
from pigtrace.cluster import ground, store
from pigtrace.cluster.base import Heuristic
from pigtrace.cluster.registry import ASSERTED, select
from pigtrace.cluster.tree import attribute
from pigtrace.cluster.union import Layer, unite
from pigtrace.labels.shipped import ensure_loaded
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import ensure_schema, no_progress_bar

# No behavioural heuristic may build a cluster larger than this (see cluster.union). One person's wallets,
# or one ring's, number in the tens to hundreds; thousands of addresses behind one link pattern is a
# service the guards did not recognise.
MAX_SIZE = 1000


def links(con: duckdb.DuckDBPyConnection, heuristic: Heuristic) -> tuple[np.ndarray, np.ndarray]:
    got = con.execute(
        f"SELECT a, b FROM ({heuristic.edges_sql()}) WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b").fetchnumpy()
    return np.asarray(got["a"], dtype=np.int64), np.asarray(got["b"], dtype=np.int64)


def all_links(con: duckdb.DuckDBPyConnection, heuristics: list[Heuristic], progress: Progress) -> list[Layer]:
    progress("services and deposit accounts")
    ground.prepare(con)
    try:
        layers = []
        for h in heuristics:
            progress(f"heuristic {h.id}")
            a, b = links(con, h)
            layers.append(Layer(h.id, a, b, capped=h.id not in ASSERTED))
        return layers
    finally:
        ground.drop(con)


def build_clusters(con: duckdb.DuckDBPyConnection, only: list[str] | None = None, without: list[str] | None = None,
                   max_size: int = MAX_SIZE, progress: Progress = quiet) -> dict[str, Any]:
    """Cluster the warehouse with the heuristics ``only`` (all when empty) less ``without``; replaces the
    ``clusters`` table and returns what each heuristic did."""
    heuristics = select(only, without)
    started = time.perf_counter()
    ensure_loaded(con)  # exchange hot wallets and other services from the shipped packs
    ensure_schema(con)
    with no_progress_bar(con):
        layers = all_links(con, heuristics, progress)
    progress("connected components")
    u = unite(layers, max_size)
    members = attribute(u)
    names = [layer.name for layer in layers]
    run = {"heuristics": names, "max_size": max_size,
           "built": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
           "refused": [r.__dict__ for r in u.refusals]}
    progress("writing clusters")
    store.replace(con, members, names, run)
    counts = store.counts(con)
    refused = {r.heuristic: r for r in u.refusals}
    per = []
    for layer, (kept, _) in zip(layers, u.links):
        r = refused.get(layer.name)
        c = counts.get(layer.name, {})
        per.append({"heuristic": layer.name, "links": len(layer.a), "kept": len(kept),
                    "refused": r.links if r else 0, "addresses": c.get("addresses", 0),
                    "clusters": c.get("clusters", 0)})
    return {"clusters": len(distinct(members["cluster_id"].to_numpy())) if len(members) else 0,
            "addresses": len(members), "heuristics": per, "refused": run["refused"], "max_size": max_size,
            "seconds": round(time.perf_counter() - started, 3)}
