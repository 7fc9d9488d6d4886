"""ring_feeders: collection wallets found backwards from the ring's found laundering, whoever paid them, on
simulated worlds whose rings mix victims paying from their own wallets with victims paying from their exchange
accounts: every wallet found so is a ring wallet in the role found.

A hand-built ring is not used: a deposit wallet paid from an exchange whose money goes through a hop of its
own to the ring's consolidation is, in one wallet's ledger, a victim's fresh relay paying the platform's
deposit wallet, and collection_evidence reads it so (the hop joins the ring as its collection wallet); on the
simulated worlds the rings' hops split the money and hold it, so the hop does not take the deposit wallet's
place, and the test asks only that every wallet found so is right and that there are several."""

from __future__ import annotations

import pytest

from tests.cli_run import typology_findings_on_world


# seed 19, not 24: since collection_evidence takes a wallet sweeping through one-off hops for the collection
# wallet, seed 24 has nothing left for this detector to find. Seed 36's seven (deposit wallets only exchanges
# paid, passing everything on to found laundering wallets) are found by laundering_source, which runs first,
# since 1dbbd2c: the test holds both detectors that find collection wallets backwards from the laundering to it.
@pytest.mark.parametrize("seed", [19, 36])
def test_every_wallet_found_backwards_is_a_ring_wallet_in_that_role_on_simulated_worlds(small_world, seed):
    """Simulated worlds whose rings mix victims paying from their own wallets with victims paying from their
    exchange accounts: the wallets found so are the ring's, in the role found, and there are several."""
    world = small_world(seed, ("style=random",))
    found = []
    for typology in ("ring_feeders", "laundering_source"):
        by, wrong = typology_findings_on_world(world, typology)
        assert wrong == [], typology
        found += by
    assert sum(role == "scam_collection" for _, role in found) >= 5


@pytest.mark.parametrize("seed", [8, 9])
def test_an_unlabelled_exchange_fuelling_its_customers_accounts_gives_no_feeders(small_world, seed):
    """Tron worlds with an off-ramp exchange none of whose hot wallets is labelled: its hot wallets top up the
    gas of its customers' deposit accounts and take their sweeps, and other detectors take one of them for
    laundering. Its customers' accounts then pass everything on to that found wallet, as a ring's deposit
    wallets do; but a wallet they paid fuelled them, so they are not taken."""
    _found, wrong = typology_findings_on_world(small_world(seed, ("style=fixed", "exchange_use=mixed"), "tron"),
                                               "ring_feeders")
    assert [w for w in wrong if w[1] == "scam_collection"] == []
