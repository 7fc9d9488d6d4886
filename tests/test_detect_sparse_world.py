"""A sparse ledger: many people who transact seldom (1,600 users over the few thousand transfers of a small
world), so that what a customer paid a shop or a payment processor is most of all they ever sent, as a victim's
savings are all they paid a scam. The processor settles with the same merchants week after week; a ring sweeps
to its own consolidation wallet or spreads the money over fresh hops and a mule account or two. Its customers
must not become victims, nor its merchants' exchange accounts cash-out points; the rings' victims are still
found."""

from __future__ import annotations

import pytest

from tests.cli_run import analysed_labelled_world, found_addresses

BENIGN_BUSINESS = ("payment_processor", "merchant", "subscription", "payroll", "fund", "treasury")


@pytest.fixture(scope="module", params=[15, 16], ids=["seed15", "seed16"])
def world(request, tmp_path_factory):
    truth, con = analysed_labelled_world(tmp_path_factory.mktemp(f"sparse{request.param}"), request.param,
                                         {"style": "fixed"}, users=1600)
    yield truth, con
    con.close()


def test_no_business_of_the_sparse_economy_is_a_scam_wallet(world):
    truth, con = world
    business = {b["address"] for b in truth["benign"] if b["kind"] in BENIGN_BUSINESS}
    assert business
    scam_wallets = found_addresses(con, "scam_collection") | found_addresses(con, "laundering")
    assert not business & scam_wallets


def test_victims_are_found_and_their_customers_are_not_taken_for_victims(world):
    truth, con = world
    victims = {r["address"] for r in truth["roles"] if r["role"] == "victim"}
    found = found_addresses(con, "victim")
    wrong = found - victims
    assert len(victims & found) >= 0.9 * len(victims), (len(victims & found), len(victims))
    assert len(wrong) <= 0.05 * len(found), (len(wrong), len(found))
