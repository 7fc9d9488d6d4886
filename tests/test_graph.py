"""The CSR flow graph and its walks: node ids round-trip to addresses, haircut taint dilutes through a
busy node and stops at sinks, hop distances respect blocked nodes."""

from __future__ import annotations

import duckdb
import numpy as np

from pigtrace.graph.build import build_flow_graph
from pigtrace.graph.taint import haircut_taint, hop_distance


def _graph(edges):
    con = duckdb.connect()
    con.execute("CREATE TABLE e (chain VARCHAR, src VARCHAR, dst VARCHAR, usd DOUBLE)")
    con.executemany("INSERT INTO e VALUES ('ethereum', ?, ?, ?)", edges)
    g = build_flow_graph(con, "SELECT * FROM e")
    ids = dict(con.execute("SELECT address, idx FROM pt_nodes").fetchall())
    return con, g, ids


def test_build_sums_parallel_edges_and_counts_degrees():
    con, g, ids = _graph([("a", "b", 10), ("a", "b", 5), ("a", "c", 1), ("c", "b", 2)])
    assert g.n == 3
    assert g.adj[ids["a"], ids["b"]] == 15
    assert g.in_usd[ids["b"]] == 17 and g.out_usd[ids["a"]] == 16
    assert g.in_degree[ids["b"]] == 2 and g.out_degree[ids["a"]] == 2
    assert list(g.ids(con, "SELECT 'ethereum' AS chain, 'c' AS address")) == [ids["c"]]
    assert g.mask(con, "SELECT 'ethereum' AS chain, 'zzz' AS address").sum() == 0


def test_haircut_dilutes_through_a_busy_node_and_stops_at_sinks():
    # scam -> hop -> desk (which also takes 900 clean) -> customer ; hop -> exchange (sink) -> user
    _con, g, ids = _graph([
        ("scam", "hop", 100), ("hop", "desk", 100), ("clean", "desk", 900), ("desk", "customer", 500),
        ("scam", "exchange", 50), ("exchange", "user", 50),
    ])
    seeds = np.zeros(g.n, bool)
    seeds[ids["scam"]] = True
    sinks = np.zeros(g.n, bool)
    sinks[ids["exchange"]] = True
    share, tainted = haircut_taint(g, seeds, sinks)
    assert share[ids["hop"]] == 1.0
    assert abs(share[ids["desk"]] - 0.1) < 1e-9
    assert abs(tainted[ids["customer"]] - 50) < 1e-6
    assert tainted[ids["exchange"]] == 50 and tainted[ids["user"]] == 0
    assert share[ids["clean"]] == 0


def test_hop_distance_with_blocked_nodes():
    _con, g, ids = _graph([("a", "b", 1), ("b", "c", 1), ("c", "d", 1), ("a", "x", 1), ("x", "y", 1)])
    seeds = np.zeros(g.n, bool)
    seeds[ids["a"]] = True
    blocked = np.zeros(g.n, bool)
    blocked[ids["x"]] = True
    d = hop_distance(g.adj, seeds, blocked)
    assert d[ids["d"]] == 3 and d[ids["x"]] == 1 and d[ids["y"]] == -1
