"""`analyze --profile`: seconds per step of an analysis (detect.timing), and the findings' evidence encoded
once per item for both the detector rows and the combined findings (detect.stored.EvidenceJson)."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from pigtrace.detect.stored import EvidenceJson
from pigtrace.detect.timing import StepTimer
from tests.cli_run import pigtrace
from tests.test_detect_platform_worlds import scam_world


def test_step_timer_times_each_step_and_passes_it_on():
    heard: list[str] = []
    timer = StepTimer(heard.append)
    timer("reading the ledger")
    sum(i * i for i in range(200_000))  # some CPU for the first step
    timer("detector poisoning")
    rows = timer.stop()
    assert heard == ["reading the ledger", "detector poisoning"]
    assert [r["step"] for r in rows][0] == "reading the ledger"  # largest CPU first
    assert {r["step"] for r in rows} == set(heard)
    assert all(r["seconds"] >= 0 and r["cpu"] >= 0 for r in rows)
    assert timer.stop() == rows  # stopping again adds nothing


def test_evidence_text_is_json_dumps_text_with_shared_items_encoded_once():
    a = {"tx_hash": "0xaa", "time": datetime(2024, 5, 1, 12, 30), "from": "0x1", "to": "0x2", "amount": "1.5",
         "usd": None, "note": "paid by a known victim — late"}
    b = {"tx_hash": "0xbb", "time": datetime(2024, 5, 2), "amount": "unlimited", "decimals": 6, "usd": 12.25}
    encode = EvidenceJson()
    for items in ([], [a], [a, b], [b, a, b]):
        assert encode(items) == json.dumps(items, default=str)
    a["note"] = "changed"  # the same item object: its first encoding stands for the whole analysis
    assert json.loads(encode([a]))[0]["note"] == "paid by a known victim — late"


def test_analyze_profile_prints_each_step_with_its_seconds(tmp_path):
    db = tmp_path / "w.duckdb"
    led, _truth = scam_world()
    con = led.write(duckdb.connect(str(db)))
    con.close()
    plain = pigtrace("analyze", "--db", str(db), check=True)
    assert plain.stderr == ""
    proc = pigtrace("analyze", "--profile", "--db", str(db), check=True)
    lines = proc.stderr.strip().splitlines()
    steps = [line.split("CPU s", 1)[1].strip() for line in lines]
    assert {"reading the ledger", "stage collection_scores", "detector fake_platform",
            "writing findings"} <= set(steps)
    cpu = [float(line.split(" s ", 1)[1].split()[0]) for line in lines]
    assert cpu == sorted(cpu, reverse=True)
    # the same findings as without --profile
    assert proc.stdout.splitlines()[1:] == plain.stdout.splitlines()[1:]


def test_collection_tables_are_freed_after_their_last_reader_with_the_same_findings(monkeypatch):
    """The collection-score tables (a copy of the value transfers and its aggregates) are dropped once
    collection_evidence, their last reader, has run, so the later detectors run with that memory back; the
    findings are those of a run that keeps them."""
    from pigtrace.detect.run import analyze
    from pigtrace.detect.stages import CollectionScores

    led, _truth = scam_world()
    con = led.write(duckdb.connect())
    present: dict[str, bool] = {}

    def step(name: str) -> None:
        present[name] = bool(con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'pt_cf_flow'").fetchone()[0])

    analyze(con, progress=step)
    freed = con.execute("SELECT * EXCLUDE (run_id) FROM findings ORDER BY ALL").fetchall()
    steps = list(present)  # in the order the steps ran
    after = [s for s in steps[steps.index("detector collection_evidence") + 1:] if s.startswith("detector ")]
    assert present["detector collection_evidence"] and after and not any(present[s] for s in after)
    monkeypatch.setattr(CollectionScores, "freed_after_readers", False)
    analyze(con, progress=step)
    assert all(present[s] for s in after)  # kept: the run to compare with
    assert con.execute("SELECT * EXCLUDE (run_id) FROM findings ORDER BY ALL").fetchall() == freed
    assert freed
