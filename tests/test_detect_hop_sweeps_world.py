"""Deposit wallets that sweep through one-off hops, on a simulated world: victims pay from their exchange
accounts (the exchange's hot wallet sends), one deposit wallet each, and every sweep leaves through a fresh
wallet that takes that one payment and passes it on (sweeps=multi_hop), the deposits kept for days
before they are swept (collection_hold=days, pace=slow). Each hop then looks like a per-victim
deposit wallet and the real deposit wallet like its victim. Economics tell them apart: a wallet that spreads
most of what it pays over two or more one-off wallets that only it ever paid is sweeping, while a victim pays
wallets the scam keeps using. Before that rule: 4 of this world's 16 deposit wallets found, 5 taken for
victims, 7 hops taken for collection wallets."""

from __future__ import annotations

import json

import pytest

from pigtrace.store.warehouse import connect
from tests.cli_run import analysed_labelled_world, analysed_small_world, found_addresses


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp("hops"), 47,
        {"style": "fixed", "payment_route": "exchange", "paybacks": "none", "deposit_wallets": "per_victim",
         "sweeps": "multi_hop", "gas": "exchange", "pace": "slow", "collection_hold": "days",
         "labelled_hot_wallets": "1"})
    yield truth, con
    con.close()


def test_deposit_wallets_sweeping_through_one_off_hops_are_collection_not_victims(world):
    truth, con = world
    deposit = {r["address"] for r in truth["roles"] if r["role"] == "scam_collection" and r["typology"] == "fake_platform"}
    assert len(deposit) >= 10
    assert len(deposit & found_addresses(con, "scam_collection")) >= 0.8 * len(deposit)
    assert not deposit & found_addresses(con, "victim")


def test_the_hops_are_laundering(world):
    truth, con = world
    deposit = {r["address"] for r in truth["roles"] if r["role"] == "scam_collection" and r["typology"] == "fake_platform"}
    hops = {a for (a,) in con.execute(
        """SELECT to_address FROM transfers WHERE from_address IN (SELECT unnest(?::VARCHAR[])) AND token <> 'native'
           GROUP BY 1 HAVING count(*) = 1""", [sorted(deposit)]).fetchall()}
    laundering = {r["address"] for r in truth["roles"] if r["role"] == "laundering"}
    hops &= laundering
    assert len(hops) >= 10
    assert not hops & found_addresses(con, "scam_collection")
    assert len(hops & found_addresses(con, "laundering")) >= 0.8 * len(hops)


@pytest.fixture(scope="module")
def reused_hops_world(tmp_path_factory):
    """The same rings, but the hops are wallets that other rings and ordinary business use too
    (wallet_reuse=yes), so no hop is a one-off wallet; the deposit wallets hold for days (pace=slow)."""
    out, db = analysed_small_world(tmp_path_factory.mktemp("reusedhops"), 5, (
        "style=fixed", "payment_route=exchange", "deposit_wallets=per_victim", "sweeps=multi_hop",
        "wallet_reuse=yes", "pace=slow", "collection_hold=days"))
    con = connect(db, read_only=True)
    yield json.loads((out / "truth.json").read_text()), con
    con.close()


def test_deposit_wallets_only_exchanges_paid_are_found_from_the_reused_hops_they_feed(reused_hops_world):
    """Nothing but exchange withdrawals reaches such a deposit wallet (the victims' own accounts stay hidden
    behind the hot wallets), and it pays nothing but the ring's hops: found backwards from the hops, once the
    hops are found as laundering. Before that rule 14 of this world's 41 deposit wallets were found and 3 were
    taken for victims; most of the rest feed hops nothing else leads to."""
    truth, con = reused_hops_world
    deposit = {r["address"] for r in truth["roles"] if r["role"] == "scam_collection" and r["typology"] == "fake_platform"}
    assert len(deposit) >= 30
    assert len(deposit & found_addresses(con, "scam_collection")) >= 0.4 * len(deposit)
    assert not deposit & found_addresses(con, "victim")
    named = {a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'scam_collection' "
                                       "AND typology = 'laundering_source'").fetchall()}
    assert named and named <= {r["address"] for r in truth["roles"] if r["role"] == "scam_collection"}
