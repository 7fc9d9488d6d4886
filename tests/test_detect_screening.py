"""Screening-hits detector on hand-built ledgers with user labels."""

from __future__ import annotations

import json

import duckdb

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger


def run(led: Ledger) -> tuple[dict[str, set[str]], duckdb.DuckDBPyConnection]:
    con = led.write(duckdb.connect())
    analyze(con, only=["screening_hits"])
    out: dict[str, set[str]] = {}
    for address, role in con.execute("SELECT address, role FROM findings").fetchall():
        out.setdefault(role, set()).add(address)
    return out, con


def world() -> Ledger:
    led = Ledger()
    led.label("exchange_hot", "Kraken 4", "exchange", concepts=["exchange"])
    led.label("platform", "fake trading app wallet", "scam", abuse="pig_butchering",
              concepts=["scam", "pig_butchering", "collection_wallet"], confidence="forensic")
    led.transfer("exchange_hot", "victim", 3000)
    led.transfer("victim", "platform", 500)
    led.transfer("platform", "victim", 40)  # the small "profit" that builds trust
    led.transfer("victim", "platform", 2400)
    return led


def test_labelled_collection_wallet_and_the_people_who_paid_it():
    led = world()
    led.transfer("exchange_hot", "platform", 100)  # an exchange withdrawal into it: not a victim
    found, con = run(led)
    assert found["scam_collection"] == {led.addr("platform")}
    assert found["victim"] == {led.addr("victim")}
    assert led.addr("exchange_hot") not in set().union(*found.values())
    ev = json.loads(con.execute("SELECT evidence FROM findings WHERE role = 'victim'").fetchone()[0])
    assert [e["usd"] for e in ev] == [500, 2400]
    reasons = " ".join(json.loads(con.execute("SELECT reasons FROM findings WHERE role = 'victim'").fetchone()[0]))
    assert "fake trading app wallet" in reasons


def test_someone_the_scam_pays_more_than_it_received_is_not_a_victim():
    led = world()
    led.transfer("mule", "platform", 10)
    led.transfer("platform", "mule", 2500)
    found, _ = run(led)
    assert led.addr("mule") not in found.get("victim", set())


def test_sanctioned_address_receiving_scam_money_is_a_cash_out_point():
    led = world()
    led.label("garantex", "Garantex", "sanctioned", abuse="sanction", concepts=["sanction"])
    led.label("lazarus", "Lazarus Group", "sanctioned", abuse="sanction", concepts=["sanction"])
    led.transfer("platform", "garantex", 2800)
    led.transfer("someone", "lazarus", 50)  # sanctioned, but no scam money: a screening matter only
    found, _ = run(led)
    assert found["cash_out"] == {led.addr("garantex")}


def test_labelled_address_that_only_sends_is_an_operator():
    led = Ledger()
    led.label("drainer", "Fake_Phishing77", "scam", abuse="phishing", concepts=["phishing", "scam"])
    led.transfer("drainer", "helper", 30)
    found, _ = run(led)
    assert found == {"scam_operator": {led.addr("drainer")}}


def test_address_with_a_service_label_is_never_a_hit():
    led = world()
    led.label("platform", "Some DEX router", "defi_dex", concepts=["defi", "defi_dex"])
    found, _ = run(led)
    assert found == {}


def test_no_labels_no_hits():
    led = Ledger()
    led.transfer("a", "b", 100)
    found, _ = run(led)
    assert found == {}
