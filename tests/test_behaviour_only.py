"""`pigtrace analyze --behaviour-only`: no scam, phishing or sanction label influences a finding, while
service labels (exchange hot wallets) still do. Hand-built ledgers: a fake platform with its laundering
and mule deposit accounts (found from behaviour), beside a wallet whose only sign of being a scam is a
public label."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.run import analyze
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger
from tests.test_detect_platform_worlds import scam_world


def world() -> tuple[Ledger, dict]:
    """The fake-platform world plus a label-only scam: one person pays a labelled scam wallet twice and
    gets a small payment back, and the wallet keeps most of it, passing a sixth to a sanctioned address (a
    cash-out point only by its label): nothing in its behaviour is a collection wallet's (it has one payer
    and holds the money); other abuse labels sit on addresses the detectors find from behaviour."""
    led, truth = scam_world()
    led.label("lbl_wallet", "Fake_Phishing123", "scam", abuse="phishing", concepts=["phishing", "scam"],
              confidence="trusted_provider")
    led.label("lbl_garantex", "Garantex", "sanctioned", abuse="sanction", concepts=["sanction"])
    led.transfer("binance_hot", "lbl_person", 4000, at=timedelta(days=3))
    led.transfer("lbl_person", "lbl_wallet", 700, at=timedelta(days=4))
    led.transfer("lbl_wallet", "lbl_person", 30, at=timedelta(days=5))
    led.transfer("lbl_person", "lbl_wallet", 1900, at=timedelta(days=9))
    led.transfer("lbl_wallet", "lbl_garantex", 400, at=timedelta(days=10))
    # abuse labels of every kind on addresses behaviour finds anyway, and on one it does not
    hop = sorted(truth["laundering"] - {truth["consolidation"]})[0]
    led.label(sorted(truth["collection"])[0], "pig butchering platform", "scam", abuse="pig_butchering",
              concepts=["scam", "pig_butchering", "collection_wallet"])
    led.label(hop, "Exploiter 7", "hacker", abuse="hacker", concepts=["hacker", "theft"])
    led.label(sorted(truth["mules"])[0], "frozen by Tether", "issuer_blocked", abuse="issuer_blocked",
              concepts=["issuer_blocked"])
    led.label(sorted(truth["victims"])[0], "reported wallet", "user", concepts=["phishing"])
    led.label("lbl_person", "scam list entry", "user", abuse="scamming", concepts=["user"])
    return led, truth


def by_role(con: duckdb.DuckDBPyConnection, led: Ledger) -> dict[str, set[str]]:
    names = {v: k for k, v in led._names.items()}
    out: dict[str, set[str]] = {}
    for address, role in con.execute("SELECT address, role FROM findings").fetchall():
        out.setdefault(role, set()).add(names.get(address, address))
    return out


def test_label_only_scam_is_found_normally_and_not_behaviour_only():
    led, truth = world()
    con = led.write(duckdb.connect())
    analyze(con)
    normal = by_role(con, led)
    assert "lbl_wallet" in normal["scam_collection"]
    assert "lbl_person" in normal["victim"]
    assert "lbl_garantex" in normal["cash_out"]
    analyze(con, behaviour_only=True)
    behaviour = by_role(con, led)
    flagged = set().union(*behaviour.values())
    assert not flagged & {"lbl_wallet", "lbl_person", "lbl_garantex"}
    # the behaviourally obvious scam is found in both modes ...
    for found in (normal, behaviour):
        assert truth["collection"] <= found["scam_collection"]
        assert truth["victims"] - {"pf_victim0"} <= found["victim"]  # pf_victim0 carries a phishing label
        # ... and its mules too, through the exchange hot wallet's service label, which is still read
        assert truth["mules"] <= found["cash_out"]
    assert "pf_victim0" in behaviour["victim"] and "pf_victim0" not in normal["victim"]
    assert {r[0] for r in con.execute("SELECT DISTINCT typology FROM findings").fetchall()}.isdisjoint({"screening_hits"})
    reasons = " ".join(r[0] for r in con.execute("SELECT reasons::VARCHAR FROM findings").fetchall())
    for text in ("Fake_Phishing123", "Garantex", "Exploiter 7", "frozen by Tether", "is labelled"):
        assert text not in reasons
    runs = con.execute("SELECT behaviour_only FROM analysis_runs ORDER BY id").fetchall()
    assert runs == [(False,), (True,)]


def test_behaviour_only_findings_do_not_change_when_the_abuse_labels_are_removed():
    led, _ = world()
    con = led.write(duckdb.connect())
    analyze(con, behaviour_only=True)
    cols = "address, role, typology, round(score, 9), reasons::VARCHAR, evidence::VARCHAR"
    with_labels = con.execute(f"SELECT {cols} FROM findings ORDER BY address, role").fetchall()
    removed = con.execute("DELETE FROM labels WHERE origin = 'user' AND category <> 'exchange'").fetchall()[0][0]
    assert removed == 7
    analyze(con, behaviour_only=True)
    assert con.execute(f"SELECT {cols} FROM findings ORDER BY address, role").fetchall() == with_labels
    assert len(with_labels) > 10
    # while a normal analysis does read them: with them back, it finds more
    analyze(con)
    plain = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    con2 = world()[0].write(duckdb.connect())
    analyze(con2)
    assert con2.execute("SELECT count(*) FROM findings").fetchone()[0] > plain


def test_behaviour_only_labels_keep_services_and_drop_every_abuse_label():
    led, _ = world()
    led.label("tornado", "Tornado Cash", "mixing_service", abuse="mixing_service", concepts=["mixing_service"])
    led.label("desk", "OTC desk", "otc_desk", concepts=["otc_desk"])
    con = led.write(duckdb.connect())
    from pigtrace.labels.shipped import ensure_loaded

    ensure_loaded(con)
    ctx = AnalysisContext(con=con, behaviour_only=True)
    view = ctx.labels()
    cats = {r[0] for r in con.execute(f"SELECT DISTINCT category FROM {view}").fetchall()}
    assert {"exchange", "defi_dex", "bridge", "mixing_service", "otc_desk", "stablecoin_issuer"} <= cats
    assert cats.isdisjoint({"scam", "sanctioned", "hacker", "issuer_blocked", "perpetrator"})
    leaked = con.execute(
        f"""SELECT count(*) FROM {view} WHERE list_has_any(concepts, ['scam', 'phishing', 'sanction', 'hacker',
            'pig_butchering', 'collection_wallet', 'issuer_blocked']) OR abuse IN ('phishing', 'scamming', 'sanction')"""
    ).fetchone()[0]
    assert leaked == 0
    total = con.execute("SELECT count(*) FROM labels").fetchone()[0]
    kept = con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
    assert 0 < kept < total
    assert AnalysisContext(con=con).labels() == "labels"


def test_cli_behaviour_only_is_recorded_and_shown_by_evaluate(tmp_path):
    led, truth = world()
    db = tmp_path / "w.duckdb"
    led.write(connect(db)).close()
    proc = pigtrace("analyze", "--behaviour-only", "--db", str(db), check=True)
    assert "behaviour only" in proc.stdout
    labels = tmp_path / "labels.csv"
    rows = ["address,label", f"{led.addr('lbl_wallet')},scam_collection", f"{led.addr('lbl_person')},normal"]
    rows += [f"{led.addr(c)},scam_collection" for c in sorted(truth["collection"])]
    labels.write_text("\n".join(rows) + "\n")
    result = json.loads(pigtrace("evaluate", "--labels", str(labels), "--db", str(db), "-f", "json", check=True).stdout)[0]
    assert result["analysis"]["behaviour_only"] is True
    sc = next(r for r in result["roles"] if r["role"] == "scam_collection")
    assert (sc["truth"], sc["tp"], sc["fn"], sc["fp"]) == (len(truth["collection"]) + 1, len(truth["collection"]), 1, 0)
    pigtrace("analyze", "--db", str(db), check=True)
    result = json.loads(pigtrace("evaluate", "--labels", str(labels), "--db", str(db), "-f", "json", check=True).stdout)[0]
    assert result["analysis"]["behaviour_only"] is False
    sc = next(r for r in result["roles"] if r["role"] == "scam_collection")
    assert (sc["tp"], sc["fn"]) == (len(truth["collection"]) + 1, 0)


def test_a_warehouse_from_before_the_switch_gets_the_column(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE analysis_runs (id BIGINT PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, "
                "detectors JSON, findings INTEGER)")
    con.execute("INSERT INTO analysis_runs VALUES (1, now(), now(), '[]', 0)")
    con.close()
    con = connect(path)
    assert "behaviour_only" in {r[0] for r in con.execute("DESCRIBE analysis_runs").fetchall()}
    Ledger().write(con)
    analyze(con, behaviour_only=True)
    assert con.execute("SELECT id, behaviour_only FROM analysis_runs ORDER BY id").fetchall() == [(1, None), (2, True)]
