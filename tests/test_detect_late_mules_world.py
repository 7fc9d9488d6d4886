"""Mules' exchange accounts down a laundering chain that clean money diluted upstream, on a simulated world.

With laundering_mixing=0.6 the ring's laundering wallets take clean money too (exchange withdrawals, business
receipts), and a chain of hops after such a wallet carries scam and clean money together. The time-ordered walk
hands all the scam money to the first accounts the chain pays and none to the later ones, and several hops of
the chain are named only by the detectors that run after `mule_deposit`. Economics say otherwise: a hop that
nothing but the ring's wallets ever paid has no money of its own, so an account that only such hops paid banks
the ring's money, whatever share of it the walk could still trace. Before `late_mule_deposit` and the
"nothing but the scam's wallets paid it" branch of `mule_deposit`: 6 of this world's 9 such accounts found."""

from __future__ import annotations

import json

import pytest

from pigtrace.store.warehouse import connect
from tests.cli_run import analysed_small_world, found_addresses

DUST_USD = 10.0  # payments below this (gas, rounding) say nothing about whose money a wallet holds


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out, db = analysed_small_world(tmp_path_factory.mktemp("latemules"), 4, ("laundering_mixing=0.6",))
    con = connect(db, read_only=True)
    yield json.loads((out / "truth.json").read_text()), con
    con.close()


def _accounts_only_pure_hops_paid(truth, con) -> set[str]:
    """The ring's cash-out accounts (truth) whose every payer above dust is a service or a laundering wallet
    that nothing but the ring's wallets and services ever paid."""
    ring = {r["address"] for r in truth["roles"] if r["role"] in ("laundering", "scam_collection")}
    services = {s["address"] for s in truth["services"]}
    payers: dict[str, set[str]] = {}
    for src, dst in con.execute(
            "SELECT from_address, to_address FROM transfers WHERE usd >= ? GROUP BY ALL", [DUST_USD]).fetchall():
        payers.setdefault(dst, set()).add(src)
    laundering = {r["address"] for r in truth["roles"] if r["role"] == "laundering"}
    pure = {a for a in laundering if payers.get(a) and payers[a] <= ring | services}
    accounts = {r["address"] for r in truth["roles"] if r["role"] == "cash_out"}
    return {a for a in accounts if payers.get(a, set()) - services and payers[a] - services <= pure}


def test_accounts_that_only_the_rings_pure_hops_paid_are_cash_out(world):
    truth, con = world
    accounts = _accounts_only_pure_hops_paid(truth, con)
    assert len(accounts) >= 6
    assert len(accounts & found_addresses(con, "cash_out")) >= 0.85 * len(accounts)


def test_every_account_found_late_is_a_rings_cash_out_account(world):
    truth, con = world
    late = {a for (a,) in con.execute(
        "SELECT address FROM detector_findings WHERE detector = 'late_mule_deposit'").fetchall()}
    cash_out = {r["address"] for r in truth["roles"] if r["role"] == "cash_out"}
    assert late <= cash_out
