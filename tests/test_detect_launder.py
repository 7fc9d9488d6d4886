"""Laundering and gas-funder detectors on hand-made ledgers: consolidation, splitter, peel-chain hops and
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
    findings,
    market_maker,
    scam_world,
)


def _run(led):
    con = led.write(duckdb.connect())
    analyze(con)
    return con, findings(con, led)


def test_laundering_path_is_found_and_services_are_not():
    led, truth = scam_world()
    con, got = _run(led)
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


def test_swap_hop_keeps_its_taint():
    """The WETH a laundering wallet gets back from a DEX pool is its own money converted, not clean
    inflow: the wallet stays fully tainted and the mule it pays is found."""
    led, _truth = scam_world()
    con, got = _run(led)
    share = con.execute(
        "SELECT role FROM findings WHERE address = ?", [led.addr("ln_split1")]
    ).fetchone()[0]
    assert share == "laundering"
    assert "ln_mule3" in got["cash_out"]


def test_gas_funder_is_an_operator():
    led, truth = scam_world()
    _, got = _run(led)
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
