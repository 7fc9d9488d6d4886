"""Properties of tracing that must hold on any ledger (Hypothesis): each spending rule conserves, never
spends money before it arrived, and its plain loop agrees with its vectorised form; a whole trace on a
random small ledger with services and swaps never reports more than its input, every hop carries at most
the transfer's value, and money leaves a wallet only after traced money reached it."""

from __future__ import annotations

import duckdb
import pytest
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pigtrace.graph.flows import load_flows
from pigtrace.trace.methods import METHODS, History, spend
from pigtrace.trace.endpoints import load_endpoints
from pigtrace.trace.run import trace
from pigtrace.trace.walk import Seeds, walk
from tests.ledger_builder import Ledger


@st.composite
def histories(draw):
    """One wallet's history in one asset: receipts and payments interleaved, some receipts traced."""
    n = draw(st.integers(1, 40))
    kinds = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    amounts = draw(st.lists(st.floats(0.01, 1e6), min_size=n, max_size=n))
    shares = draw(st.lists(st.sampled_from([0.0, 0.0, 0.3, 1.0]), min_size=n, max_size=n))
    pos = np.arange(n) * 3
    ins = np.array([i for i in range(n) if kinds[i]], dtype=np.int64)
    outs = np.array([i for i in range(n) if not kinds[i]], dtype=np.int64)
    in_amt = np.array([amounts[i] for i in ins], dtype=np.float64)
    traced = np.array([[amounts[i] * shares[i], amounts[i] * shares[i] * 1.7] for i in ins]).reshape(len(ins), 2)
    return pos[ins], in_amt, traced, pos[outs], np.array([amounts[i] for i in outs], dtype=np.float64)


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from(METHODS))
def test_spending_rule_conserves_and_respects_time(h, method):
    in_pos, in_amt, traced, out_pos, out_amt = h
    carried, held = spend(method, History(in_pos, in_amt, out_pos, out_amt), traced)
    total = traced.sum(axis=0)
    assert np.all(carried >= 0) and np.all(held >= 0)
    np.testing.assert_allclose(carried.sum(axis=0) + held, total, rtol=1e-7, atol=1e-6)
    assert np.all(carried[:, 0] <= out_amt * (1 + 1e-9) + 1e-9)
    if len(in_pos):
        first = in_pos[traced[:, 0] > 0].min(initial=np.iinfo(np.int64).max)
        assert np.all(carried[out_pos < first] == 0)
    # the plain loop for short histories and the vectorised form give the same answer
    loop, held_loop = spend(method, History(in_pos, in_amt, out_pos, out_amt), traced, short=10**9)
    vec, held_vec = spend(method, History(in_pos, in_amt, out_pos, out_amt), traced, short=0)
    np.testing.assert_allclose(loop, vec, rtol=1e-6, atol=1e-6 * max(1.0, total.max(initial=0)))
    np.testing.assert_allclose(held_loop, held_vec, rtol=1e-6, atol=1e-6 * max(1.0, total.max(initial=0)))


WALLETS = [f"w{i}" for i in range(6)]
SERVICES = ["hot", "bridge", "deposit"]


@st.composite
def ledgers(draw):
    steps = draw(st.lists(st.tuples(
        st.sampled_from(["pay", "pay", "pay", "swap", "service"]),
        st.sampled_from(WALLETS), st.sampled_from(WALLETS + SERVICES), st.integers(1, 5000),
        st.sampled_from(["USDT", "USDT", "USDC", "ETH"])), min_size=1, max_size=30))
    return steps


def _build(steps) -> tuple[duckdb.DuckDBPyConnection, Ledger]:
    led = Ledger()
    led.label("hot", "Exchange A: hot wallet", "exchange")
    led.label("bridge", "Bridge X", "bridge")
    led.transfer("w0", "w1", 1)  # w0 is in the ledger whatever was drawn
    for kind, a, b, amount, token in steps:
        if kind == "swap" and token != "ETH":
            led.swap(a, "pool", token, amount, "WETH", amount / 2500)
        elif kind == "service":
            led.transfer("deposit", "hot", amount, token="ETH" if token == "ETH" else token)
        elif a != b:
            led.transfer(a, b, amount / 1000 if token == "ETH" else amount, token=token)
    con = duckdb.connect()
    led.write(con)
    return con, led


@settings(max_examples=40, deadline=None)
@given(ledgers(), st.sampled_from(METHODS), st.integers(1, 6), st.sampled_from([0.0, 1.0, 50.0]))
def test_trace_never_reports_more_than_its_input(steps, method, hops, min_usd):
    con, led = _build(steps)
    r = trace(con, led.addr("w0"), method=method, hops=hops, min_usd=min_usd)
    reported = sum(e["usd"] for e in r.endpoints) + r.unresolved_usd
    assert reported <= r.input_usd * (1 + 1e-9) + 1e-6
    assert reported >= r.input_usd * (1 - 1e-9) - 1e-6  # nothing is lost either
    store = load_flows(con)
    walked = r.walk.edges
    linked_get = set(store.link_get.tolist())
    source = store.node_of("ethereum", led.addr("w0"))
    arrived: dict[int, int] = {}
    for e in sorted(walked):
        usd, _hop = walked[e]
        assert usd <= store.usd[e] * (1 + 1e-6) + 1e-6  # prices are fixed in these ledgers
        assert usd >= min_usd
        frm, to = int(store.src[e]), int(store.dst[e])
        if frm != source and e not in linked_get:
            assert frm in arrived and arrived[frm] < e, "money left a wallet before traced money reached it"
        arrived.setdefault(to, e)
    assert all(k in {"exchange", "exchange_deposit", "bridge", "dex", "held", "unknown"} for k in
               {e["kind"] for e in r.endpoints})


def test_haircut_over_long_histories_that_shrink_and_empty():
    """Hundreds of payments each taking most of the balance carry the cumulated shrinkage far past what
    one block of the vectorised form holds (exp(-500)); wallets emptied now and then restart it. The
    vectorised form must still agree with the plain loop."""
    rng = np.random.default_rng(7)
    n = 1500
    is_in = rng.random(n) < 0.35
    is_in[0] = True
    amounts = rng.uniform(1, 1000, n)
    pos = np.arange(n) * 2
    in_pos, out_pos = pos[is_in], pos[~is_in]
    in_amt = amounts[is_in]
    traced = np.zeros((len(in_pos), 2))
    traced[::7, 0] = in_amt[::7] * 0.5
    traced[::7, 1] = traced[::7, 0] * 3
    for share in (0.9, 1.0, 2.0):  # payments of 90% of what came in just before, exact, and overdrawn
        out_amt = np.minimum(amounts[~is_in], 1e9) * share
        hist = History(in_pos, in_amt, out_pos, out_amt)
        loop = spend("haircut", hist, traced, short=10**9)
        vec = spend("haircut", History(in_pos, in_amt, out_pos, out_amt), traced, short=0)
        assert len(hist.balance()[3]) > 20  # many blocks
        np.testing.assert_allclose(vec[0], loop[0], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(vec[1], loop[1], rtol=1e-6, atol=1e-9)


def test_haircut_across_blocks_of_cumulated_shrinkage():
    """A wallet refilled before every payment, each payment taking 99% of its balance, never empty, with
    traced receipts now and then: the product of its shrinkage factors (0.01 per payment) spans several
    blocks (exp(-500) each) of the vectorised form, which must agree with the plain loop."""
    in_pos, in_amt, out_pos, out_amt, traced = [], [], [], [], []
    balance = 0.0
    for k in range(400):
        in_pos.append(2 * k), in_amt.append(1000.0)
        traced.append((500.0, 3.0) if k % 37 == 0 else (0.0, 0.0))
        balance += 1000.0
        out_pos.append(2 * k + 1), out_amt.append(balance * 0.99)
        balance *= 0.01
    args = (np.array(in_pos), np.array(in_amt), np.array(out_pos), np.array(out_amt))
    traced = np.array(traced)
    hist = History(*args)
    assert hist.balance()[2].min() < -1500  # four buckets
    loop = spend("haircut", History(*args), traced, short=10**9)
    vec = spend("haircut", hist, traced, short=0)
    np.testing.assert_allclose(vec[0], loop[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(vec[1], loop[1], rtol=1e-9, atol=1e-12)
    assert vec[0][:, 1].sum() + vec[1][1] == pytest.approx(traced[:, 1].sum())


@settings(max_examples=40, deadline=None)
@given(ledgers(), st.sampled_from(["fifo", "poison"]), st.sampled_from([None, 3600]), st.randoms(use_true_random=False))
def test_a_walk_does_not_depend_on_the_order_of_its_seeds(steps, method, prompt_s, rnd):
    """Propagation seeds a walk from a set of wallets; which order the set comes in must not matter."""
    con, _led = _build(steps)
    store = load_flows(con)
    ends = load_endpoints(con, store)
    edges = np.flatnonzero(np.nan_to_num(store.usd) > 0)
    shuffled = edges.copy()
    rnd.shuffle(shuffled)
    results = []
    for order in (edges, shuffled):
        r = walk(store, ends, Seeds(edges=order, tokens=store.amount[order].copy(), value=store.usd[order].copy(),
                                    hop=0), method=method, hops=4, min_usd=1.0, prompt_s=prompt_s)
        results.append(({e: round(v[0], 6) for e, v in r.edges.items()},
                        {k: round(v[0], 6) for k, v in r.endpoints.items()}, r.prompt, round(r.unresolved_usd, 6)))
    assert results[0] == results[1]


def test_a_wallet_walked_in_two_assets_is_read_the_same_whichever_comes_first():
    """A wallet passes the traced USDT on at once (a prompt hop) and holds traced USDC behind clean USDC.
    Whether its USDT or its USDC is visited first, the walk must follow the same payments."""
    led = Ledger()
    led.transfer("a", "n", 500)  # traced USDT, passed on whole within minutes
    led.transfer("n", "x", 500)
    led.transfer("c", "n", 100, token="USDC")  # clean USDC first, then traced
    led.wait(hours=2)
    led.transfer("b", "n", 100, token="USDC")
    led.wait(days=3)
    led.transfer("n", "y", 100, token="USDC")
    led.transfer("n", "z", 100, token="USDC")
    con = led.write(duckdb.connect())
    store = load_flows(con)
    ends = load_endpoints(con, store)
    n = store.node_of("ethereum", led.addr("n"))
    seeded = np.array([e for e in store.in_edges(n) if store.src[e] != store.node_of("ethereum", led.addr("c"))])
    got = []
    for order in (seeded, seeded[::-1]):
        r = walk(store, ends, Seeds(edges=order, tokens=store.amount[order].copy(), value=store.usd[order].copy(),
                                    hop=0), method="fifo", hops=3, min_usd=1.0, prompt_s=3600)
        got.append(({e: round(v[0], 6) for e, v in r.edges.items()}, r.prompt))
    assert got[0] == got[1]



def test_a_wallet_read_first_in_first_out_is_not_read_the_other_way_later():
    """n holds traced money three days (first in, first out), then gets more by a longer path and pays it on
    within minutes. If the second visit spent the new money first, the payment that already carried the
    first money would carry both: 200 dollars on a 100-dollar payment."""
    led = Ledger()
    led.transfer("s1", "n", 100)
    led.wait(days=3)
    led.transfer("s2", "m", 100)
    led.wait(minutes=5)
    led.transfer("m", "n", 100)
    led.wait(minutes=10)
    led.transfer("n", "p1", 100)
    led.transfer("n", "p2", 100)
    con = led.write(duckdb.connect())
    store = load_flows(con)
    ends = load_endpoints(con, store)
    node = {x: store.node_of("ethereum", led.addr(x)) for x in ("s1", "s2", "n")}
    seeds = np.array([e for e in range(store.n_edges) if store.src[e] in (node["s1"], node["s2"])])
    r = walk(store, ends, Seeds(edges=seeds, tokens=store.amount[seeds].copy(), value=store.usd[seeds].copy(),
                                hop=1), method="fifo", hops=5, min_usd=1.0, prompt_s=3600)
    out_of_n = [e for e in r.edges if store.src[e] == node["n"]]
    assert len(out_of_n) == 2 and all(r.edges[e][0] <= store.usd[e] + 1e-6 for e in out_of_n)


@settings(max_examples=60, deadline=None)
@given(ledgers(), st.sampled_from([60, 3600, 10**6]))
def test_a_walk_that_passes_prompt_hops_first_never_spends_a_payment_twice(steps, prompt_s):
    """With ``prompt_s`` a wallet found passing traced money on promptly spends it first; a wallet the walk
    has already read first in, first out must not then be read the other way: its payments would carry the
    same money twice."""
    con, _led = _build(steps)
    store = load_flows(con)
    ends = load_endpoints(con, store)
    source = store.node_of("ethereum", _led.addr("w0"))
    seeds = store.out_edges(source)  # what w0 paid, as `trace` starts (seeds must not lie on each other's paths)
    seeds = seeds[np.nan_to_num(store.usd[seeds]) > 0].astype(np.int64)
    r = walk(store, ends, Seeds(edges=seeds, tokens=store.amount[seeds].copy(), value=store.usd[seeds].copy(),
                                hop=1, source=source), method="fifo", hops=6, min_usd=0.0, prompt_s=prompt_s)
    for e, (usd, _hop) in r.edges.items():
        if e not in seeds:
            assert usd <= store.usd[e] * (1 + 1e-6) + 1e-6
    reported = sum(v[0] for v in r.endpoints.values()) + r.unresolved_usd
    assert abs(reported - r.input_usd) <= 1e-6 * max(r.input_usd, 1.0)
