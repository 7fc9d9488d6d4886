"""Fake-platform detector on hand-made ledgers: the platform's deposit wallets, its victims (paying
from their own wallets or through their exchange) and its payout wallet are found with evidence; the
benign look-alikes (a saver's own exchange account, a merchant, an honest fund, a savings circle,
payroll and airdrops, an OTC desk's customers) stay quiet."""

from __future__ import annotations

import duckdb
import pytest

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger
from tests.test_detect_platform_worlds import (
    benign_world,
    findings,
    investment_fund,
    scam_world,
)


def _run(led: Ledger) -> tuple[duckdb.DuckDBPyConnection, dict[str, set[str]]]:
    con = led.write(duckdb.connect())
    analyze(con)
    return con, findings(con, led)


@pytest.mark.parametrize("shape", [
    {},
    {"fresh_addresses": True},
    {"payout_from_platform": True},
    {"exchange_paid": 2},
    {"fresh_addresses": True, "exchange_paid": 3},
])
def test_platform_wallets_victims_and_payout_are_found(shape):
    led, truth = scam_world(**shape)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())


def test_platform_on_tron():
    led, truth = scam_world(Ledger("tron"))
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]


def test_findings_explain_themselves_with_transactions():
    led, _truth = scam_world()
    con, _ = _run(led)
    platform = led.addr("pf_platform")
    typology, reasons, evidence = con.execute(
        "SELECT typology, reasons, evidence FROM findings WHERE address = ? AND role = 'scam_collection'", [platform]
    ).fetchone()
    assert typology == "fake-platform"
    import json

    reasons, evidence = json.loads(reasons), json.loads(evidence)
    assert "Fake investment platform" in reasons[0]
    assert any("inducement" in (e["note"] or "") for e in evidence)
    hashes = {t[1] for t in led.transfers}
    assert evidence and all(e["tx_hash"] in hashes for e in evidence)
    assert all({"tx_hash", "time", "from", "to", "token", "amount", "usd"} <= set(e) for e in evidence)
    victim = con.execute(
        "SELECT evidence FROM findings WHERE address = ? AND role = 'victim'", [led.addr("pf_victim0")]
    ).fetchone()[0]
    assert platform in victim


def test_benign_look_alikes_stay_quiet():
    led, _names = benign_world()
    _, got = _run(led)
    assert got == {}


def test_benign_look_alikes_next_to_a_scam_stay_quiet():
    led, names = benign_world()
    led, truth = scam_world(led)
    _, got = _run(led)
    flagged = set().union(*got.values())
    assert not flagged & names
    assert got["scam_collection"] == truth["collection"]


def test_a_fund_that_never_pays_out_is_not_excused():
    """Contrast to the honest fund: the same growing deposits and small monthly 'returns', but round
    'fees' at the end and no withdrawal honoured, is a platform."""
    led = Ledger()
    from tests.test_detect_platform_worlds import exchange

    exchange(led)
    investment_fund(led)  # the honest one
    honest = set(findings(led.write(duckdb.connect()), led))
    assert honest == set()
    led = Ledger()
    exchange(led)
    from datetime import timedelta

    for i in range(5):
        inv = f"inv{i}"
        led.transfer("binance_hot", inv, 30000, at=timedelta(days=i))
        for k, amount in enumerate((300, 1200, 4000, 9000)):
            led.transfer(inv, "fake_fund", amount, at=timedelta(days=2 + i + 8 * k))
            if k == 0:
                led.transfer("fake_fund", inv, 20, at=timedelta(days=4 + i))
        led.transfer(inv, "fake_fund", 2000, at=timedelta(days=40 + i))  # "withdrawal fee"
    _, got = _run(led)
    assert got.get("scam_collection") == {"fake_fund"}
    assert got.get("victim") == {f"inv{i}" for i in range(5)}
