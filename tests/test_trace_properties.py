"""Properties of tracing that must hold on any ledger (Hypothesis): each spending rule conserves, never
spends money before it arrived, and its plain loop agrees with its vectorised form; a whole trace on a
random small ledger with services and swaps never reports more than its input, every hop carries at most
the transfer's value, and money leaves a wallet only after traced money reached it."""

from __future__ import annotations

import duckdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pigtrace.graph.flows import load_flows
from pigtrace.trace.methods import METHODS, spend
from pigtrace.trace.run import trace
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
    carried, held = spend(method, in_pos, in_amt, traced, out_pos, out_amt)
    total = traced.sum(axis=0)
    assert np.all(carried >= 0) and np.all(held >= 0)
    np.testing.assert_allclose(carried.sum(axis=0) + held, total, rtol=1e-7, atol=1e-6)
    assert np.all(carried[:, 0] <= out_amt * (1 + 1e-9) + 1e-9)
    if len(in_pos):
        first = in_pos[traced[:, 0] > 0].min(initial=np.iinfo(np.int64).max)
        assert np.all(carried[out_pos < first] == 0)
    # the plain loop for short histories and the vectorised form give the same answer
    loop, held_loop = spend(method, in_pos, in_amt, traced, out_pos, out_amt, short=10**9)
    vec, held_vec = spend(method, in_pos, in_amt, traced, out_pos, out_amt, short=0)
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


@settings(max_examples=60, deadline=None)
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
