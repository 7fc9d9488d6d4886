"""`pigtrace case` on hand-made ledgers whose answer is known: from each kind of victim (self-custody, relay
wallet, exchange account with its withdrawal transactions) and from a scam address; with and without
analyze's findings; a ring that gives each victim its own wallet; a trace that ends at a bridge; the
saved case; the JSON and CSV contracts and the errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from pigtrace.trace.case import build_case
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger


def _shared_wallet_ring(con, findings: bool = True) -> Ledger:
    """Two self-custody victims and one relay wallet pay one platform wallet; a payout wallet pays two of
    them "profits"; the money goes platform -> hop1 -> hop2 -> a deposit account at a labelled exchange."""
    led = Ledger("ethereum")
    led.label("hot", "Binance 14", "exchange")
    led.transfer("hot", "victim", 5000)  # the victims' own withdrawals: before any payment to the ring
    led.transfer("hot", "other_victim", 3000)
    led.transfer("hot", "relay", 2000)
    led.transfer("victim", "platform", 1000)
    led.transfer("other_victim", "platform", 3000)
    led.transfer("relay", "platform", 2000)
    led.transfer("payout", "victim", 100)  # "profit withdrawals"
    led.transfer("payout", "other_victim", 50)
    led.transfer("victim", "platform", 4000)
    led.transfer("victim", "grocer", 20)  # an ordinary payment
    led.wait(hours=2)
    led.transfer("platform", "hop1", 10000)
    led.transfer("hop1", "hop2", 10000)
    led.transfer("hop2", "mule_deposit", 10000)
    led.transfer("mule_deposit", "hot", 10000)
    led.write(con)
    if findings:
        rows = [("victim", "victim"), ("other_victim", "victim"), ("platform", "scam_collection"),
                ("hop1", "laundering"), ("hop2", "laundering"), ("mule_deposit", "cash_out")]
        con.executemany(
            "INSERT INTO findings (chain, address, role, typology, score, reasons, evidence) "
            "VALUES ('ethereum', ?, ?, 'fake_platform', 0.9, '[]', '[]')",
            [(led.addr(n), r) for n, r in rows],
        )
    return led


def _names(led: Ledger, rows, key: str = "address") -> set[str]:
    back = {led.addr(n): n for n in ("victim", "other_victim", "relay", "platform", "payout", "grocer", "hop1", "hop2",
                                      "mule_deposit", "hot", "a", "b", "c", "wa", "wb", "wc", "pool", "gas",
                                      "bridge", "deposit", "exchange_hot")}
    return {back.get(r[key], r[key]) for r in rows}


def test_from_a_self_custody_victim_with_findings(warehouse):
    led = _shared_wallet_ring(warehouse)
    case = build_case(warehouse, led.addr("victim"))
    assert case.subject_kind == "victim" and case.basis == "trace+findings"
    paid = [p for p in case.payments if p["direction"] == "paid"]
    assert [p["usd"] for p in paid] == [1000, 4000] and all(p["tx_hash"] for p in paid)  # the grocer is not the scam
    assert [p["usd"] for p in case.payments if p["direction"] == "paid back"] == [100]
    assert case.loss_usd == pytest.approx(4900)
    assert _names(led, case.collection_wallets) == {"platform"}
    assert _names(led, case.co_victims) == {"other_victim", "relay"}
    assert {c["address"]: c["confirmed"] for c in case.co_victims} == \
        {led.addr("other_victim"): True, led.addr("relay"): False}  # what analyze also calls a victim
    assert _names(led, case.operators) == {"payout"}
    assert _names(led, case.laundering) == {"hop1", "hop2"}
    assert [(c["kind"], c["entity"], c["usd"], c["ring_usd"]) for c in case.cash_out] == \
        [("exchange_deposit", "Binance", 5000, 10000)]
    assert _names(led, case.key_nodes)  == {"platform", "hop1", "hop2"}
    assert case.key_nodes[0]["victim_usd"] == 10000


def test_without_findings_the_money_alone_decides_and_says_so(warehouse):
    led = _shared_wallet_ring(warehouse, findings=False)
    case = build_case(warehouse, led.addr("victim"))
    assert case.basis == "trace" and any("money alone" in n for n in case.notes)
    assert _names(led, case.payments, "to") == {"platform", "victim"}  # the bulk of its payments; paid back
    assert any("bulk" in n for n in case.notes)
    assert {"other_victim", "relay"} <= _names(led, case.co_victims)
    assert [c["entity"] for c in case.cash_out if c["kind"] == "exchange_deposit"] == ["Binance"]
    reported = build_case(warehouse, led.addr("victim"), payments=[p["tx_hash"] for p in case.payments
                                                                  if p["to"] == led.addr("platform")][:1])
    assert reported.basis == "trace (reported payments)"
    assert _names(led, reported.payments, "to") >= {"platform"} and "grocer" not in _names(led, reported.payments, "to")
    assert reported.loss_usd == pytest.approx(1000 - 100)  # one reported payment, less what the ring paid back


def test_from_a_relay_wallet_and_from_the_scam_address(warehouse):
    led = _shared_wallet_ring(warehouse)
    relay = build_case(warehouse, led.addr("relay"))
    assert relay.loss_usd == pytest.approx(2000) and _names(led, relay.co_victims) == {"victim", "other_victim"}
    scam = build_case(warehouse, led.addr("platform"))  # a scam_collection finding: traced from what it received
    assert scam.subject_kind == "scam" and scam.payments == []
    assert _names(led, scam.co_victims) == {"victim", "other_victim", "relay"}
    assert scam.loss_usd == pytest.approx(10000)
    assert [(c["kind"], c["usd"]) for c in scam.cash_out] == [("exchange_deposit", 10000)]


def test_exchange_paid_victim_needs_its_withdrawals(warehouse):
    """The victim's exchange sends the payments; the victim's own deposit account never touches the ring."""
    led = Ledger("ethereum")
    led.label("exchange_hot", "OKX 3", "exchange")
    led.transfer("deposit", "exchange_hot", 9000)  # the customer's deposit account, swept by its exchange
    w1 = led.transfer("exchange_hot", "platform", 4000)
    w2 = led.transfer("exchange_hot", "platform", 5000)
    led.transfer("a", "platform", 700)
    led.wait(hours=1)
    led.transfer("platform", "hop1", 9700)
    led.write(warehouse)
    bare = build_case(warehouse, led.addr("deposit"))
    assert bare.loss_usd == 0 and any("--payment" in n for n in bare.notes)
    case = build_case(warehouse, led.addr("deposit"), payments=[w1, w2])
    assert case.loss_usd == pytest.approx(9000) and {p["tx_hash"] for p in case.payments} == {w1, w2}
    assert _names(led, case.co_victims) == {"a"}
    unseen = build_case(warehouse, "0x" + "12" * 20, payments=[w1])  # an account with no transfer of its own
    assert unseen.loss_usd == pytest.approx(4000)
    # from w1 alone, w2 is another customer's payment as far as the chain shows: listed by its transaction
    assert sorted((c["paid_from"], c["entity"], c["tx_hash"]) for c in unseen.co_victims) == \
        [("exchange", "OKX", w2), ("wallet", None, None)]


def test_per_victim_wallets_pooled_by_the_ring_and_its_gas_funder(warehouse):
    """Each victim pays a wallet of its own; the wallets sweep into one pool; a gas funder tops each up with
    native coin: the other victims are found through the pool, the funder is an operator, not a victim."""
    led = Ledger("ethereum")
    for v, w, amount in (("a", "wa", 3000), ("b", "wb", 2000), ("c", "wc", 6000)):
        led.transfer("gas", w, 0.01, token="ETH")
        led.transfer(v, w, amount)
    led.wait(hours=3)
    for w, amount in (("wa", 3000), ("wb", 2000), ("wc", 6000)):
        led.transfer(w, "pool", amount)
    led.label("bridge", "Bridge X", "bridge")
    led.wait(hours=1)
    led.transfer("pool", "bridge", 11000)
    led.write(warehouse)
    case = build_case(warehouse, led.addr("a"))
    assert _names(led, case.collection_wallets) == {"wa", "wb", "wc"}
    assert [c["found"] for c in case.collection_wallets][0] == "paid by the subject"
    assert _names(led, case.co_victims) == {"b", "c"}
    assert _names(led, case.operators) == {"gas"}
    assert [(c["kind"], c["entity"], c["usd"], c["ring_usd"]) for c in case.cash_out] == [("bridge", "Bridge X", 3000, 11000)]
    assert any("bridge Bridge X" in n for n in case.notes)


def test_conservation_and_time_order(warehouse):
    led = _shared_wallet_ring(warehouse)
    for method in ("fifo", "haircut", "poison"):
        case = build_case(warehouse, led.addr("victim"), method=method)
        u = case.unresolved
        reached = sum(c["usd"] for c in case.cash_out)
        assert reached + u["below_min_usd"] <= u["input_usd"] + 1e-6
        assert reached + u["below_min_usd"] + u["held_usd"] + u["unknown_usd"] == pytest.approx(u["input_usd"], abs=0.02)
    early = build_case(warehouse, led.addr("victim"), until=case.payments[0]["time"])
    assert early.payments == [] and early.loss_usd == 0


def test_case_command_saves_and_reopens_with_json_and_csv(tmp_path):
    from pigtrace.store.warehouse import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    led = _shared_wallet_ring(con)
    con.close()
    out = json.loads(pigtrace("case", led.addr("victim"), "--db", str(db), "-f", "json", check=True).stdout)
    assert set(out) >= {"subject", "loss_usd", "payments", "collection_wallets", "co_victims", "operators",
                        "laundering", "key_nodes", "cash_out", "graph"}
    assert {"address", "kind", "entity", "usd"} <= set(out["cash_out"][0])
    assert {n["id"] for n in out["graph"]["nodes"]} >= {led.addr("victim"), led.addr("platform"), led.addr("mule_deposit")}
    assert out["id"] == 1
    listed = json.loads(pigtrace("cases", "--db", str(db), "-f", "json", check=True).stdout)
    assert [c["id"] for c in listed] == [1] and listed[0]["loss_usd"] == pytest.approx(4900)
    again = json.loads(pigtrace("cases", "1", "--db", str(db), "-f", "json", check=True).stdout)
    assert {k: v for k, v in again.items() if k != "created"} == out
    rows = list(csv.DictReader(io.StringIO(pigtrace("case", led.addr("victim"), "--db", str(db), "-f", "csv",
                                                    "--no-save", check=True).stdout)))
    by = {r["address"]: r for r in rows}
    assert by[led.addr("platform")]["role"] == "scam_collection" and by[led.addr("platform")]["case_role"] == "collection"
    assert by[led.addr("mule_deposit")]["case_role"] == "cash_out:exchange_deposit"
    assert float(by[led.addr("mule_deposit")]["case_usd"]) == pytest.approx(5000)
    assert by[led.addr("victim")]["case_role"] == "subject"
    assert len(json.loads(pigtrace("cases", "--db", str(db), "-f", "json", check=True).stdout)) == 1  # --no-save


def test_case_errors_name_what_is_wrong(tmp_path):
    from pigtrace.store.warehouse import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    _shared_wallet_ring(con)
    con.close()
    nobody = "0x" + "ab" * 20
    for args, needle in [((nobody,), nobody), ((nobody, "--payment", "0x" + "cd" * 32), "0x" + "cd" * 32),
                         (("not-an-address",), "not-an-address")]:
        proc = pigtrace("case", *args, "--db", str(db))
        assert proc.returncode == 1 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    proc = pigtrace("cases", "7", "--db", str(db))
    assert proc.returncode == 1 and "case 7" in proc.stderr


def test_an_exchange_nobody_labelled_is_recognised_by_its_deposit_accounts(warehouse):
    """The ring cashes out at a deposit account of an exchange whose hot wallet no label names: the hot wallet
    takes the sweeps of many deposit accounts, some through a forwarder, and pays many customers, so the case
    stops at the account."""
    led = Ledger("ethereum")
    led.transfer("victim", "platform", 5000)
    led.wait(hours=1)
    led.transfer("platform", "mule", 5000)
    for i in range(22):  # other customers' deposit accounts, swept whole (most through a forwarder)
        led.transfer(f"customer{i}", f"dep{i}", 100 + i)
        led.transfer(f"dep{i}", "hot" if i < 6 else "forwarder", 100 + i)
    led.transfer("forwarder", "hot", 1000)
    led.wait(hours=1)
    led.transfer("mule", "hot", 5000)
    for i in range(21):  # withdrawals
        led.transfer("hot", f"payee{i}", 50)
    for i in range(6):  # some to customers who deposited: what no consolidation wallet does
        led.transfer("hot", f"customer{i}", 40)
    led.write(warehouse)
    case = build_case(warehouse, led.addr("victim"), payments=[])
    assert [(c["address"], c["kind"], c["entity"], c["usd"]) for c in case.cash_out] == \
        [(led.addr("mule"), "exchange_deposit", None, 5000)]


def test_without_findings_a_wallet_that_keeps_the_money_is_no_scam(warehouse):
    """From the money alone, the bulk of a victim's payments to a wallet that keeps it (a shop, a saver) is not
    taken for the scam; to one that moves it straight on, it is."""
    led = Ledger("ethereum")
    led.transfer("buyer", "shop", 3000)
    led.transfer("shop", "supplier", 500)  # keeps most of what it takes
    led.write(warehouse)
    kept = build_case(warehouse, led.addr("buyer"))
    assert kept.payments == [] and kept.loss_usd == 0
    assert any("passed on" in n for n in kept.notes)
    more = Ledger("ethereum", start=led.now + timedelta(hours=1))
    more.transfer(led.addr("buyer"), "platform", 2000)
    more.transfer("platform", "pool", 2000)
    more.write(warehouse)
    moved = build_case(warehouse, led.addr("buyer"))
    assert {p["to"] for p in moved.payments} == {more.addr("platform")} and moved.loss_usd == pytest.approx(2000)
