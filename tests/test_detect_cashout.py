"""Cash-out detectors on hand-made ledgers: exchange deposit accounts that received scam proceeds
(mules) and OTC desks paid by scam wallets are found; a saver's own deposit account, the exchange's hot
wallet and an OTC desk's ordinary customers are not."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb

from pigtrace.detect.run import analyze
from tests.test_detect_platform_worlds import (
    deposit_account,
    benign_world,
    fake_platform,
    findings,
    otc_desk,
    saver,
    scam_world,
)


def _run(led):
    con = led.write(duckdb.connect())
    analyze(con)
    return con, findings(con, led)


def test_mule_deposit_accounts_are_found_with_their_sweeps(scam_world_analysed):
    led, truth, con, got = scam_world_analysed
    assert got["cash_out"] == truth["mules"]
    evidence = json.loads(con.execute(
        "SELECT evidence FROM findings WHERE address = ? AND role = 'cash_out'", [led.addr("ln_mule0")]
    ).fetchone()[0])
    notes = {e["note"] for e in evidence}
    assert {"received scam-tainted value", "swept to exchange hot wallet"} <= notes


def test_savers_and_ordinary_customers_are_not_cash_out():
    led, _names = benign_world()
    led, truth = scam_world(led)
    saver(led, tag="saver2")
    _, got = _run(led)
    assert got["cash_out"] == truth["mules"]
    assert "binance_hot" not in set().union(*got.values())


def test_otc_desks_paid_by_scam_wallets_are_cash_out_but_their_customers_are_not():
    led, _truth = scam_world()
    labelled, customers_a = otc_desk(led, tag="otcA", labelled=True)
    shaped, customers_b = otc_desk(led, tag="otcB", labelled=False)
    led.transfer("ln_split2", labelled, 4000, at=timedelta(days=56))
    led.transfer("ln_hop2", shaped, 3000, at=timedelta(days=56, hours=1))
    _, got = _run(led)
    assert {labelled, shaped} <= got["cash_out"]
    assert not (customers_a | customers_b) & set().union(*got.values())


def test_a_scam_hub_with_a_desks_degrees_is_not_an_otc_desk_but_a_real_desk_is():
    """A second ring's consolidation wallet fans its takings out to 12 fresh wallets, which pay one hub;
    the ring also withdraws clean money from the exchange into the hub; the hub pays 12 mules' deposit
    accounts. By its degrees (13 payers, 12 payees) and the small share it got straight from collection
    wallets the hub looks like an OTC desk, but none of its counterparties is an ordinary wallet: its
    payers are the scam's wallets and the exchange, its payees exchange accounts. It is not where the money
    left the scam's hands, so it is not cash-out. A desk with ordinary customers on both sides that one
    scam wallet paid still is."""
    led, _truth = scam_world()
    ring = fake_platform(led, tag="pf2")
    t0 = timedelta(days=45)
    fans = [f"fan{i}" for i in range(12)]
    for i, fan in enumerate(fans):
        led.transfer(ring["consolidation"], fan, 6500, at=t0 + timedelta(minutes=i))
        led.transfer(fan, "hub", 6500, at=t0 + timedelta(hours=2, minutes=i))
    for k in range(3):
        led.transfer("binance_hot", "hub", 20000, at=t0 - timedelta(days=3 - k))
    for i in range(12):
        mule = f"hub_mule{i}"
        led.transfer("hub", mule, 11500, at=t0 + timedelta(hours=6, minutes=i))
        deposit_account(led, mule, "binance_hot", t0 + timedelta(hours=9, minutes=i))
    desk, customers = otc_desk(led, tag="otcB", labelled=False)
    led.transfer("ln_hop2", desk, 3000, at=timedelta(days=56, hours=1))
    _, got = _run(led)
    assert "hub" not in got.get("cash_out", set())
    assert desk in got["cash_out"]
    assert not customers & set().union(*got.values())


def test_a_deposit_account_with_a_little_scam_money_is_not_a_mule():
    """An ordinary customer's deposit account that once got a small tainted payment among much
    clean money stays below the mule share."""
    led, _truth = scam_world()
    led.transfer("binance_hot", "customer", 50000, at=timedelta(days=1))
    led.transfer("customer", "customer_deposit", 50000, at=timedelta(days=2))
    led.transfer("ln_split2", "customer_deposit", 300, at=timedelta(days=56))
    led.transfer("customer_deposit", "binance_hot", 50300, at=timedelta(days=57))
    _, got = _run(led)
    assert "customer_deposit" not in got["cash_out"]


def test_small_mule_with_exchange_gas_is_found_but_dust_is_not():
    """A mule's deposit account that got $30 of scam money and a gas top-up from the exchange before its
    sweep is nearly all scam money (the gas is not inflow): it is cash-out though under the usual $50
    floor. An account that only got $5 from a scam wallet stays below the dust floor. (The splitter gets
    the $35 first: a wallet pays only money that reached it, and one that has passed all its scam money on
    pays its own.)"""
    led, _truth = scam_world()
    t0 = timedelta(days=57)
    led.transfer("pf_consolidation", "ln_split2", 35, at=t0 - timedelta(hours=1))
    led.transfer("ln_split2", "tiny_mule", 30, at=t0)
    led.transfer("binance_hot", "tiny_mule", 0.003, token="native", at=t0 + timedelta(hours=1))
    led.transfer("tiny_mule", "binance_hot", 30, at=t0 + timedelta(hours=2))
    led.transfer("ln_split2", "dust_account", 5, at=t0)
    led.transfer("dust_account", "binance_hot", 5, at=t0 + timedelta(hours=2))
    _, got = _run(led)
    assert "tiny_mule" in got["cash_out"]
    assert "dust_account" not in set().union(*got.values())


def _business_then_scam_money(led, wallet: str, customers: int, each: float) -> timedelta:
    """``wallet`` does business: that many customers pay it ``each`` over two weeks; then 6,000 of a ring's
    money reaches it from a laundering wallet at the returned time."""
    for i in range(customers):
        c = f"customer{i}"
        led.transfer("binance_hot", c, 2000, at=timedelta(days=28 + i))
        led.transfer(c, wallet, each, at=timedelta(days=30 + 3 * i))
    t0 = timedelta(days=56)
    led.transfer("pf_consolidation", "ln_split2", 6000, at=t0 - timedelta(hours=1))
    led.transfer("ln_split2", wallet, 6000, at=t0)
    return t0


def test_a_money_changers_own_deposit_is_not_cash_out_but_the_mule_it_paid_is():
    """A wallet that launders and also does business (a money changer): customers pay it 4,000 over two
    weeks, then 6,000 of scam money reaches it and leaves within two hours for a mule's deposit account;
    two weeks later it banks 4,000 at its own exchange account. Whole-history shares (60% scam) and first in
    first out (the customers' money came in first, so the banked 4,000 'is' scam money) both made the
    changer's own account a mule's; the scam money had left before, so only the mule is cash-out."""
    led, truth = scam_world()
    t0 = _business_then_scam_money(led, "changer", customers=5, each=800)
    led.transfer("changer", "changer_mule", 6000, at=t0 + timedelta(hours=2))
    deposit_account(led, "changer_mule", "binance_hot", t0 + timedelta(hours=5))
    led.transfer("changer", "changer_bank", 4000, at=t0 + timedelta(days=14))
    deposit_account(led, "changer_bank", "binance_hot", t0 + timedelta(days=14, hours=3))
    _, got = _run(led)
    assert got["cash_out"] == truth["mules"] | {"changer_mule"}
    assert "changer_bank" not in set().union(*got.values())


def test_a_swap_passes_the_scam_money_on_converted_so_the_traders_own_banking_is_not_cash_out():
    """A trader who launders and also does business: customers pay it 3,000; 6,000 of scam money reaches
    it, it swaps that for WETH worth 4,000 at a bad rate and pays the WETH to a mule's deposit account;
    two weeks later it banks its customers' 3,000 at its own exchange account. The swap converted the scam
    money: with both legs of the swap left out of the trader's history, the 2,000 the swap lost stayed
    'held' as scam money and was charged to the banked takings (two thirds of that account's inflow)."""
    led, truth = scam_world()
    t0 = _business_then_scam_money(led, "trader", customers=3, each=1000)
    weth = 4000 / led._token("WETH").price
    led.swap("trader", "uni_pool", "USDT", 6000, "WETH", weth,
             tx=led.tx("trader", to="uni_pool", method="swap", at=t0 + timedelta(hours=1)))
    led.transfer("trader", "trader_mule", weth, token="WETH", at=t0 + timedelta(hours=2))
    deposit_account(led, "trader_mule", "binance_hot", t0 + timedelta(hours=5))
    led.transfer("trader", "trader_bank", 3000, at=t0 + timedelta(days=14))
    deposit_account(led, "trader_bank", "binance_hot", t0 + timedelta(days=14, hours=3))
    _, got = _run(led)
    assert "trader_mule" in got["cash_out"]
    assert "trader_bank" not in set().union(*got.values())


def test_a_desks_own_exchange_account_is_not_cash_out_the_desk_is():
    """An unlabelled OTC desk with ordinary customers takes 80,000 of a ring's money, then banks what it
    holds at its own exchange account. The money was converted at the desk, an end point: the desk is
    cash-out, its bank account is its own business. Walked through first in first out, the desk's
    banking carried the ring's money (about 14% of that account's inflow) and named the account a
    mule's."""
    led, _truth = scam_world()
    ring = fake_platform(led, tag="pf2")
    desk, customers = otc_desk(led, tag="otcC", labelled=False)
    t0 = timedelta(days=56)
    led.transfer(ring["consolidation"], "pf2_hop", 80000, at=t0 - timedelta(hours=1))
    led.transfer("pf2_hop", desk, 80000, at=t0)
    led.transfer(desk, "desk_bank", 550000, at=t0 + timedelta(days=1))
    deposit_account(led, "desk_bank", "binance_hot", t0 + timedelta(days=1, hours=3))
    _, got = _run(led)
    assert desk in got["cash_out"]
    assert "desk_bank" not in set().union(*got.values())
    assert not customers & set().union(*got.values())


def test_a_money_changer_banking_its_takings_while_the_rings_money_sits_in_it_is_not_cash_out():
    """A money changer's customers pay it 4,000; 6,000 of a ring's money reaches it; an hour later, the
    ring's money still in it, it banks its 4,000 of takings at its own exchange account (one only it
    pays); five hours later it passes the ring's 6,000 on to a mule's account. Passing scam money on first
    charged the banking with 4,000 of scam money (the bank account 100% scam, the mule's a third): the
    banking came out of the changer's own money, and the ring's money left whole with the next payment."""
    led, truth = scam_world()
    t0 = _business_then_scam_money(led, "changer", customers=5, each=800)
    led.transfer("changer", "changer_bank", 4000, at=t0 + timedelta(hours=1))
    deposit_account(led, "changer_bank", "binance_hot", t0 + timedelta(hours=4))
    led.transfer("changer", "changer_mule", 6000, at=t0 + timedelta(hours=6))
    deposit_account(led, "changer_mule", "binance_hot", t0 + timedelta(hours=9))
    _, got = _run(led)
    assert "changer_bank" not in set().union(*got.values())
    assert got["cash_out"] == truth["mules"] | {"changer_mule"}


def test_a_small_cut_to_a_mule_while_the_changers_own_money_sits_in_it_is_cash_out():
    """The same money changer (4,000 of takings in it) peels 900 of the ring's 6,000 off to a mule's
    account that only it pays, and passes the rest on to the ring's next wallet. The account is only the
    changer's, but the payment is no banking of its takings (a small part of them): it carries the ring's
    money, as any payment the changer makes while the ring's money sits in it."""
    led, truth = scam_world()
    t0 = _business_then_scam_money(led, "changer", customers=5, each=800)
    led.transfer("changer", "changer_mule", 900, at=t0 + timedelta(hours=1))
    deposit_account(led, "changer_mule", "binance_hot", t0 + timedelta(hours=4))
    led.transfer("changer", "next_hop", 5100, at=t0 + timedelta(hours=2))
    led.transfer("next_hop", "next_mule", 5100, at=t0 + timedelta(hours=3))
    deposit_account(led, "next_mule", "binance_hot", t0 + timedelta(hours=5))
    _, got = _run(led)
    assert {"changer_mule", "next_mule"} <= got["cash_out"]


def test_a_busy_wallet_paid_a_sliver_of_a_collection_wallets_outflow_is_not_an_otc_desk():
    """A wallet with a desk's shape (a dozen ordinary payers and payees) that the platform's collection
    wallet paid 150 once (a fraction of a percent of the 84,000 it swept on) is not where the proceeds were
    cashed out; a desk the ring's laundering wallet sold 3,000 to still is."""
    led, _truth = scam_world()
    busy, busy_customers = otc_desk(led, tag="busy", labelled=False)
    led.transfer("pf_platform", busy, 150, at=timedelta(days=40))
    desk, customers = otc_desk(led, tag="otcB", labelled=False)
    led.transfer("ln_hop2", desk, 3000, at=timedelta(days=56, hours=1))
    _, got = _run(led)
    assert busy not in got["cash_out"]
    assert desk in got["cash_out"]
    assert not (customers | busy_customers) & set().union(*got.values())


def test_a_hub_whose_payers_only_the_trace_shows_to_be_the_rings_is_walked_through_not_a_desk():
    """Rings that share their laundering wallets: a second ring's consolidation wallet pays 12 wallets
    that take three times as much of their own money from the exchange (spent at shops), which pay one hub;
    the hub also withdraws clean money (more than the ring paid it) and pays 12 fresh wallets that each bank
    at their own exchange account. Before the trace the hub's payers and payees look like a desk's ordinary
    customers (12 of each); the trace finds its payers to be the ring's hops, so the hub is laundering, not
    where the money left the scam's hands, and the walk goes on through it to the accounts its payees banked
    at."""
    led, _truth = scam_world()
    ring = fake_platform(led, tag="pf2")
    t0 = timedelta(days=45)
    fans = [f"fan{i}" for i in range(12)]
    for i, fan in enumerate(fans):
        for k in range(3):
            led.transfer("binance_hot", fan, 6000 + 10 * i, at=t0 - timedelta(days=20 - k, minutes=i))
        led.transfer(ring["consolidation"], fan, 6500, at=t0 + timedelta(minutes=i))
        led.transfer(fan, "hub", 6500, at=t0 + timedelta(hours=2, minutes=i))
        for k in range(3):
            led.transfer(fan, f"fan_shop{i}_{k}", 6000 + 10 * i, at=t0 + timedelta(days=3 + k, minutes=i))
    for k in range(2):
        led.transfer("binance_hot", "hub", 60000, at=t0 - timedelta(days=3 - k))
    for i in range(12):
        payee, account = f"hub_payee{i}", f"hub_payee_account{i}"
        led.transfer("hub", payee, 8000, at=t0 + timedelta(hours=6, minutes=i))
        led.transfer(payee, account, 8000, at=t0 + timedelta(hours=9, minutes=i))
        deposit_account(led, account, "binance_hot", t0 + timedelta(hours=12, minutes=i))
    _, got = _run(led)
    assert "hub" not in got.get("cash_out", set())
    assert "hub" in got["laundering"]
    assert len({f"hub_payee_account{i}" for i in range(12)} & got["cash_out"]) >= 6


def test_an_account_where_two_scam_wallets_meet_is_a_mule_though_the_walk_charged_one_to_clean_money():
    """A money changer reused by rings (customers paid it 4,000) passes a ring's 6,000 on to another ring's
    hop first, then pays 2,000 into an account that a laundering wallet of the ring also pays (100). Passing
    scam money on first charges the 2,000 to the changer's takings (5% of the account scam money); but an
    account two of the scam's wallets pay is where they meet, not the changer's own bank: the haircut share
    (60% of the changer's money was the ring's) counts there. Its own bank account, which only it pays,
    stays its own."""
    led, truth = scam_world()
    t0 = _business_then_scam_money(led, "changer", customers=5, each=800)
    led.transfer("changer", "other_ring_hop", 6000, at=t0 + timedelta(hours=1))
    led.transfer("other_ring_hop", "other_mule", 6000, at=t0 + timedelta(hours=2))
    deposit_account(led, "other_mule", "binance_hot", t0 + timedelta(hours=4))
    led.transfer("changer", "shared_mule", 2000, at=t0 + timedelta(hours=3))
    led.transfer("ln_split2", "shared_mule", 100, at=t0 + timedelta(hours=3))
    deposit_account(led, "shared_mule", "binance_hot", t0 + timedelta(hours=5))
    led.transfer("changer", "changer_bank", 1500, at=t0 + timedelta(days=14))
    deposit_account(led, "changer_bank", "binance_hot", t0 + timedelta(days=14, hours=3))
    _, got = _run(led)
    assert {"shared_mule", "other_mule"} <= got["cash_out"]
    assert "changer_bank" not in set().union(*got.values())


def test_an_account_two_scam_wallets_pay_small_sums_is_a_mule_but_dust_from_them_is_not():
    """Two laundering wallets pay an account $20 each beside a customer's $45: under the $50 floor and under
    the 90% that lets a small account through alone, but where two of the scam's wallets meet (each paying
    $10 or more) the scam's share counts however small the sum (a poisoning ring's mules took $30-$90 each
    from several hops). $6 from each is dust and stays out."""
    led, _truth = scam_world()
    t0 = timedelta(days=57)
    for hop in ("ln_split1", "ln_split2"):
        led.transfer("pf_consolidation", hop, 35, at=t0 - timedelta(hours=1))
    led.transfer("binance_hot", "small_customer", 100, at=t0 - timedelta(hours=3))
    for account, each in (("small_meet", 20), ("dust_meet", 6)):
        led.transfer("small_customer", account, 45, at=t0 - timedelta(hours=2))
        for hop in ("ln_split1", "ln_split2"):
            led.transfer(hop, account, each, at=t0)
        deposit_account(led, account, "binance_hot", t0 + timedelta(hours=2))
    _, got = _run(led)
    assert "small_meet" in got["cash_out"]
    assert "dust_meet" not in set().union(*got.values())


def test_an_otc_desk_paid_by_a_hop_only_the_trace_names_laundering_is_cash_out():
    """A second ring's consolidation wallet pays a wallet that also takes more of its own money from the exchange
    (the launderer mixing in clean money) and at once passes the ring's money to an OTC desk with ordinary
    customers. Only the time-ordered walk (``propagation``) names that wallet laundering; the desk is where the
    ring's money left its hands. Before, ``otc_cash_out`` counted only the collection and laundering wallets the
    other detectors found as a desk's scam payers, and the desk was missed (on the simulator's ``style=random``
    tuning worlds, four desks, one of them taking 124,000 USD from a drain's laundering)."""
    led, _truth = scam_world()
    ring = fake_platform(led, tag="pf2")
    desk, customers = otc_desk(led, tag="otcC", labelled=False)
    t0 = timedelta(days=45)
    for k in range(3):
        led.transfer("binance_hot", "mixer", 6000, at=t0 - timedelta(days=20 - k))
    led.transfer(ring["consolidation"], "mixer", 6500, at=t0)
    led.transfer("mixer", desk, 6500, at=t0 + timedelta(hours=2))
    for k in range(3):
        led.transfer("mixer", f"mixer_shop{k}", 6000, at=t0 + timedelta(days=3 + k))
    _, got = _run(led)
    assert "mixer" in got["laundering"]
    assert desk in got["cash_out"]
    assert not customers & set().union(*got.values())


def test_an_account_a_found_hop_and_a_hop_only_the_trace_names_pay_small_sums_is_a_mule():
    """As the two small payers above, but one of them is a wallet only the time-ordered walk (``propagation``) names
    laundering (it mixes more of its own exchange money into a second ring's takings): the account is still where
    two of the scam's wallets meet (an address-poisoning ring's mule account, paid $84 and $86 by two hops, one of
    them found only by the walk, was missed on a simulator tuning world)."""
    led, _truth = scam_world()
    ring = fake_platform(led, tag="pf2")
    t0 = timedelta(days=45)
    for k in range(3):
        led.transfer("binance_hot", "mixer", 6000, at=t0 - timedelta(days=20 - k))
    led.transfer(ring["consolidation"], "mixer", 6500, at=t0)
    led.transfer("mixer", "mixed_meet", 20, at=t0 + timedelta(hours=2))
    for k in range(3):
        led.transfer("mixer", f"mixer_shop{k}", 6000, at=t0 + timedelta(days=3 + k))
    led.transfer("pf_consolidation", "ln_split1", 35, at=t0 - timedelta(hours=1))
    led.transfer("ln_split1", "mixed_meet", 20, at=t0 + timedelta(hours=1))
    led.transfer("binance_hot", "small_customer", 100, at=t0 - timedelta(hours=3))
    led.transfer("small_customer", "mixed_meet", 45, at=t0 - timedelta(hours=2))
    deposit_account(led, "mixed_meet", "binance_hot", t0 + timedelta(hours=4))
    _, got = _run(led)
    assert "mixer" in got["laundering"]
    assert "mixed_meet" in got["cash_out"]
