"""The flow store (graph/flows.py): edges in ledger order with CSR slices per sender and receiver, node ids
that round-trip to addresses, swap links, and the cache: reused while the warehouse is unchanged, kept
beside it on disk, rebuilt after an ingest. On real blocks (Ethereum and Tron), the store read from the
compact tables' refs holds what the text views say: the same edges, addresses and swap links."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from pigtrace.graph import flows
from pigtrace.graph.flows import build_flows, edge_rows, load_flows, transaction_edges
from tests.ledger_builder import Ledger

FIXTURES = Path(__file__).parent / "fixtures"


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


# ---------------------------------------------------------------------- the store against the text rows
TEXT_VALUE = """kind IN ('erc20', 'trc20', 'native') AND from_address <> to_address
                AND (amount > 0 OR amount_text IS NOT NULL)"""


@pytest.fixture
def real(warehouse):
    from pigtrace.ingest.etl import ingest_etl
    from pigtrace.ingest.trongrid import ingest_trongrid

    ingest_etl(warehouse, FIXTURES / "etl_mainnet_17173049")
    ingest_trongrid(warehouse, FIXTURES / "trongrid_TL24LCps")
    return warehouse


def _edge_facts(con, s) -> list[tuple]:
    """Per edge, in edge order: what the store says of it, in the text of the views."""
    back = edge_rows(con, s, np.arange(s.n_edges))
    usd = [None if np.isnan(u) else float(u) for u in s.usd]
    return [(s.node_chain(int(s.src[e])), back[e]["tx_hash"], int(s.log_index[e]), s.address(int(s.src[e])),
             s.address(int(s.dst[e])), str(s.asset_token[s.asset[e]]), int(s.time[e]), int(s.block[e]),
             float(s.amount[e]), usd[e]) for e in range(s.n_edges)]


def test_store_read_from_refs_holds_what_the_text_rows_say(real):
    con, s = real, build_flows(real)
    rows = con.execute(
        f"""SELECT chain, tx_hash, log_index, from_address, to_address, token, coalesce(epoch(time), 0)::BIGINT,
                   coalesce(block_number, 0), coalesce(amount::DOUBLE, TRY_CAST(amount_text AS DOUBLE)), usd
            FROM transfers WHERE {TEXT_VALUE}"""
    ).fetchall()
    facts = _edge_facts(con, s)
    assert Counter(facts) == Counter(rows)
    order = [(t, b, i) for _c, _h, i, _f, _t, _k, t, b, *_ in facts]
    assert order == sorted(order)  # ledger order
    assert all(s.node_chain(int(s.dst[e])) == f[0] and s.chains[s.asset_chain[s.asset[e]]] == f[0]
               for e, f in enumerate(facts))
    # nodes: exactly the transfers' parties, each chain one address-sorted range that binary search finds
    parties = {(r[0], r[3]) for r in rows} | {(r[0], r[4]) for r in rows}
    assert len(parties) == s.n_nodes and {(s.node_chain(n), s.address(n)) for n in range(s.n_nodes)} == parties
    assert len(s.chains) == len({c for c, _ in parties}) > 1
    for c, chain in enumerate(s.chains):
        lo, hi = int(s.chain_start[c]), int(s.chain_start[c + 1])
        assert np.all(s.addresses[lo:hi][:-1] < s.addresses[lo:hi][1:])
        assert s.nodes_of(str(chain), [s.address(n) for n in range(lo, hi)]).tolist() == list(range(lo, hi))


def test_swap_links_from_refs_are_the_ones_the_text_rows_make(real):
    con, s = real, build_flows(real)
    party: dict[tuple, set] = {}
    for chain, tx, pool, sender, recipient, initiator in con.execute(
            "SELECT chain, tx_hash, pool, sender, recipient, initiator FROM swaps").fetchall():
        named = party.setdefault((chain, tx), set())
        named |= {pool} - {None}
        if sender is not None and sender not in (recipient, initiator):
            named.add(sender)
    facts = _edge_facts(con, s)
    legs = [(e, (f[0], f[1]), f[3], f[4], f[5]) for e, f in enumerate(facts) if (f[0], f[1]) in party]
    pay = [(e, tx, frm, token) for e, tx, frm, to, token in legs if to in party[tx] and frm not in party[tx]]
    get = [(e, tx, to, token) for e, tx, frm, to, token in legs if frm in party[tx] and to not in party[tx]]
    expected = {(p, g) for p, tx, wallet, token in pay for g, tx_, wallet_, token_ in get
                if (tx, wallet) == (tx_, wallet_) and token != token_}
    got = set(zip(s.link_pay.tolist(), s.link_get.tolist()))
    assert got == expected and len(got) == len(s.link_pay) > 0
    for side, share in ((s.link_get, s.link_taint), (s.link_pay, s.link_value)):
        total = np.bincount(side, weights=share, minlength=s.n_edges)
        assert np.allclose(total[np.unique(side)], 1.0)
    nodes = {(s.node_chain(n), s.address(n)): n for n in range(s.n_nodes)}
    dex = {nodes[(chain, a)] for (chain, _tx), named in party.items() for a in named if (chain, a) in nodes}
    assert set(s.dex_nodes.tolist()) == dex


def test_transaction_edges_are_the_edges_of_that_hash(real):
    con, s = real, build_flows(real)
    facts = _edge_facts(con, s)
    by_tx: dict[str, list[int]] = {}
    for e, f in enumerate(facts):
        by_tx.setdefault(f[1], []).append(e)
    for tx, edges in by_tx.items():
        bare = tx.removeprefix("0x")
        for form in {tx, bare.upper(), "0x" + bare.upper()}:
            chain, found = transaction_edges(con, s, form)
            assert chain == facts[edges[0]][0] and found.tolist() == edges
    quiet = con.execute(f"""SELECT chain, hash FROM transactions WHERE hash NOT IN
                            (SELECT tx_hash FROM transfers WHERE {TEXT_VALUE}) LIMIT 1""").fetchall()
    chain, found = transaction_edges(con, s, quiet[0][1])
    assert (chain, len(found)) == (quiet[0][0], 0)
    assert transaction_edges(con, s, "0x" + "ab" * 32)[0] is None


def test_rows_tied_in_time_block_and_log_index_come_out_in_one_order_whatever_order_they_came_in():
    """DuckDB's threads return rows in no fixed order; rows equal in (time, block, log index), as TronGrid
    pages without an event index give, must still be laid out the same way, or findings vary run to run."""
    rng = np.random.default_rng(7)
    n = 400
    cols = {"time": rng.integers(0, 20, n), "block": np.zeros(n, dtype=np.int64),
            "log_index": rng.integers(-1, 2, n).astype(np.int32), "tx_ref": rng.integers(0, 50, n),
            "from_ref": rng.integers(0, 9, n), "to_ref": rng.integers(0, 9, n), "token_ref": rng.integers(0, 2, n),
            "amount": rng.random(n).round(1),
            "usd": rng.random(n)}
    outs = []
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(n)
        got = flows._ledger_order({k: v[perm] for k, v in cols.items()})
        outs.append(np.stack([got[k].astype(np.float64) for k in ("time", "log_index", "tx_ref", "from_ref",
                                                                   "to_ref", "token_ref", "amount", "usd")]))
        assert np.all(np.diff(got["time"]) >= 0)
    # the same rows in the same order (rows equal in every key may swap, and are equal anyway)
    assert np.array_equal(outs[0][:7], outs[1][:7]) and np.array_equal(outs[0][:7], outs[2][:7])


def test_a_warehouse_made_again_at_the_same_path_is_not_read_from_the_old_cache_file(tmp_path):
    """A user who deletes a warehouse and ingests other data at the same path leaves the old
    ``.flows.npz`` beside it; with the same row counts and ingest number the old store would be read, its
    refs naming other addresses."""
    from pigtrace.store.warehouse import connect, log_ingest

    db = tmp_path / "w.duckdb"
    con = connect(db)
    _ledger(con)
    log_ingest(con, "test", "first", "ethereum", datetime.now(), {"transfers": 7})
    first = load_flows(con)
    con.close()
    flows.forget()
    db.unlink()
    assert (tmp_path / "w.duckdb.flows.npz").exists()
    con = connect(db)
    led = Ledger()
    led.transfer("x", "y", 10)
    led.transfer("y", "z", 4)
    led.transfer("x", "z", 0.5, token="ETH")
    led.transfer("z", "z", 1)
    led.transfer("x", "y", 0)
    led.nft("x", "y", "punks", 7)
    led.swap("y", "pool2", "USDT", 6, "WETH", 0.002, router="router2")
    led.write(con)
    log_ingest(con, "test", "second", "ethereum", datetime.now(), {"transfers": 7})
    second = load_flows(con)
    named = {second.address(int(n)) for n in np.r_[second.src, second.dst]}
    assert led.addr("x") in named and not named & {first.address(int(n)) for n in first.src}
