"""`pigtrace trace` on hand-built ledgers whose answer is known: time order, the three spending rules on a
mixing wallet, swaps followed into the bought token, every kind of endpoint, deposit accounts behind
forwarders, windows, min-usd, transaction sources, and the command's output and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import duckdb
import pytest

from pigtrace.errors import PigtraceError
from pigtrace.trace.run import trace
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger


def _ends(result) -> dict[tuple[str, str], float]:
    return {(e["address"], e["kind"]): round(e["usd"], 6) for e in result.endpoints}


def _closes(result) -> None:
    """The trace's accounting: endpoints plus unresolved are the input (never more)."""
    total = sum(e["usd"] for e in result.endpoints) + result.unresolved_usd
    assert total <= result.input_usd + 1e-6
    assert total == pytest.approx(result.input_usd, abs=1e-6)


def _mixing(con) -> Ledger:
    """100 clean, then 100 of the victim's, reach one wallet, which pays 100 to A and then 100 to B: exchange
    deposit accounts, each swept to its exchange's hot wallet."""
    led = Ledger()
    led.label("hot_a", "Exchange A: hot wallet", "exchange")
    led.label("hot_b", "Exchange B: hot wallet", "exchange")
    led.transfer("clean", "mixing", 100)
    led.transfer("victim", "mixing", 100)
    led.transfer("mixing", "dep_a", 100)
    led.transfer("mixing", "dep_b", 100)
    led.transfer("dep_a", "hot_a", 100)
    led.transfer("dep_b", "hot_b", 100)
    led.write(con)
    return led


@pytest.mark.parametrize("method,to_a,to_b", [("fifo", 0, 100), ("haircut", 50, 50), ("poison", 100, 0)])
def test_spending_rules_differ_on_a_mixing_wallet(warehouse, method, to_a, to_b):
    led = _mixing(warehouse)
    r = trace(warehouse, led.addr("victim"), method=method)
    ends = _ends(r)
    assert ends.get((led.addr("dep_a"), "exchange_deposit"), 0) == to_a
    assert ends.get((led.addr("dep_b"), "exchange_deposit"), 0) == to_b
    assert r.input_usd == 100 and r.follow == "sent"
    _closes(r)
    entities = {e["entity"] for e in r.endpoints}
    assert entities == ({"Exchange A"} if to_a else set()) | ({"Exchange B"} if to_b else set())


def test_money_received_after_a_payment_is_not_traced_through_it(warehouse):
    led = Ledger()
    led.transfer("other", "hop", 100)
    led.transfer("hop", "a", 100)  # before the victim's money arrives
    led.transfer("victim", "hop", 100)
    led.transfer("hop", "b", 30)
    led.write(warehouse)
    for method in ("fifo", "haircut", "poison"):
        r = trace(warehouse, led.addr("victim"), method=method)
        assert _ends(r) == {(led.addr("b"), "held"): 30, (led.addr("hop"), "held"): 70}
        assert [h["to"] for h in r.hops] == [led.addr("hop"), led.addr("b")]
        _closes(r)


def test_swap_is_followed_into_the_bought_token(warehouse):
    led = Ledger()
    led.label("ex_a", "Exchange A: hot wallet", "exchange")
    led.transfer("victim", "launderer", 1000)
    swap = led.swap("launderer", "pool", "USDT", 1000, "WETH", 0.4, router="router")  # 0.4 WETH = 1,000 USD
    led.transfer("launderer", "ex_a", 0.4, token="WETH")
    led.write(warehouse)
    r = trace(warehouse, led.addr("victim"), method="fifo")
    assert _ends(r) == {(led.addr("ex_a"), "exchange"): 1000}
    legs = [(h["from"], h["to"], h["asset"], h["tx_hash"]) for h in r.hops]
    assert (led.addr("launderer"), led.addr("pool"), "USDT", swap) in legs
    assert (led.addr("pool"), led.addr("launderer"), "WETH", swap) in legs
    assert r.hops[-1]["asset"] == "WETH" and r.hops[-1]["amount"] == "0.4"
    # the same payment with the pool paying someone else: the money stops at the DEX
    led2 = Ledger()
    led2.transfer("victim", "launderer", 1000)
    led2.swap("launderer", "pool", "USDT", 1000, "WETH", 0.4, recipient="stranger")
    con2 = duckdb.connect()
    led2.write(con2)
    r2 = trace(con2, led2.addr("victim"))
    assert _ends(r2) == {(led2.addr("pool"), "dex"): 1000}


def _every_kind(con) -> Ledger:
    led = Ledger()
    led.label("hot", "Exchange A: hot wallet", "exchange")
    led.label("bridge", "Bridge X", "bridge")
    led.label("otc", "Desk Y", "otc_desk")
    led.label("tornado", "Tornado Cash", "mixing_service")
    led.label("tornado", "OFAC: Tornado Cash", "sanctioned", concepts=["sanction"], pack="ofac")
    led.label("fake_hot", "Exchange Z: hot wallet", "exchange")
    led.label("fake_hot", "pig butchering wallet", "scam", concepts=["scam", "pig_butchering"], pack="reports")
    led.swap("trader", "pool", "USDT", 10, "WETH", 0.004)  # makes 'pool' a DEX pool
    led.transfer("victim", "splitter", 900)
    led.wait(hours=1)
    for name in ("hot", "deposit", "bridge", "pool", "otc", "tornado", "saver", "h1", "fake_hot"):
        led.transfer("splitter", name, 100)
    led.wait(hours=1)
    led.transfer("deposit", "hot", 100)  # the exchange sweeps its customer's account
    led.transfer("h1", "h2", 100)
    led.transfer("h2", "h3", 100)
    led.write(con)
    return led


def test_every_kind_of_endpoint(warehouse):
    led = _every_kind(warehouse)
    r = trace(warehouse, led.addr("victim"), hops=3)
    by = {(e["address"], e["kind"]): e for e in r.endpoints}
    want = {
        ("hot", "exchange", "Exchange A"), ("deposit", "exchange_deposit", "Exchange A"),
        ("bridge", "bridge", "Bridge X"), ("pool", "dex", None), ("otc", "otc", "Desk Y"),
        ("tornado", "mixer", "Tornado Cash"), ("saver", "held", None), ("h2", "unknown", None),
        ("fake_hot", "held", None),  # a scam label: never a service, the money just sits there
    }
    assert {(k[0], k[1]) for k in by} == {(led.addr(n), kind) for n, kind, _ in want}
    for name, kind, entity in want:
        e = by[(led.addr(name), kind)]
        assert e["usd"] == pytest.approx(100) and e["entity"] == entity
    assert by[(led.addr("deposit"), "exchange_deposit")]["last_time"] < datetime(2024, 1, 2)
    _closes(r)
    few = trace(warehouse, led.addr("victim"), hops=3, hop_rows=2)  # rows read back for the largest two only
    assert few.hops_total == len(r.hops) > 2 and len(few.hops) == 2
    assert few.hops[0]["usd"] == 900 and few.hops[0]["tx_hash"] and few.hops[1]["usd"] == 100
    # one hop more: the money is known to have moved on from h2, not where it stopped; two: it stopped at h3
    assert (led.addr("h3"), "unknown") in _ends(trace(warehouse, led.addr("victim"), hops=4))
    deeper = _ends(trace(warehouse, led.addr("victim"), hops=5))
    assert (led.addr("h3"), "held") in deeper and not any(k == "unknown" for _, k in deeper)


def test_deposit_accounts_behind_an_exchange_forwarder(warehouse):
    led = Ledger()
    led.label("hot", "Exchange B: hot wallet", "exchange")
    for _ in range(2):  # customers' deposit accounts, swept to the exchange's forwarder, again the next day
        for i in range(12):  # (accounts that never come back are a ring's hops into a mule: test_entities_shapes)
            led.transfer(f"customer{i}", f"dep{i}", 50 + i)
            led.transfer(f"dep{i}", "forwarder", 50 + i)
        led.transfer("forwarder", "hot", sum(50 + i for i in range(12)))
        led.wait(days=1)
    led.transfer("victim", "launderer", 500)
    led.transfer("launderer", "dep0", 500)
    led.transfer("dep0", "forwarder", 500)
    led.write(warehouse)
    r = trace(warehouse, led.addr("victim"))
    assert [(e["address"], e["kind"], e["entity"]) for e in r.endpoints] == [
        (led.addr("dep0"), "exchange_deposit", "Exchange B")]
    assert r.endpoints[0]["usd"] == 500
    assert _kind(warehouse, led, "forwarder") == "exchange" and _kind(warehouse, led, "launderer") is None


def _kind(con, led: Ledger, name: str) -> str | None:
    """The endpoint kind the warehouse's flow store gives ``name`` (None: an ordinary wallet)."""
    from pigtrace.graph.flows import load_flows
    from pigtrace.trace.endpoints import load_endpoints

    store = load_flows(con)
    return load_endpoints(con, store).kind_of(store.node_of("ethereum", led.addr(name)))


def test_unlabelled_hot_wallet_is_recognised_by_its_sweeps_and_withdrawals(warehouse):
    led = Ledger()
    for i in range(25):  # customers' deposit accounts swept to a hot wallet nobody labelled
        led.transfer(f"customer{i}", f"dep{i}", 40 + i)
        led.transfer(f"dep{i}", "hot", 40 + i)
    for i in range(120):  # which pays out withdrawals
        led.transfer("hot", f"user{i}", 5)
    for i in range(8):  # some to customers who also deposited: what no consolidation wallet does
        led.transfer("hot", f"customer{i}", 20)
    for i in range(25):  # a scam's consolidation wallet: as many wallets sweep to it, but it pays few
        led.transfer(f"victim{i}", f"collect{i}", 100)
        led.transfer(f"collect{i}", "consolidation", 100)
    led.transfer("consolidation", "launderer", 2500)
    led.transfer("launderer", "dep0", 2500)
    led.transfer("dep0", "hot", 2500)
    led.write(warehouse)
    r = trace(warehouse, led.addr("victim3"))
    assert [(e["address"], e["kind"], e["entity"]) for e in r.endpoints] == [(led.addr("dep0"), "exchange_deposit", None)]
    assert [h["to"] for h in r.hops] == [led.addr(n) for n in ("collect3", "consolidation", "launderer", "dep0")]
    assert _kind(warehouse, led, "hot") == "exchange" and _kind(warehouse, led, "consolidation") is None


def test_window_min_usd_and_unresolved(warehouse):
    led = Ledger()
    led.label("hot", "Exchange A: hot wallet", "exchange")
    led.transfer("victim", "w", 100, at=datetime(2024, 1, 5))
    led.transfer("w", "dust", 0.5, at=datetime(2024, 1, 6))
    led.transfer("w", "hot", 99.5, at=datetime(2024, 1, 7))
    led.transfer("victim", "hot", 40, at=datetime(2024, 3, 1))
    led.write(warehouse)
    r = trace(warehouse, led.addr("victim"), since=datetime(2024, 1, 1), until=datetime(2024, 2, 1))
    assert r.input_usd == 100
    assert _ends(r) == {(led.addr("hot"), "exchange"): 99.5}
    assert r.unresolved_usd == pytest.approx(0.5)
    assert led.addr("dust") not in {h["to"] for h in r.hops}
    low = trace(warehouse, led.addr("victim"), min_usd=0.1, until=datetime(2024, 2, 1))
    assert _ends(low)[(led.addr("dust"), "held")] == 0.5 and low.unresolved_usd == 0
    late = trace(warehouse, led.addr("victim"), since=datetime(2024, 2, 1))
    assert late.input_usd == 40 and len(late.hops) == 1


def test_follow_received_from_a_scam_wallet_and_auto(warehouse):
    led = Ledger()
    led.label("hot", "Exchange A: hot wallet", "exchange")
    led.transfer("exchange_user", "platform", 10)  # its own float, before the victims
    led.transfer("victim1", "platform", 300)
    led.transfer("victim2", "platform", 200)
    led.transfer("platform", "consolidation", 510)
    led.transfer("consolidation", "hot", 510)
    led.write(warehouse)
    assert trace(warehouse, led.addr("platform")).follow == "sent"
    warehouse.execute(
        "INSERT INTO findings (chain, address, role, typology, score, reasons, evidence) "
        "VALUES ('ethereum', ?, 'scam_collection', 'fake_platform', 0.9, '[]', '[]')", [led.addr("platform")])
    r = trace(warehouse, led.addr("platform"))
    assert r.follow == "received" and r.input_usd == 510
    # a wallet paying only an exchange's hot wallet is taken for that exchange's deposit account
    assert [(e["address"], e["kind"], e["entity"], e["usd"]) for e in r.endpoints] == [
        (led.addr("consolidation"), "exchange_deposit", "Exchange A", 510)]
    assert trace(warehouse, led.addr("platform"), follow="sent").follow == "sent"
    since = trace(warehouse, led.addr("platform"), follow="received", since=led.start.replace(minute=2))
    assert since.input_usd == 500


def test_transaction_source(warehouse):
    led = Ledger()
    led.label("hot", "Exchange A: hot wallet", "exchange")
    led.transfer("victim", "launderer", 1000)
    swap = led.swap("launderer", "pool", "USDT", 1000, "WETH", 0.4)
    led.transfer("launderer", "hot", 0.4, token="WETH")
    payment = led.transfer("victim", "other", 25)
    led.write(warehouse)
    r = trace(warehouse, swap)  # the swap's payment, followed into WETH; what it bought is not input again
    assert r.follow == "transaction" and r.input_usd == 1000
    assert _ends(r) == {(led.addr("hot"), "exchange"): 1000}
    one = trace(warehouse, payment[2:].upper())  # without 0x, other case
    assert one.input_usd == 25 and _ends(one) == {(led.addr("other"), "held"): 25}


def test_unknown_address_and_hash_are_errors(warehouse):
    led = _mixing(warehouse)
    with pytest.raises(PigtraceError, match="0x00000000000000000000000000000000000000AA: not in the warehouse"):
        trace(warehouse, "0x00000000000000000000000000000000000000AA")
    with pytest.raises(PigtraceError, match="no transaction with this hash"):
        trace(warehouse, "0x" + "ab" * 32)
    with pytest.raises(PigtraceError, match="--method"):
        trace(warehouse, led.addr("victim"), method="lifo")


def _cli_world(tmp_path):
    from pigtrace.store.warehouse import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    led = _every_kind(con)
    con.close()
    return led, db


def test_trace_command_json_csv_table_and_errors(tmp_path):
    led, db = _cli_world(tmp_path)
    victim = led.addr("victim")
    out = json.loads(pigtrace("trace", victim, "--db", str(db), "-f", "json", "--hops", "3", check=True).stdout)
    assert list(out) == ["source", "method", "input_usd", "endpoints", "hops", "unresolved_usd"]
    assert out["source"] == victim and out["method"] == "fifo" and out["input_usd"] == 900
    assert set(out["endpoints"][0]) == {"address", "kind", "entity", "usd", "first_time", "last_time"}
    assert set(out["hops"][0]) == {"from", "to", "tx_hash", "time", "asset", "amount", "usd"}
    assert {e["kind"] for e in out["endpoints"]} == {"exchange", "exchange_deposit", "bridge", "dex", "otc", "mixer",
                                                   "held", "unknown"}
    assert sum(e["usd"] for e in out["endpoints"]) + out["unresolved_usd"] == pytest.approx(900)
    assert (db.parent / "w.duckdb.flows.npz").exists()  # the store is kept beside the warehouse
    rows = pigtrace("trace", victim, "--db", str(db), "-f", "csv", "--hops", "3", check=True).stdout.splitlines()
    assert rows[0] == "record,address,kind,entity,usd,first_time,last_time,from,to,tx_hash,time,asset,amount"
    kinds = [r.split(",")[0] for r in rows[1:]]
    assert kinds.count("endpoint") == len(out["endpoints"]) and kinds.count("hop") == len(out["hops"])
    assert rows[1] == f"input,{victim},fifo,,900.00,,,,,,,,"
    env = {**os.environ, "COLUMNS": "80"}
    table = subprocess.run([sys.executable, "-m", "pigtrace", "trace", victim, "--db", str(db), "--hops", "3"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert table.returncode == 0, table.stderr
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert f"{victim[:6]}…{victim[-4:]}" in table.stdout and "900.00" in table.stdout
    assert "Exchange A" in table.stdout
    missing = pigtrace("trace", "0x" + "12" * 20, "--db", str(db))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "0x" + "12" * 20 in missing.stderr
    bad = pigtrace("trace", victim, "--db", str(db), "--method", "lifo")
    assert bad.returncode == 1 and "fifo, haircut, poison" in bad.stderr
