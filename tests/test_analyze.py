"""`pigtrace analyze` end to end: findings are written in one columnar insert with their evidence, one
address never carries contradictory roles, `--only` runs one detector (and what it reads), `pigtrace findings --format csv`
prints the contract's columns, and on a simulated world the flow roles score well against its truth."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from pigtrace.detect.base import Finding
from pigtrace.detect.run import analyze, merge, resolve_roles
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.test_detect_platform_worlds import scam_world


def test_resolve_roles_drops_the_contradiction_and_says_so():
    a = [Finding("ethereum", "0xa", "victim", "x", 0.9), Finding("ethereum", "0xa", "scam_collection", "y", 0.7),
         Finding("ethereum", "0xb", "laundering", "z", 0.8), Finding("ethereum", "0xb", "cash_out", "z", 0.6),
         Finding("ethereum", "0xc", "scam_collection", "y", 0.7), Finding("ethereum", "0xc", "scam_operator", "y", 0.7)]
    out = {(f.address, f.role): f for f in resolve_roles(merge(a))}
    assert set(out) == {("0xa", "scam_collection"), ("0xb", "cash_out"), ("0xc", "scam_collection"),
                        ("0xc", "scam_operator")}
    assert any("victim" in r for r in out[("0xa", "scam_collection")].reasons)


def test_analyze_writes_findings_and_a_run(tmp_path):
    led, truth = scam_world()
    con = led.write(connect(tmp_path / "w.duckdb"))
    summary = analyze(con)
    assert summary["by_role"]["scam_collection"] == len(truth["collection"])
    rows = con.execute("SELECT address, role, score, evidence, reasons, run_id FROM findings").fetchall()
    assert len(rows) == summary["findings"]
    assert len({r[0] for r in rows}) == len(rows)  # one role per address in this world
    assert all(0 <= r[2] <= 1 and json.loads(r[3]) and json.loads(r[4]) and r[5] == summary["run_id"] for r in rows)
    assert con.execute("SELECT count(*) FROM analysis_runs").fetchone()[0] == 1
    # scratch tables are gone; a second run replaces the findings
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'pt_')").fetchone()[0]
    again = analyze(con)
    assert again["run_id"] == summary["run_id"] + 1 and again["findings"] == summary["findings"]


def test_only_runs_one_detector():
    led, _truth = scam_world()
    con = led.write(duckdb.connect())
    summary = analyze(con, only=["fake_platform"])
    assert set(summary["by_role"]) <= {"scam_collection", "victim", "scam_operator"}


def test_cli_analyze_and_findings_csv(tmp_path):
    led, truth = scam_world()
    db = tmp_path / "w.duckdb"
    led.write(connect(db)).close()
    pigtrace("analyze", "--db", str(db), check=True)
    out = pigtrace("findings", "--db", str(db), "--format", "csv", "--role", "cash_out", check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["chain", "address", "role", "typology", "score", "first_seen", "last_seen", "evidence"]
    assert {r["address"] for r in rows} == {led.addr(m) for m in truth["mules"]}
    assert all(r["evidence"].startswith("0x") for r in rows)
    listing = pigtrace("detectors", "--format", "json", check=True).stdout
    ids = {d["id"] for d in json.loads(listing)}
    assert {"fake_platform", "laundering", "gas_funder", "mule_deposit", "otc_cash_out"} <= ids


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    simulate = pytest.importorskip("pigtrace.simulate.world").simulate

    out = tmp_path_factory.mktemp("sim")
    # the simulator's world as it was before knobs, every hot wallet labelled: what the detectors were
    # written against (the knob-varied worlds are measured by bench/stress.py, not asserted here)
    simulate(out / "world", seed=5, scale="small", vary={"style": "fixed", "labelled_hot_wallets": "1.0"})
    db = out / "w.duckdb"
    pigtrace("ingest", "etl", str(out / "world"), "--db", str(db), check=True)
    pigtrace("labels", "import", str(out / "world" / "tagpack.yaml"), "--db", str(db), check=True)
    con = connect(db)
    analyze(con)
    return con, json.loads((out / "world" / "truth.json").read_text())


def test_simulated_world_flow_roles(simulated):
    """A world that keeps every tell the detectors look for (style=fixed, every hot wallet labelled): the
    scam's wallets are found. Precision is not asserted here: with benign amounts as round as real ones,
    one popular retail wallet taken for a platform drags its payees in as OTC desks (bench/stress.py
    measures it; the detection issue is to fix it)."""
    from pigtrace.simulate.evaluate import evaluate

    con, truth = simulated
    scores = {r["role"]: r for r in evaluate(con, truth)["roles"]}
    for role in ("scam_collection", "scam_operator", "laundering", "cash_out"):
        assert scores[role]["recall"] >= 0.9, scores[role]
    # victims who paid from an exchange account show on chain only as the exchange's hot wallet
    assert scores["victim"]["recall"] >= 0.7, scores["victim"]
    assert scores["laundering"]["precision"] >= 0.9, scores["laundering"]


def test_only_a_flow_detector_runs_what_it_reads():
    """On a new warehouse nothing is stored: the detectors mule_deposit reads run and are stored too
    (test_analyze_stages covers reuse)."""
    led, truth = scam_world()
    con = led.write(duckdb.connect())
    summary = analyze(con, only=["mule_deposit"])
    assert summary["by_role"]["cash_out"] == len(truth["mules"])
    assert "otc_cash_out" not in summary["ran"] and "fake_platform" in summary["ran"]
