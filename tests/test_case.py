"""`pigtrace case`: from one victim to co-victims, the laundering path and the cash-out, on a hand-made
ledger whose findings are written directly (the detectors are tested on their own)."""

from __future__ import annotations

import json

from pigtrace.trace.case import build_case
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger


def _world(con):
    led = Ledger("ethereum")
    led.label("hot", "Binance 14", "exchange")
    led.transfer("exchange", "victim", 5000)
    led.transfer("exchange", "other_victim", 3000)
    led.transfer("victim", "platform", 1000)
    led.transfer("victim", "platform", 4000)
    led.transfer("other_victim", "platform", 3000)
    led.transfer("victim", "grocer", 20)  # an ordinary payment stays out of the case
    led.wait(hours=2)
    led.transfer("platform", "hop1", 7900)
    led.transfer("hop1", "hop2", 7900)
    led.transfer("hop2", "mule_deposit", 7900)
    led.transfer("mule_deposit", "hot", 7900)
    led.write(con)
    findings = [
        ("victim", "victim"), ("other_victim", "victim"), ("platform", "scam_collection"),
        ("hop1", "laundering"), ("hop2", "laundering"), ("mule_deposit", "cash_out"),
    ]
    con.executemany(
        "INSERT INTO findings (chain, address, role, typology, score, reasons, evidence) VALUES ('ethereum', ?, ?, 'fake_platform', 0.9, '[]', '[]')",
        [(led.addr(n), r) for n, r in findings],
    )
    return led


def test_case_follows_the_money(warehouse):
    led = _world(warehouse)
    case = build_case(warehouse, led.addr("victim"))
    assert case.victim_roles == ["victim"]
    assert {p["to"] for p in case.payments} == {led.addr("platform")}
    assert case.summary["victim_lost_usd"] == 5000
    assert [v["address"] for v in case.co_victims] == [led.addr("other_victim")]
    assert case.summary["ring_paid_usd"] == 8000
    hops = [(e["hop"], e["from"], e["to"]) for e in case.path]
    assert hops == [
        (1, led.addr("platform"), led.addr("hop1")),
        (2, led.addr("hop1"), led.addr("hop2")),
        (3, led.addr("hop2"), led.addr("mule_deposit")),
    ]
    assert all(e["tx_hashes"] for e in case.path)
    assert [c["address"] for c in case.cash_out] == [led.addr("mule_deposit")]
    assert case.cash_out[0]["forwards_to"] == "Binance 14"


def test_hops_limit_and_unflagged_victim(warehouse):
    led = _world(warehouse)
    short = build_case(warehouse, led.addr("victim"), hops=1)
    assert [e["to"] for e in short.path] == [led.addr("hop1")] and short.cash_out == []
    nobody = build_case(warehouse, led.addr("grocer"))
    assert nobody.payments == [] and nobody.summary["victim_lost_usd"] == 0.0


def test_case_command_json(tmp_path):
    from pigtrace.store.warehouse import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    led = _world(con)
    con.close()
    proc = pigtrace("case", led.addr("victim"), "--db", str(db), "--format", "json", check=True)
    out = json.loads(proc.stdout)[0]
    assert out["summary"]["cash_out_accounts"] == 1 and len(out["path"]) == 3
