"""Laundering and gas_funder detectors on hand-made ledgers: consolidation, splitter, peel-chain hops and
the swap hop are found from the platform's collection wallet; services (exchange, DEX pool) and benign
fast pass-through (a market maker, payroll) are never laundering."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger
from tests.test_detect_platform_worlds import (
    benign_world,
    deposit_account,
    findings,
    market_maker,
    otc_desk,
    scam_world,
)


def _run(led):
    con = led.write(duckdb.connect())
    analyze(con)
    return con, findings(con, led)


def test_laundering_path_is_found_and_services_are_not(scam_world_analysed):
    led, truth, con, got = scam_world_analysed
    assert got["laundering"] == truth["laundering"]
    flagged = set().union(*got.values())
    assert not {"binance_hot", "uni_pool"} & flagged
    reasons = json.loads(con.execute(
        "SELECT reasons FROM findings WHERE address = ? AND role = 'laundering'", [led.addr("ln_hop1")]
    ).fetchone()[0])
    assert "peel-chain hop" in reasons[1]
    reasons = json.loads(con.execute(
        "SELECT reasons FROM findings WHERE address = ? AND role = 'laundering'", [led.addr("pf_consolidation")]
    ).fetchone()[0])
    assert "100% of its" in reasons[1]


def test_swap_hop_keeps_its_taint(scam_world_analysed):
    """The WETH a laundering wallet gets back from a DEX pool is its own money converted, not clean
    inflow: the wallet stays fully tainted and the mule it pays is found."""
    led, _truth, con, got = scam_world_analysed
    share = con.execute(
        "SELECT role FROM findings WHERE address = ?", [led.addr("ln_split1")]
    ).fetchone()[0]
    assert share == "laundering"
    assert "ln_mule3" in got["cash_out"]


def test_gas_funder_is_an_operator(scam_world_analysed):
    _, truth, _, got = scam_world_analysed
    assert truth["gas_funder"] in got["scam_operator"]


def test_market_maker_payroll_and_airdrop_are_not_laundering():
    led, names = benign_world()
    led, _truth = scam_world(led)
    # the scam pays a little into the market maker: mostly clean volume stays clean
    led.transfer("ln_split2", "mm_maker", 500, at=timedelta(days=55))
    _, got = _run(led)
    assert not names & got.get("laundering", set())
    assert "mm_maker" not in set().union(*got.values())


def test_no_collection_wallets_means_no_laundering():
    led = Ledger()
    from tests.test_detect_platform_worlds import exchange

    exchange(led)
    market_maker(led)
    _, got = _run(led)
    assert got == {}


def _small_gas_fed_chain(led, cons: str = "pf_consolidation") -> None:
    """A small-value peel chain (as poisoning rings launder tens of dollars): each hop is topped up with
    $20 of gas before it moves $30-40 of USDT, and the mule's deposit account gets gas from the exchange
    before its sweep. Counted as inflow, the gas would dilute every hop below half scam money."""
    t0 = timedelta(days=56)
    for i, w in enumerate(("sm_hop0", "sm_hop1", "sm_hop2")):
        led.transfer("sm_gas_funder", w, 0.008, token="native", at=t0 - timedelta(hours=5 - i))
    led.transfer(cons, "sm_hop0", 40, at=t0)
    led.transfer("sm_hop0", "sm_hop1", 36, at=t0 + timedelta(hours=1))
    led.transfer("sm_hop0", "sm_mule", 4, at=t0 + timedelta(hours=1, minutes=1))
    led.transfer("sm_hop1", "sm_hop2", 31, at=t0 + timedelta(hours=2))
    led.transfer("sm_hop1", "sm_mule", 5, at=t0 + timedelta(hours=2, minutes=1))
    led.transfer("sm_hop2", "sm_mule", 31, at=t0 + timedelta(hours=3))
    led.transfer("sm_hop2", "sm_dust", 0.5, at=t0 + timedelta(hours=3, minutes=1))
    led.transfer("binance_hot", "sm_mule", 0.002, token="native", at=t0 + timedelta(hours=4))
    led.transfer("sm_mule", "binance_hot", 40, at=t0 + timedelta(hours=5))


def test_gas_top_ups_do_not_dilute_small_laundering_hops():
    """Gas top-ups (small native payments to wallets that never send native coin) are not inflow, and a
    wallet whose inflow is nearly all scam money is judged even when the amounts are tens of dollars;
    dust stays below the floor."""
    led, truth = scam_world()
    _small_gas_fed_chain(led)
    con, got = _run(led)
    assert {"sm_hop0", "sm_hop1", "sm_hop2"} <= got["laundering"]
    assert "sm_mule" in got["cash_out"]
    flagged = set().union(*got.values())
    assert "sm_dust" not in flagged
    assert "binance_hot" not in flagged
    reasons = json.loads(con.execute(
        "SELECT reasons FROM findings WHERE address = ? AND role = 'laundering'", [led.addr("sm_hop2")]
    ).fetchone()[0])
    assert "100% of its" in reasons[1]


def test_desk_shaped_consolidation_wallet_is_laundering_not_a_desk():
    """A consolidation wallet fed by a dozen platform addresses that pays out to a dozen wallets has the
    degree of a desk, but its money comes straight from collection wallets: it is laundering, never an
    OTC cash-out. A real desk-shaped wallet with ordinary customers stays a cash-out end point."""
    led, truth = scam_world(victims=12, fresh_addresses=True)
    for i in range(10):
        led.transfer("pf_consolidation", f"cx_mule{i}", 300 + 10 * i, at=timedelta(days=58, minutes=i))
        deposit_account(led, f"cx_mule{i}", "binance_hot", timedelta(days=58, hours=2, minutes=i))
    desk, customers = otc_desk(led)
    led.transfer("ln_split2", desk, 2000, at=timedelta(days=57))
    _, got = _run(led)
    assert "pf_consolidation" in got["laundering"]
    assert "pf_consolidation" not in got.get("cash_out", set())
    assert {f"cx_mule{i}" for i in range(10)} <= got["cash_out"]
    assert desk in got["cash_out"]
    assert not customers & set().union(*got.values())


def _victim_fed_side_wallet(led, keeps: bool = False) -> None:
    """Two of the platform's (known) victims also pay a wallet no detector names as a platform, once
    each. Unless ``keeps``, it sweeps the money to a hop that cashes it out at a mule's deposit account
    (a collection wallet); with ``keeps`` it spends only a little of it (a friend, a shop)."""
    t0 = timedelta(days=60)
    led.transfer("pf_victim0", "side_collect", 2500, at=t0)
    led.transfer("pf_victim1", "side_collect", 3100, at=t0 + timedelta(hours=5))
    led.transfer("side_source", "side_collect", 400, at=t0 + timedelta(hours=6))  # some other money too
    if keeps:
        led.transfer("side_collect", "side_landlord", 700, at=t0 + timedelta(days=2))
        return
    led.transfer("side_collect", "side_hop", 5900, at=t0 + timedelta(days=1))
    led.transfer("side_hop", "side_mule", 5900, at=t0 + timedelta(days=1, hours=3))
    deposit_account(led, "side_mule", "binance_hot", t0 + timedelta(days=1, hours=5))


def test_collection_wallet_paid_by_known_victims_is_traced():
    """A wallet that known victims paid (most of its inflow) and that swept the money on is a collection
    wallet even when no platform detector named it: it is flagged, and its outflow is traced."""
    led, truth = scam_world()
    _victim_fed_side_wallet(led)
    con, got = _run(led)
    assert "side_collect" in got["scam_collection"]
    assert "side_hop" in got["laundering"]
    assert "side_mule" in got["cash_out"]
    assert got["laundering"] == truth["laundering"] | {"side_hop"}
    assert "side_source" not in set().union(*got.values())
    reasons = json.loads(con.execute(
        "SELECT reasons FROM findings WHERE address = ? AND role = 'scam_collection'", [led.addr("side_collect")]
    ).fetchone()[0])
    # named by its own economics (collection_evidence) or, failing that, by the victims that paid it
    assert any("2 known victims" in r or "collection evidence" in r for r in reasons)


def test_wallet_victims_paid_that_keeps_the_money_is_not_a_collection_wallet():
    led, truth = scam_world()
    _victim_fed_side_wallet(led, keeps=True)
    _, got = _run(led)
    flagged = set().union(*got.values())
    assert not {"side_collect", "side_landlord", "side_source"} & flagged
    assert got["laundering"] == truth["laundering"]


def test_shop_that_a_few_victims_paid_is_not_a_collection_wallet():
    """A merchant that sweeps its takings on but whose customers are mostly not victims stays quiet."""
    led, _truth = scam_world()
    t0 = timedelta(days=60)
    led.transfer("pf_victim0", "side_shop", 120, at=t0)
    led.transfer("pf_victim1", "side_shop", 90, at=t0 + timedelta(hours=1))
    for i in range(6):
        led.transfer(f"side_customer{i}", "side_shop", 100 + 7 * i, at=t0 + timedelta(hours=2 + i))
    led.transfer("side_shop", "side_supplier", 800, at=t0 + timedelta(days=1))
    _, got = _run(led)
    assert not {"side_shop", "side_supplier"} & set().union(*got.values())


def test_a_chain_of_wallets_that_also_do_business_stays_laundering_in_time_order():
    """Two money changers in a row, each with 4,000 of customers' money: 6,000 of scam money reaches the
    first and leaves within the hour for the second, which passes it on to a mule within the hour. The
    proportional trace dilutes at every such wallet (the first is 60% scam money over its history, so the
    second gets 60% of 6,000 and is 36% scam money); in time order the second passed on the scam money whole
    (60%), so both are laundering and the mule is cash-out; neither changer's own deposit, where each banks
    its takings two weeks later, is."""
    led, _truth = scam_world()
    t0 = timedelta(days=56)
    for name in ("changer_a", "changer_b"):
        for i in range(4):
            c = f"{name}_customer{i}"
            led.transfer("binance_hot", c, 2000, at=timedelta(days=20 + i))
            led.transfer(c, name, 1000, at=timedelta(days=30 + 3 * i))
    led.transfer("pf_consolidation", "ln_split2", 6000, at=t0 - timedelta(hours=1))
    led.transfer("ln_split2", "changer_a", 6000, at=t0)
    led.transfer("changer_a", "changer_b", 6000, at=t0 + timedelta(minutes=40))
    led.transfer("changer_b", "chain_mule", 6000, at=t0 + timedelta(minutes=80))
    deposit_account(led, "chain_mule", "binance_hot", t0 + timedelta(hours=4))
    for name in ("changer_a", "changer_b"):
        led.transfer(name, f"{name}_bank", 4000, at=t0 + timedelta(days=14))
        deposit_account(led, f"{name}_bank", "binance_hot", t0 + timedelta(days=14, hours=3))
    _, got = _run(led)
    assert {"changer_a", "changer_b"} <= got["laundering"]
    assert "chain_mule" in got["cash_out"]
    assert not {"changer_a_bank", "changer_b_bank"} & set().union(*got.values())



def test_a_payment_only_partly_scam_money_passed_on_whole_marks_its_hop():
    """A money changer holding 6,000 of its customers' money takes 6,000 of scam money and an hour later pays
    9,000 on: first in first out, a third of that payment is scam money. A shop holding 4,000 of its own
    customers' money passes the 9,000 whole to a mule within the hour and banks its takings a week later.
    The shop handled a third-scam payment as one parcel, in and straight out: it is a hop for the ring's
    money (and the mule a cash-out), not a shop whose till the scam money sank into; its bank account is
    not a cash-out."""
    led, _truth = scam_world()
    t0 = timedelta(days=56)
    for i in range(6):
        led.transfer("binance_hot", f"changer_customer{i}", 1500, at=timedelta(days=20 + i))
        led.transfer(f"changer_customer{i}", "changer", 1000, at=timedelta(days=30 + i))
    for i in range(4):
        led.transfer("binance_hot", f"shop_customer{i}", 1500, at=timedelta(days=20 + i))
        led.transfer(f"shop_customer{i}", "shop", 1000, at=timedelta(days=40 + i))
    led.transfer("binance_hot", "late_victim", 7000, at=t0 - timedelta(days=2))
    led.transfer("late_victim", "pf_platform", 6000, at=t0 - timedelta(hours=2))
    led.transfer("pf_platform", "changer", 6000, at=t0)
    led.transfer("changer", "shop", 9000, at=t0 + timedelta(hours=1))
    led.transfer("shop", "shop_mule", 9000, at=t0 + timedelta(hours=2))
    deposit_account(led, "shop_mule", "binance_hot", t0 + timedelta(hours=5))
    led.transfer("changer", "changer_bank", 3000, at=t0 + timedelta(days=7))
    led.transfer("shop", "shop_bank", 4000, at=t0 + timedelta(days=7))
    for name in ("changer_bank", "shop_bank"):
        deposit_account(led, name, "binance_hot", t0 + timedelta(days=7, hours=3))
    _, got = _run(led)
    assert "shop" in got["laundering"]
    assert "shop_mule" in got["cash_out"]
    assert "shop_bank" not in set().union(*got.values())
