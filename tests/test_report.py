"""`pigtrace report`: the case report as HTML and PDF and the freeze packets, from a case on the session's
simulated, analysed world. The PDF's text (pdftotext) holds every evidence hash of the case; the HTML is one
file that fetches nothing; each exchange that received traced money gets its packet."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import pytest

from tests.cli_run import copy_warehouse, pigtrace

HASH = re.compile(r"0x[0-9a-f]{64}")


@pytest.fixture(scope="module")
def world(tmp_path_factory, analysed_template):
    """(warehouse, saved case dict, report data): a victim's case with paybacks and cash-out at an exchange."""
    from pigtrace.report.gather import report_data
    from pigtrace.store.warehouse import connect
    from pigtrace.trace.case import build_case
    from pigtrace.trace.case_store import load_case, save_case

    _world, db = analysed_template
    db = copy_warehouse(db, tmp_path_factory.mktemp("report"))
    con = connect(db)
    victims = [a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'victim' ORDER BY address").fetchall()]
    chosen = None
    for v in victims:
        case = build_case(con, v)
        directions = {p["direction"] for p in case.payments}
        if directions == {"paid", "paid back"} and 3 <= len(case.payments) <= 40 and \
                any(c["kind"] == "exchange_deposit" for c in case.cash_out):
            chosen = case
            break
    assert chosen is not None, "no victim with paybacks and cash-out at an exchange in the world"
    save_case(con, chosen)
    from datetime import date

    from pigtrace.labels.store import replace_pack

    replace_pack(con, "analyst-notes", [{  # a label the report relies on, to show with its provenance
        "chain": "ethereum", "address": chosen.collection_wallets[0]["address"], "label": "Fake exchange deposit",
        "source": "https://example.org/report/7", "confidence": "forensic", "category": "scam", "abuse": None,
        "concepts": ["pig_butchering"], "actor": None, "tx_hash": None, "lastmod": date(2025, 5, 1),
        "is_cluster_definer": None, "context": None}])
    saved = load_case(con, chosen.id)
    data = report_data(con, saved)
    con.close()
    return db, saved, data


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_evidence_holds_every_transaction_of_the_case(world):
    _db, case, data = world
    hashes = {r["tx_hash"] for r in data["evidence"]}
    assert {p["tx_hash"] for p in case["payments"]} <= hashes
    assert {v["tx_hash"] for v in case["co_victims"] if v["tx_hash"]} <= hashes
    for g in data["services"]:  # each cash-out account: a path of hops from the victim's payment, all in the evidence
        for a in g["accounts"]:
            assert a["path"], a["address"]
            assert a["path"][0]["from"] == case["subject"] and a["path"][-1]["to"] == a["address"]
            assert {h["tx_hash"] for h in a["path"]} <= hashes
            assert [h["hop"] for h in a["path"]] == sorted(h["hop"] for h in a["path"])
    assert all(r["tx_url"] == f"https://etherscan.io/tx/{r['tx_hash']}" for r in data["evidence"])


def test_timeline_names_what_happened(world):
    _db, case, data = world
    rows = data["timeline"]
    assert [r["event"] for r in rows] == ["payment to scam" if p["direction"] == "paid" else "payback from scam"
                                          for p in sorted(case["payments"], key=lambda p: (p["time"], p["tx_hash"]))]
    marks = [m for r in rows for m in r["marks"]]
    assert marks.count("largest payment") == 1 and marks.count("first payment") == 1
    paid = sum(p["usd"] for p in case["payments"] if p["direction"] == "paid")
    back = sum(p["usd"] for p in case["payments"] if p["direction"] != "paid")
    assert rows[-1]["net_loss_usd"] == pytest.approx(paid - back, abs=0.02)
    assert data["summary"]["loss_usd"] == pytest.approx(case["loss_usd"])


def test_html_is_one_file_that_fetches_nothing(world, tmp_path):
    db, case, data = world
    out = tmp_path / "case.html"
    pigtrace("report", str(case["id"]), "--format", "html", "--out", str(out), "--db", str(db), check=True)
    html = out.read_text()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|url\(|@import", html)
    assert html.count("<svg") >= 3 and "<script>" in html  # timeline, Sankey, flow graph; the inline script
    for r in data["evidence"]:
        assert r["tx_hash"] in html
    labels = html[html.index("8. Labels relied on"):]
    for words in ("Fake exchange deposit", "analyst-notes (user)", "https://example.org/report/7", "2025-05-01",
                  "imported TagPack"):
        assert words in labels
    for heading in ("1. Summary", "2. Victim timeline", "3. Where the money went", "4. Cash-out per exchange",
                    "5. Key nodes", "6. Evidence", "7. How it was traced", "8. Labels relied on"):
        assert heading in html


def test_pdf_text_holds_every_evidence_hash(world, tmp_path):
    db, case, data = world
    out = tmp_path / "case.pdf"
    pigtrace("report", str(case["id"]), "--format", "pdf", "--out", str(out), "--db", str(db), check=True)
    text = _text(out)
    found = set(HASH.findall(text))  # whole hashes on one line each: the evidence column does not wrap them
    assert {r["tx_hash"] for r in data["evidence"]} <= found
    assert {p["tx_hash"] for p in case["payments"]} <= found
    flat = "".join(text.split())
    assert case["subject"] in flat and f"{case['loss_usd']:,.2f}USD" in flat
    for words in ("Summary", "Victim timeline", "Cash-out per exchange or service", "How it was traced", "Prices used"):
        assert words.replace(" ", "") in flat
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out), str(png)], check=True)
    from PIL import Image

    pixels = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert pixels.getextrema()[0] < 100  # something is drawn on the first page


def test_packets_one_folder_per_exchange(world, tmp_path):
    db, case, data = world
    out = tmp_path / "packets"
    pigtrace("report", str(case["id"]), "--format", "packets", "--out", str(out), "--db", str(db), check=True)
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == len(data["services"]) >= 1
    index = list(csv.DictReader((out / "packets.csv").open()))
    assert [r["service"] for r in index] == [g["name"] for g in data["services"]]
    for folder, g in zip(folders, data["services"]):
        assert {p.name for p in folder.iterdir()} == {"packet.pdf", "accounts.csv", "transactions.csv", "cover-letter.txt"}
        accounts = list(csv.DictReader((folder / "accounts.csv").open()))
        assert [a["account"] for a in accounts] == [a["address"] for a in g["accounts"]]
        hops = list(csv.DictReader((folder / "transactions.csv").open()))
        assert {h["tx_hash"] for h in hops} == {h["tx_hash"] for a in g["accounts"] for h in a["path"]}
        text = "".join(_text(folder / "packet.pdf").split())
        assert all(h["tx_hash"] in text for h in hops) and all(a["account"] in text for a in accounts)
        assert g["accounts"][0]["address"] in (folder / "cover-letter.txt").read_text()
    head, *co = list(csv.reader((out / "co-victims.csv").open()))
    assert head == ["address", "paid_from", "entity", "payments", "usd", "first_paid", "last_paid", "tx_hash"]
    assert len(co) == len(case["co_victims"])  # addresses and amounts only


def test_report_from_an_address_builds_and_saves_its_case(world, tmp_path):
    db, case, _data = world
    mine = shutil.copy(db, tmp_path / "w.duckdb")
    out = tmp_path / "g.graphml"
    proc = pigtrace("report", case["subject"], "--format", "graphml", "--out", str(out), "--db", str(mine), check=True)
    assert "saved as case" in proc.stderr and out.exists()
    again = pigtrace("report", case["subject"], "--format", "graphml", "--out", str(out), "--db", str(mine))
    assert again.returncode == 1 and "the file exists" in again.stderr
    missing = pigtrace("report", "999", "--format", "html", "--out", str(tmp_path / "x.html"), "--db", str(mine))
    assert missing.returncode == 1 and "case 999: no such case" in missing.stderr


def test_shipped_packs_licences_come_from_their_sources_table():
    from pigtrace.report.gather import _licences

    got = _licences()
    assert {"ofac-sdn", "sophos-pig-butchering", "cryptoscamdb", "etherscan-attribution",
            "forta-etherscan-malicious"} <= set(got)
    assert "public domain" in got["ofac-sdn"] and "MIT" in got["forta-etherscan-malicious"]
