"""The CSR flow graph and its walks: node ids round-trip to addresses, haircut taint dilutes through a
busy node and stops at sinks, hop distances respect blocked nodes."""

from __future__ import annotations

import duckdb
import numpy as np

from pigtrace.graph.build import build_flow_graph
from pigtrace.graph.taint import PassedFirst, haircut_taint, hop_distance, scam_passed_first


def _graph(edges):
    con = duckdb.connect()
    names = sorted({name for e in edges for name in e[:2]})
    con.execute("CREATE TABLE addresses (ref BIGINT, chain VARCHAR, address VARCHAR)")
    con.executemany("INSERT INTO addresses VALUES (?, 'ethereum', ?)", list(enumerate(names, start=1)))
    ref = {name: i for i, name in enumerate(names, start=1)}
    con.execute("CREATE TABLE e (src_ref BIGINT, dst_ref BIGINT, usd DOUBLE)")
    con.executemany("INSERT INTO e VALUES (?, ?, ?)", [(ref[a], ref[b], u) for a, b, u in edges])
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


def test_the_same_money_in_another_order_gives_the_same_edge_weight():
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floating point, 0.3 + 0.2 + 0.1 is 0.6: DuckDB adds in the
    # order its threads meet the rows, so summed as doubles two equal edges (or one edge in two runs) differ in
    # their last bits and a tie between them breaks one way or the other
    _con, g, ids = _graph([("a", "b", 0.1), ("a", "b", 0.2), ("a", "b", 0.3),
                           ("a", "c", 0.3), ("a", "c", 0.2), ("a", "c", 0.1)])
    assert g.adj[ids["a"], ids["b"]] == g.adj[ids["a"], ids["c"]]


def test_a_wallets_totals_do_not_depend_on_the_order_its_payments_were_stored_in():
    # 300,000 payers of three wallets, stored in four orders: DuckDB's threads hand the edges back in varying
    # order, and doubles added in another order differ in their last bits (a tie broken the other way)
    totals = set()
    for order in range(4):
        con = duckdb.connect()
        con.execute("SET threads = 4")
        con.execute("""CREATE TABLE addresses AS SELECT i AS ref, 'ethereum' AS chain, 'w' || lpad(i::VARCHAR, 7, '0')
                       AS address FROM range(1, 300004) t(i)""")
        con.execute(f"""CREATE TABLE e AS SELECT i + 4 AS src_ref, 1 + i % 3 AS dst_ref, (hash(i) % 100000) / 7.0 AS usd
                        FROM range(300000) t(i) ORDER BY hash(i + {order})""")
        g = build_flow_graph(con, "SELECT * FROM e")
        totals.add(tuple(g.in_usd[:3].tolist()))
    assert len(totals) == 1


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


def _passed_first_by_hand(events):
    """One wallet's events in time order, (time, is_out, usd, scam): what each outflow carries when scam
    money leaves before the wallet's own."""
    held, out = 0.0, []
    for _t, is_out, usd, scam in sorted(events, key=lambda e: (e[0], e[1])):
        if is_out:
            out.append(min(usd, held))
            held -= out[-1]
        else:
            held += scam
    return out


def test_scam_passed_first_matches_the_running_balance_and_conserves_scam_money():
    """Random wallets: each outflow carries the scam money still held before it (Lindley recursion, as a
    loop would); no wallet passes on more scam money than reached it, and one whose outflows after its
    last inflow exceed what it holds passes all of it on."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_in, n_out = int(rng.integers(0, 12)), int(rng.integers(1, 12))
        in_w, out_w = rng.integers(0, 3, n_in), rng.integers(0, 3, n_out)
        in_t, out_t = rng.integers(0, 50, n_in), rng.integers(0, 50, n_out)
        in_scam = rng.choice([0.0, 10.0, 250.0], n_in) * rng.random(n_in)
        out_usd = rng.uniform(1, 200, n_out)
        got = scam_passed_first(in_w, in_t, in_scam, out_w, out_t, out_usd)
        assert (got >= 0).all() and (got <= out_usd + 0.01).all()
        for w in range(3):
            ev = [(t, False, 0.0, s) for ww, t, s in zip(in_w, in_t, in_scam) if ww == w]
            outs = [(t, True, u, 0.0) for ww, t, u in zip(out_w, out_t, out_usd) if ww == w]
            want = _passed_first_by_hand(ev + outs)
            mine = got[out_w == w]
            order = np.argsort(out_t[out_w == w], kind="stable")
            assert np.allclose(mine[order], want, atol=0.02)  # whole cents
            assert mine.sum() <= in_scam[in_w == w].sum() + 0.01 * len(mine)


def test_a_walk_prepared_once_gives_each_round_what_a_fresh_call_gives():
    """The time-ordered walk repeats scam_passed_first over the same payments with what the inflows carry
    changing each round: the events sorted once (PassedFirst) give every round exactly a fresh call's
    result, own-first payments, fallback shares and empty wallets included."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        n_in, n_out = int(rng.integers(0, 12)), int(rng.integers(0, 12))
        in_w, out_w = rng.integers(0, 4, n_in), rng.integers(0, 4, n_out)
        in_t, out_t = rng.integers(0, 50, n_in), rng.integers(0, 50, n_out)
        in_usd, out_usd = rng.uniform(1, 300, n_in), rng.uniform(1, 200, n_out)
        kw = {"in_usd": in_usd, "out_share": rng.random(n_out), "own_first": rng.random(n_out) < 0.3,
              "in_clean": np.where(rng.random(n_in) < 0.5, in_usd, 0.0)}
        walk = PassedFirst(in_w, in_t, out_w, out_t, out_usd, **kw)
        for _ in range(3):
            in_scam = in_usd * rng.random(n_in) * (rng.random(n_in) < 0.6)
            want = scam_passed_first(in_w, in_t, in_scam, out_w, out_t, out_usd, **kw)
            assert walk(in_scam).tolist() == want.tolist()


def test_scam_passed_first_a_deposit_after_the_scam_money_left_carries_none():
    """A money changer: customers' 4,000 first, then 6,000 of scam money passed on within the hour; the
    4,000 it banks weeks later carries none (whole-history shares would charge it 60%), while a payment
    made while scam money was still in the wallet carries it, even though the wallet had more money of its
    own than that payment."""
    w = ["changer"] * 3
    got = scam_passed_first(w, [10, 20, 56], [0.0, 0.0, 6000.0], ["changer"] * 2, [57, 90], [6000.0, 4000.0])
    assert got.tolist() == [6000.0, 0.0]
    got = scam_passed_first(w, [10, 20, 56], [0.0, 0.0, 3000.0], ["changer"], [56], [3000.0])
    assert got.tolist() == [3000.0]
    assert scam_passed_first([], [], [], ["x"], [1], [5.0]).tolist() == [0.0]



def test_scam_passed_first_banking_own_takings_at_the_own_account_leaves_the_scam_money_for_what_follows():
    """A money changer takes 4,000 from customers (clean), then 6,000 of scam money; with the scam money
    still in it, it banks 4,000 at its own account (own_first), then pays 6,000 on. The banking is its own
    money and the 6,000 carries all the scam money (scam money first would charge the banking 4,000 and the
    next payment 2,000). A payment into its own account that is no banking of its takings, a small cut (600
    of the 4,000) or one well beyond them (6,000), is charged scam money first as any payment."""
    w = ["changer"] * 3
    args = (w, [10, 20, 56], [0.0, 0.0, 6000.0], ["changer"] * 2, [57, 58])
    kw = {"in_usd": [2000.0, 2000.0, 6000.0], "in_clean": [2000.0, 2000.0, 0.0]}
    got = scam_passed_first(*args, [4000.0, 6000.0], own_first=[True, False], **kw)
    assert np.allclose(got, [0.0, 6000.0])
    assert np.allclose(scam_passed_first(*args, [4000.0, 6000.0], **kw), [4000.0, 2000.0])
    got = scam_passed_first(*args, [600.0, 5400.0], own_first=[True, False], **kw)
    assert np.allclose(got, [600.0, 5400.0])
    got = scam_passed_first(*args, [6000.0, 4000.0], own_first=[True, False], **kw)
    assert np.allclose(got, [6000.0, 0.0])
    # money the walk could not place (no clean inflow known) is not taken for the wallet's own
    got = scam_passed_first(*args, [4000.0, 6000.0], own_first=[True, False], in_usd=kw["in_usd"],
                            in_clean=[0.0, 0.0, 0.0])
    assert np.allclose(got, [4000.0, 2000.0])


def test_scam_passed_first_charges_a_payment_beyond_the_visible_history_at_the_fallback_share():
    """A wallet whose history starts after it was funded pays 100 having received nothing the ledger
    holds: with a fallback share of 0.8 that payment carries 80. The shortfall stays: the 50 it receives
    next makes up part of it, so the 40 it then pays is beyond what it holds too and carries 32."""
    got = scam_passed_first(["x"], [5], [0.0], ["x", "x"], [1, 6], [100.0, 40.0], in_usd=[50.0],
                            out_share=[0.8, 0.8])
    assert np.allclose(got, [80.0, 32.0])
