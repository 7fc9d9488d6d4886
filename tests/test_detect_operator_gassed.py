"""operator_gassed on hand-made ledgers: a ring's held deposit wallets, paid from its victims' exchange accounts,
are found through the gas its found funder paid them; a victim the ring paid gas to stays a victim. On
simulated worlds, with and without the ring paying the gas: every wallet found so is a ring wallet."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from pigtrace.detect.run import analyze
from tests.cli_run import typology_findings_on_world
from tests.ledger_builder import Ledger
from tests.test_detect_platform_worlds import deposit_account, findings, scam_world


def _held_deposits(led: Ledger, funder: str, n: int = 4) -> dict:
    """``n`` deposit wallets, one per victim, each paid four times from the victim's exchange account over
    three weeks; the ring's funder tops up their gas after a month and each sweeps everything to one
    consolidation wallet (also topped up), which sends it to a mule's exchange account."""
    deposits = [f"held_deposit{i}" for i in range(n)]
    t0 = timedelta(days=3)
    total = 0
    for i, d in enumerate(deposits):
        paid = [300 + 40 * i, 1200, 2500 + 100 * i, 4000]
        for k, amount in enumerate(paid):
            led.transfer("binance_hot", d, amount, at=t0 + timedelta(days=i + 7 * k, hours=2 + k))
        led.transfer(funder, d, 0.01, token="native", at=t0 + timedelta(days=40 + i))
        led.transfer(d, "held_consolidation", sum(paid), at=t0 + timedelta(days=40 + i, hours=3))
        total += sum(paid)
    led.transfer(funder, "held_consolidation", 0.01, token="native", at=t0 + timedelta(days=45))
    led.transfer("held_consolidation", "held_mule", total, at=t0 + timedelta(days=45, hours=2))
    deposit_account(led, "held_mule", "binance_hot", t0 + timedelta(days=45, hours=6))
    return {"collection": set(deposits), "consolidation": "held_consolidation", "mule": "held_mule"}


def test_held_deposit_wallets_the_rings_funder_fuelled_are_collection_wallets():
    led, truth = scam_world()
    held = _held_deposits(led, truth["gas_funder"])
    con = led.write(duckdb.connect())
    analyze(con)
    got = findings(con, led)
    assert held["collection"] <= got["scam_collection"]
    assert held["consolidation"] in got["laundering"]


def test_a_victim_the_ring_paid_gas_to_stays_a_victim():
    """The ring tops up a victim's gas so they can pay; the victim buys USDT four times and pays each purchase
    to the platform within the hour: a payment out per payment in, to a found collection wallet."""
    led, truth = scam_world()
    funder, platform = truth["gas_funder"], sorted(truth["collection"])[0]
    led.transfer(funder, "fuelled_victim", 0.01, token="native", at=timedelta(days=4))
    for k, amount in enumerate((500, 1500, 3000, 6000)):
        t = timedelta(days=5 + 6 * k)
        led.transfer("binance_hot", "fuelled_victim", amount, at=t)
        led.transfer("fuelled_victim", platform, amount, at=t + timedelta(minutes=40))
    con = led.write(duckdb.connect())
    analyze(con)
    got = findings(con, led)
    assert "fuelled_victim" in got["victim"]
    assert "fuelled_victim" not in got.get("scam_collection", set()) | got.get("laundering", set())


@pytest.mark.parametrize("vary", [("collection_hold=months",), ("collection_hold=months", "gas=exchange")],
                         ids=["ring-funded-gas", "exchange-gas"])
def test_every_wallet_found_through_a_rings_gas_is_that_rings_wallet_on_simulated_worlds(small_world, vary):
    """Simulated rings that hold for months (their deposit wallets mostly paid from victims' exchange accounts):
    with the ring's funder paying their gas, the wallets found through it are ring wallets in the role found,
    and there are many; with the gas from exchanges (the knob that breaks the rule) nothing wrong is found."""
    found, wrong = typology_findings_on_world(small_world(4, ("style=fixed", *vary)), "operator_gassed")
    assert wrong == []
    if "gas=exchange" not in vary:
        assert sum(role == "scam_collection" for _, role in found) >= 5


def _second_ring_funder(led: Ledger, truth: dict, feed_each_other: bool) -> dict:
    """A funder that topped up two wallets the detectors find (the first ring's peel hops) and five more:
    with ``feed_each_other``, a held ring (four exchange-paid deposit wallets sweeping into a consolidation
    wallet, all fuelled by it); without, five friends who each spend an exchange withdrawal on their own bills."""
    funder = "shared_funder"
    for i, hop in enumerate(sorted(truth["laundering"] - {truth["consolidation"]})[:2]):
        led.transfer(funder, hop, 0.01, token="native", at=timedelta(days=1, hours=i))
    if feed_each_other:
        return {"funder": funder, **_held_deposits(led, funder)}
    friends = [f"gas_friend{i}" for i in range(5)]
    for i, f in enumerate(friends):
        led.transfer(funder, f, 0.01, token="native", at=timedelta(days=2 + i))
        led.transfer("binance_hot", f, 3000, at=timedelta(days=3 + i))
        for k, (payee, amount) in enumerate((("landlord", 900), ("grocer", 300), ("garage", 650), ("friend", 200))):
            led.transfer(f, f"{payee}_of_friend{i}", amount, at=timedelta(days=4 + i + 7 * k))
    return {"funder": funder, "friends": set(friends)}


@pytest.mark.parametrize("feed_each_other", [True, False], ids=["ring-wallets", "friends"])
def test_a_funder_whose_unfound_wallets_feed_each_other_runs_the_ring(feed_each_other):
    """Two of the seven wallets a funder fuelled were found by other detectors: under the half a funder needs.
    When the other five sweep into one another (a held ring's deposit wallets and their consolidation wallet),
    the funder is an operator and the deposit wallets are collection wallets; when they are friends paying their own
    bills, nothing of them is found."""
    led, truth = scam_world()
    second = _second_ring_funder(led, truth, feed_each_other)
    con = led.write(duckdb.connect())
    analyze(con)
    got = findings(con, led)
    if feed_each_other:
        assert second["funder"] in got["scam_operator"]
        assert second["collection"] <= got["scam_collection"]
    else:
        found = set().union(*got.values())
        assert second["funder"] not in found
        assert not second["friends"] & found
