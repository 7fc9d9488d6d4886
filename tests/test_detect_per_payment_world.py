"""A platform that shows each victim a fresh address for every payment (knob deposit_addresses=per_payment) and
sweeps each address on through fresh hops of its own (sweeps=multi_hop) into several consolidation wallets:
the addresses' first destinations are one-off hops, each victim's payments are spread over the ring's
wallets, and the victims' own exchanges are not all labelled. Before, the rule for such platforms asked for one
shared first destination, three people paying it through two or more addresses each, with money from
labelled or recognised exchanges: on this world it found 4 of the 99 addresses and took 74 of the ring's
hops for collection wallets (their payers, the addresses, for victims).

Paid from the victims' exchange accounts, with no payout wallet to tie the addresses to the platform
(paybacks=none), each address is one payment from an exchange's hot wallet passed on: the rule for exchange-paid
platforms (platform_exchange_paid) needs the payout wallet, and before nothing found them (0 of 93; their
consolidation wallets were taken for collection wallets and 61 addresses for their victims). Many such addresses
leading to one place that is no service, several kept in gas by one wallet of the ring, are the ring's."""

from __future__ import annotations

import pytest

from tests.cli_run import analysed_labelled_world, found_addresses, platform_collection


@pytest.fixture(scope="module")
def withdrawn_world(tmp_path_factory):
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp("pp_exchange"), 41,
        {"style": "fixed", "deposit_addresses": "per_payment", "payment_route": "exchange", "paybacks": "none",
         "gas": "dedicated_funder"})
    yield truth, con
    con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    truth, con = analysed_labelled_world(
        tmp_path_factory.mktemp("pp_multihop"), 41,
        {"style": "fixed", "deposit_addresses": "per_payment", "sweeps": "multi_hop", "payment_route": "self_custody"})
    yield truth, con
    con.close()


def test_fresh_addresses_swept_through_hops_are_the_collection_wallets(world):
    truth, con = world
    addresses, found, every = platform_collection(truth, con)
    assert len(addresses) >= 80
    assert len(addresses & found) >= 0.7 * len(addresses), (len(addresses & found), len(addresses))  # now 79 of 99
    assert len(found - every) <= 0.25 * len(found), (len(found - every), len(found))  # now 18 of 104


def test_the_people_paying_them_are_the_victims(world):
    truth, con = world
    victims = {r["address"] for r in truth["roles"] if r["role"] == "victim"}
    found = found_addresses(con, "victim")
    assert len(victims & found) >= 0.8 * len(victims), (len(victims & found), len(victims))  # now 31 of 35, 22 before
    assert len(found - victims) <= 0.35 * len(found), (len(found - victims), len(found))  # now 11 of 42, 51 of 73 before


def test_fresh_addresses_paid_from_exchanges_lead_to_the_ring(withdrawn_world):
    truth, con = withdrawn_world
    addresses, found, every = platform_collection(truth, con)
    assert len(addresses) >= 80
    assert len(addresses & found) >= 0.8 * len(addresses), (len(addresses & found), len(addresses))  # now 91 of 93
    assert len(found - every) <= 0.1 * len(found), (len(found - every), len(found))  # now 0 of 112
    victims = found_addresses(con, "victim")  # before, 61 of the addresses were taken for victims
    true_victims = {r["address"] for r in truth["roles"] if r["role"] == "victim"}
    assert len(victims - true_victims) <= 0.1 * max(len(victims), 1), (len(victims - true_victims), len(victims))
