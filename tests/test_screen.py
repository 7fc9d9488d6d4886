"""Screening addresses against the real shipped packs, the findings table and the warehouse's transfers."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pigtrace.cli import app
from pigtrace.labels.screen import screen
from pigtrace.labels.shipped import ensure_loaded, exchange_hot_wallets
from pigtrace.store.warehouse import connect, insert_rows

FIX = Path(__file__).parent / "fixtures"
SOPHOS_RING_ETH = "0x2b639ab21e8404b8da81f50089d3377054ea7ecf"  # Sophos "Sour grapes" ring wallet


@pytest.fixture()
def con():
    c = connect(":memory:")
    ensure_loaded(c)
    yield c
    c.close()


def _ofac_rows():
    with open(FIX / "labels_ofac_sdn" / "ofac_sdn_digital_currency_addresses.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_ofac_address_is_severe_with_its_sdn_name(con):
    rows = _ofac_rows()
    assert len(rows) == 761
    results = screen(con, [r["address"] for r in rows], hops=0)
    assert len(results) == 761
    for r, res in zip(rows, results):
        assert res["risk"] == "severe", (r["address"], res)
        names = {lab["label"] for lab in res["labels"] if "sanction" in lab["concepts"]}
        assert r["sdn_name"] in names, (r["address"], names)
        assert any(r["sdn_name"] in why for why in res["reasons"])
        sanction = next(lab for lab in res["labels"] if lab["label"] == r["sdn_name"])
        assert sanction["confidence"] == "authority_data" and "OFAC" in sanction["source"]


def test_chain_is_guessed_from_the_address_form(con):
    by_asset = {}
    for r in _ofac_rows():
        by_asset.setdefault(r["asset"], r["address"])
    results = {a: res["chain"] for a, res in zip(by_asset, screen(con, list(by_asset.values()), hops=0))}
    assert results["TRX"] == "tron"
    assert results["ETH"] == "ethereum"
    assert results["XBT"] == "bitcoin"
    assert results["LTC"] == "litecoin"
    assert results["XMR"] == "monero"
    assert results["BCH"] in ("bitcoin_cash", "bitcoin")  # OFAC lists BCH in CashAddr and legacy form
    assert results["ZEC"] == "zcash"
    assert results["DASH"] == "dash"
    assert results["XRP"] == "ripple"


def test_other_forms_of_the_same_address_match(con):
    tron = "TNmRfnSUXZoWWzxcDDbf95eGQYXt1mJDt8"  # Funnull Technology Inc (OFAC, CYBER3)
    from pigtrace.chains.addresses import tron_base58_to_hex, to_checksum

    res = screen(con, [tron_base58_to_hex(tron), to_checksum("0xd5ed34b52ac4ab84d8fa8a231a3218bbf01ed510"),
                       "0xD5ED34B52AC4AB84D8FA8A231A3218BBF01ED510"], hops=0)
    assert [r["risk"] for r in res] == ["severe"] * 3
    assert res[0]["address"] == tron and res[0]["chain"] == "tron"
    assert all("Funnull Technology Inc" in r["reasons"][0] for r in res)


def test_sophos_pig_butchering_wallets_are_flagged(con):
    with open(FIX / "labels_sophos_iocs" / "sophos_scam_iocs.csv", newline="", encoding="utf-8-sig") as fh:
        wallets = [r["value"] for r in csv.DictReader(fh) if r["indicator_type"].endswith("_address")]
    assert len(wallets) == 11
    for res in screen(con, wallets, hops=0):
        assert res["risk"] == "high", res
        assert any("pig_butchering" in lab["concepts"] for lab in res["labels"])
        assert any("Sophos" in lab["source"] for lab in res["labels"])


def test_exchange_hot_wallets_are_labelled_not_risky(con):
    wallets = exchange_hot_wallets("ethereum")
    names = {n for _, n in wallets}
    assert {"Binance", "Coinbase", "Kraken", "OKX"} <= names
    assert ("0x28c6c06298d514db089934071355e5743bf21d60", "Binance") in wallets  # Etherscan "Binance 14"
    results = screen(con, [a for a, _ in wallets], hops=0)
    for (address, name), res in zip(wallets, results):
        assert res["risk"] == "none", (address, name, res["reasons"])
        assert any(lab["category"] == "exchange" and "exchange" in lab["concepts"] for lab in res["labels"])


def test_malformed_items_get_an_error_each_and_the_batch_goes_on(con):
    items = ["", "hello", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97", "TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6t",
             "0x098b716b8aaf21512996dc57eb0615e2383e2f96", "0x12"]
    res = screen(con, items)
    assert [r["risk"] for r in res] == ["error", "error", "error", "error", "severe", "error"]
    assert "empty" in res[0]["error"]
    assert "not a recognised address form" in res[1]["error"]
    assert "checksum" in res[2]["error"]
    assert "checksum" in res[3]["error"]
    assert "error" not in res[4]


def test_unknown_address_is_none(con):
    res = screen(con, ["0x1111111111111111111111111111111111111111"])[0]
    assert res["risk"] == "none" and res["labels"] == [] and res["reasons"] == []
    assert res["exposure"]["incoming"]["direct_usd"] == 0


def _transfer(con, n, frm, to, usd, chain="ethereum"):
    insert_rows(con, "transfers", [dict(
        chain=chain, tx_hash=f"0x{n:064x}", log_index=0, time=datetime(2024, 1, 1), token="native", kind="native",
        from_address=frm, to_address=to, amount=int(usd * 10**6), usd=usd)])


def test_exposure_direct_indirect_and_services_stop_the_walk(con):
    victim, mid, clean, far = ("0x" + c * 40 for c in "abcd")
    binance = "0x28c6c06298d514db089934071355e5743bf21d60"
    _transfer(con, 1, victim, SOPHOS_RING_ETH, 5000.0)  # victim pays the scam directly
    _transfer(con, 2, SOPHOS_RING_ETH, mid, 3000.0)  # scam pays an intermediary
    _transfer(con, 3, mid, clean, 2900.0)  # ... who pays someone else: indirect exposure
    _transfer(con, 4, SOPHOS_RING_ETH, binance, 1000.0)  # cash-out at the exchange
    _transfer(con, 5, binance, far, 700.0)  # an exchange customer's withdrawal: must not be tainted
    res = {r["address"]: r for r in screen(con, [victim, mid, clean, far, binance], hops=3)}

    assert res[victim]["risk"] == "medium"
    assert res[victim]["exposure"]["outgoing"]["direct_usd"] == 5000.0
    assert any("sent to high-risk address" in why for why in res[victim]["reasons"])

    assert res[mid]["risk"] == "medium"
    assert res[mid]["exposure"]["incoming"]["direct_usd"] == 3000.0

    assert res[clean]["risk"] == "low"
    hit = res[clean]["exposure"]["incoming"]["counterparties"][0]
    assert hit["address"] == SOPHOS_RING_ETH and hit["hop"] == 2 and hit["usd"] == 3000.0
    assert res[clean]["exposure"]["incoming"]["direct_usd"] == 0

    assert res[far]["risk"] == "none"
    assert res[far]["exposure"]["incoming"]["counterparties"] == []

    assert res[binance]["risk"] == "none"  # a service: exposure reported, risk not raised
    assert res[binance]["exposure"]["incoming"]["direct_usd"] == 1000.0


def test_hops_limit_the_walk(con):
    a, b = "0x" + "e" * 40, "0x" + "f" * 40
    _transfer(con, 1, SOPHOS_RING_ETH, a, 10.0)
    _transfer(con, 2, a, b, 10.0)
    assert screen(con, [b], hops=1)[0]["risk"] == "none"
    assert screen(con, [b], hops=2)[0]["risk"] == "low"


def test_findings_raise_the_risk(con):
    collector, victim = "0x" + "1" * 40, "0x" + "2" * 40
    con.execute("INSERT INTO findings (chain, address, role, typology, score, reasons, evidence) VALUES "
                "('ethereum', ?, 'scam_collection', 'fake_platform', 0.9, '[\"r\"]', '[]'), "
                "('ethereum', ?, 'victim', 'fake_platform', 0.8, '[]', '[]')", [collector, victim])
    _transfer(con, 1, victim, collector, 250.0)
    res = screen(con, [collector, victim])
    assert res[0]["risk"] == "high" and res[0]["findings"][0]["role"] == "scam_collection"
    assert res[1]["risk"] == "medium"  # a victim that paid a flagged collector directly
    assert any("scam_collection" in why for why in res[1]["reasons"])


def test_cli_json_contract_file_and_stdin(tmp_path):
    f = tmp_path / "addresses.txt"
    f.write_text("0x098b716b8aaf21512996dc57eb0615e2383e2f96\n# a comment line\nnot-an-address\n")
    runner = CliRunner()
    db = str(tmp_path / "w.duckdb")
    out = runner.invoke(app, ["screen", "TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s", "--file", str(f), "--db", db,
                              "--format", "json"])
    assert out.exit_code == 3, out.output  # exit 3: an address is high or severe (issue 13)
    data = json.loads(out.stdout)
    assert [d["risk"] for d in data] == ["high", "severe", "error"]
    for d in data:
        assert {"address", "chain", "risk", "labels", "reasons", "exposure"} <= set(d)
    for lab in data[0]["labels"]:
        assert {"label", "source", "confidence", "concepts"} <= set(lab)
    assert "error" in data[2]
    assert not Path(db).exists()  # no warehouse: screened against the shipped labels, nothing created

    out = runner.invoke(app, ["screen", "--file", "-", "--db", db, "-f", "csv"],
                        input="0x28c6c06298d514db089934071355e5743bf21d60\n")
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1].startswith("0x28c6c06298d514db089934071355e5743bf21d60,ethereum,none,Binance 14")


def test_cli_needs_input():
    out = CliRunner().invoke(app, ["screen"])
    assert out.exit_code != 0
    assert "nothing to check" in out.output


def test_mistyped_non_evm_addresses_fail_their_checksum(con):
    good = ["bc1qx3e2axj3wsfn0ndtvlwmkghmmgm4583nqg8ngk", "17UVSMegvrzfobKC82dHXpZLtLcqzW9stF",
            "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66",
            "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23"]  # OFAC-listed, one per form
    typo = [a[:-1] + ("k" if a[-1] != "k" else "m") for a in good]
    cases = ["BC1QX3E2AXJ3WSFN0NDTVLWMKGHMMGM4583NQG8NGK", "bc1Qx3e2axj3wsfn0ndtvlwmkghmmgm4583nqg8ngk"]
    res = screen(con, good + typo + cases, hops=0)
    assert [r["risk"] for r in res[:5]] == ["severe"] * 5
    for r in res[5:10]:
        assert r["risk"] == "error" and "checksum does not match" in r["error"], r
    assert res[10]["risk"] == "severe" and res[10]["address"] == good[0]  # bech32 in upper case is the same
    assert res[11]["risk"] == "error" and "mixes upper and lower case" in res[11]["error"]


def test_given_chain_is_checked_and_used(con):
    from pigtrace.errors import PigtraceError

    with pytest.raises(PigtraceError, match="unknown chain 'nochain'"):
        screen(con, ["0x098b716b8aaf21512996dc57eb0615e2383e2f96"], chain="nochain")
    res = screen(con, ["0x098b716b8aaf21512996dc57eb0615e2383e2f96", "TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s"],
                 chain="bsc", hops=0)
    assert res[0]["chain"] == "bsc" and res[0]["risk"] == "severe"  # EVM labels match on every EVM chain
    assert res[1]["risk"] == "error" and "not an EVM address" in res[1]["error"]
    res = screen(con, ["41" + "0" * 40], chain="tron", hops=0)[0]
    assert res["chain"] == "tron" and res["address"].startswith("T")
