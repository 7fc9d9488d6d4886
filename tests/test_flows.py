"""The flow store (graph/flows.py): edges in ledger order with CSR slices per sender and receiver, node ids
that round-trip to addresses, swap links, and the cache: reused while the warehouse is unchanged, kept
beside it on disk, rebuilt after an ingest."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from pigtrace.graph import flows
from pigtrace.graph.flows import build_flows, edge_rows, load_flows, transaction_edges
from tests.ledger_builder import Ledger


def _ledger(con) -> Ledger:
    led = Ledger()
    led.transfer("a", "b", 10, at=datetime(2024, 1, 3))
    led.transfer("b", "c", 4, at=datetime(2024, 1, 1))  # earlier in time, later in the list
    led.transfer("a", "c", 0.5, token="ETH", at=datetime(2024, 1, 2))
    led.transfer("c", "c", 1, at=datetime(2024, 1, 4))  # to itself: no edge
    led.transfer("a", "b", 0, at=datetime(2024, 1, 5))  # zero value: no edge
    led.nft("a", "b", "punks", 7)  # no amount to follow: no edge
    led.swap("b", "pool", "USDT", 6, "WETH", 0.002, router="router")
    led.write(con)
    return led


def test_edges_in_ledger_order_with_csr_slices(warehouse):
    led = _ledger(warehouse)
    s = build_flows(warehouse)
    assert s.n_edges == 5 and s.n_nodes == 4  # a, b, c, pool (the router only calls)
    assert np.all(np.diff(s.time) >= 0)
    name = {s.node_of("ethereum", led.addr(n)): n for n in ("a", "b", "c", "pool")}
    assert None not in name and s.node_of("ethereum", led.addr("nobody")) is None
    assert s.node_of("tron", led.addr("a")) is None
    for node, n in name.items():
        assert s.address(node) == led.addr(n)
        out, into = s.out_edges(node), s.in_edges(node)
        assert np.all(s.src[out] == node) and np.all(s.dst[into] == node)
        assert np.all(np.diff(out) > 0) and np.all(np.diff(into) > 0)
    flows_ = [(name[int(s.src[e])], name[int(s.dst[e])], str(s.asset_symbol[s.asset[e]])) for e in range(s.n_edges)]
    assert flows_ == [("b", "c", "USDT"), ("a", "c", "ETH"), ("a", "b", "USDT"), ("b", "pool", "USDT"),
                      ("pool", "b", "WETH")]
    a = next(k for k, v in name.items() if v == "a")
    assert [name[int(s.dst[e])] for e in s.out_edges(a, after_time=int(s.time[1]))] == ["b"]
    assert s.usd[1] == pytest.approx(0.5 * 2500) and s.amount[1] == 5 * 10**17
    # the swap: b's USDT into the pool is linked to the WETH the pool paid b, in full
    assert s.link_pay.tolist() == [3] and s.link_get.tolist() == [4]
    assert s.link_taint.tolist() == [1.0] and s.link_value.tolist() == [1.0]
    assert sorted(name[int(x)] for x in s.dex_nodes if int(x) in name) == ["pool"]
    rows = edge_rows(warehouse, s, np.array([1, 4]))
    assert rows[1]["amount"] == "0.5" and rows[4]["amount"] == "0.002"
    chain, edges = transaction_edges(warehouse, s, rows[4]["tx_hash"])
    assert chain == "ethereum" and edges.tolist() == [3, 4]


def test_cache_reused_kept_on_disk_and_rebuilt_after_an_ingest(tmp_path, monkeypatch):
    from pigtrace.store.warehouse import connect, log_ingest

    db = tmp_path / "w.duckdb"
    con = connect(db)
    led = _ledger(con)
    first = load_flows(con)
    assert load_flows(con) is first
    assert (tmp_path / "w.duckdb.flows.npz").exists()
    flows.forget()
    monkeypatch.setattr(flows, "build_flows", lambda *a, **k: pytest.fail("rebuilt although the file is current"))
    again = load_flows(con)
    assert again is not first and again.key == first.key
    assert np.array_equal(again.src, first.src) and np.array_equal(again.addresses, first.addresses)
    monkeypatch.undo()
    more = Ledger(start=datetime(2024, 2, 1))
    more.transfer(led.addr("c"), "d", 1)
    more.write(con)
    log_ingest(con, "test", "more", "ethereum", datetime(2024, 2, 1), {"transfers": 1})
    fresh = load_flows(con)
    assert fresh.key != first.key and fresh.n_edges == first.n_edges + 1
    assert fresh.node_of("ethereum", more.addr("d")) is not None


def test_cache_file_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    from pigtrace.store.warehouse import connect

    con = connect(tmp_path / "w.duckdb")
    _ledger(con)
    monkeypatch.setattr(flows.tempfile, "mkstemp", lambda **k: (_ for _ in ()).throw(PermissionError("read-only")))
    assert load_flows(con).n_edges == 5
    assert not (tmp_path / "w.duckdb.flows.npz").exists()
