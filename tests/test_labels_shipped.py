"""The shipped packs: loading into a warehouse, their vocabulary, the OFAC XML reader and `labels update`."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from pigtrace.cli import app
from pigtrace.labels import attribution
from pigtrace.labels.build import build_sophos_addresses, ofac_rows
from pigtrace.labels.ofac import read_sdn_addresses
from pigtrace.labels.packs import DATA_DIR, manifest, pack_paths
from pigtrace.labels.screen import screen
from pigtrace.labels.shipped import VERSION_KEY, ensure_loaded, exchange_hot_wallets
from pigtrace.labels.store import replace_pack
from pigtrace.labels.taxonomy import CATEGORIES, CONCEPTS, CONFIDENCE
from pigtrace.store.warehouse import connect

FIX = Path(__file__).parent / "fixtures"
SDN_XML = FIX / "labels_ofac_sdn" / "sdn_advanced_excerpt.xml"


def test_ensure_loaded_is_idempotent_and_keeps_user_labels():
    con = connect(":memory:")
    total = sum(p["rows"] for p in manifest()["packs"].values())
    assert ensure_loaded(con) == total
    assert ensure_loaded(con) == 0
    replace_pack(con, "mine", [{"chain": "ethereum", "address": "0x" + "1" * 40, "label": "my note",
                                "source": "me", "concepts": ["victim"]}])
    con.execute("UPDATE meta SET value = 'older' WHERE key = ?", [VERSION_KEY])  # a new shipped version
    assert ensure_loaded(con) == total
    assert con.execute("SELECT count(*) FROM labels WHERE origin = 'shipped'").fetchall()[0][0] == total
    assert con.execute("SELECT origin FROM labels WHERE pack = 'mine'").fetchall() == [("user",)]


def test_shipped_vocabulary_is_the_taxonomy_and_data_is_compact():
    con = duckdb.connect()
    files = [str(p) for p in pack_paths()]
    cats = {r[0] for r in con.execute("SELECT DISTINCT category FROM read_parquet(?)", [files]).fetchall()}
    concepts = {r[0] for r in con.execute("SELECT DISTINCT unnest(concepts) FROM read_parquet(?)", [files]).fetchall()}
    confidences = {r[0] for r in con.execute("SELECT DISTINCT confidence FROM read_parquet(?)", [files]).fetchall()}
    assert cats <= set(CATEGORIES) and concepts <= set(CONCEPTS) and confidences <= set(CONFIDENCE)
    assert {"exchange", "bridge", "defi_dex", "mixing_service", "issuer_blocked", "sanctioned", "scam"} <= cats
    size = sum(p.stat().st_size for p in DATA_DIR.iterdir())
    assert size < 5 * 2**20
    # no personal data of reporters or victims: no free-text descriptions, no reporter column
    ctx = con.execute("SELECT DISTINCT context FROM read_parquet(?) WHERE pack = 'cryptoscamdb' LIMIT 50",
                      [files]).fetchall()
    assert all(set(json.loads(c[0])) == {"site"} for c in ctx)
    assert "victim" not in concepts


def test_exchange_hot_wallets_come_from_real_labels():
    eth = exchange_hot_wallets()
    assert len(eth) > 300
    assert all(a.startswith("0x") and len(a) == 42 and a == a.lower() for a, _ in eth)
    assert len({a for a, _ in eth}) == len(eth)
    names = [n for _, n in eth]
    assert names.count("Binance") >= 20 and names.count("Kraken") >= 20
    assert exchange_hot_wallets("bsc")


def test_attribution_keeps_wallets_and_drops_exchange_tokens():
    assert attribution.classify(["binance"], "Binance 14")[:3] == ("exchange", ["exchange"], "binance")
    assert attribution.classify(["exchange"], "Kucoin: Hot Wallet 2")[0] == "exchange"
    assert attribution.classify(["binance", "bitcoin-pegged"], "Binance Wrapped BTC") is None
    assert attribution.classify(["exchange"], "KickToken (KICK)") is None
    assert attribution.classify(["tornado-cash"], "Tornado.Cash: Router")[0] == "mixing_service"
    assert attribution.classify(["blocked"], "")[0] == "issuer_blocked"
    assert attribution.classify(["gaming", "nft"], "Some Game") is None


def test_ofac_xml_reader_on_a_real_excerpt():
    rows, issued = read_sdn_addresses(SDN_XML)
    assert issued == "2025-11-19"
    by_name = {}
    for r in rows:
        by_name.setdefault(r.sdn_name, []).append(r)
    assert set(by_name) == {"Lazarus Group", "Funnull Technology Inc"}
    funnull = {(r.address, r.asset) for r in by_name["Funnull Technology Inc"]}
    assert funnull == {("0xd5ED34b52AC4ab84d8FA8A231a3218bbF01Ed510", "ETH"),
                       ("TNmRfnSUXZoWWzxcDDbf95eGQYXt1mJDt8", "TRX")}
    f = by_name["Funnull Technology Inc"][0]
    assert f.programs == ["CYBER3"] and f.entry_date == "2025-05-29" and f.party_type == "Entity"
    # the reader agrees with the independently derived CSV for every address of these two entries
    with open(FIX / "labels_ofac_sdn" / "ofac_sdn_digital_currency_addresses.csv", newline="") as fh:
        ref = {(r["address"], r["asset"], r["sdn_name"], r["programs"]) for r in csv.DictReader(fh)
               if r["sdn_uid"] in ("27307", "53953")}
    assert {(r.address, r.asset, r.sdn_name, ";".join(r.programs)) for r in rows} == ref
    labels = ofac_rows(rows, issued, "test")
    assert {(r["chain"], r["address"]) for r in labels if r["label"] == "Funnull Technology Inc"} == {
        ("ethereum", "0xd5ed34b52ac4ab84d8fa8a231a3218bbf01ed510"), ("tron", "TNmRfnSUXZoWWzxcDDbf95eGQYXt1mJDt8")}


def test_labels_update_replaces_the_sanctions_pack(tmp_path):
    db = str(tmp_path / "w.duckdb")
    garantex = "0x7ff9cfad3877f21d41da833e2f775db0569ee3d9"  # on the shipped list, not in the excerpt
    runner = CliRunner()
    out = runner.invoke(app, ["labels", "update", "--ofac", str(SDN_XML), "--db", db, "-f", "json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)[0]
    assert summary["issued"] == "2025-11-19" and summary["removed"] > 700
    con = connect(db)
    res = screen(con, [garantex, "TNmRfnSUXZoWWzxcDDbf95eGQYXt1mJDt8"], hops=0)
    assert res[0]["risk"] == "none"  # gone from the refreshed list, so no longer sanctioned
    assert res[1]["risk"] == "severe"
    assert ensure_loaded(con) == 0
    con.execute("UPDATE meta SET value = 'older' WHERE key = ?", [VERSION_KEY])
    ensure_loaded(con)  # a new shipped version does not overwrite the refreshed pack
    assert con.execute("SELECT DISTINCT origin FROM labels WHERE pack = 'ofac-sdn'").fetchall() == [("update",)]
    out = runner.invoke(app, ["labels", "update", "--ofac", str(tmp_path / "missing.xml"), "--db", db])
    assert out.exit_code != 0 and "missing.xml" in out.output


def test_build_reads_the_real_sophos_file(tmp_path):
    (tmp_path / "sophos-iocs").mkdir()
    shutil.copy(FIX / "labels_sophos_iocs" / "sophos_scam_iocs.csv", tmp_path / "sophos-iocs")
    rows = build_sophos_addresses(tmp_path)
    assert len(rows) == 11
    assert {r["chain"] for r in rows} == {"ethereum", "tron", "bitcoin"}
    assert all("pig_butchering" in r["concepts"] and r["origin"] == "shipped" for r in rows)
    assert all(r["address"] == r["address"].lower() for r in rows if r["chain"] == "ethereum")


def test_taxonomy_file_matches_the_module():
    import yaml

    from pigtrace.labels import taxonomy as t

    doc = yaml.safe_load((DATA_DIR / "taxonomy.yaml").read_text())
    assert doc["categories"] == t.CATEGORIES and doc["concepts"] == t.CONCEPTS
    assert {k: (v["score"], v["description"]) for k, v in doc["confidence"].items()} == t.CONFIDENCE
    assert set(doc["screening"]["severe"]) == t.SEVERE_CONCEPTS and set(doc["screening"]["high"]) == t.HIGH_CONCEPTS
    assert set(doc["service_categories"]) == t.SERVICE_CATEGORIES
    for c in ("pig_butchering", "approval_phishing", "address_poisoning", "collection_wallet", "money_mule",
              "otc_desk", "guarantee_marketplace", "victim"):
        assert c in doc["concepts"] and c in doc["pigtrace_extensions"]
