"""Calibrated scores (detect/calibration): the isotonic fit, the shipped table, and analyze applying it."""

from __future__ import annotations

import duckdb
import numpy as np

from pigtrace.detect import calibration
from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger
from tests.test_collection_evidence import quiet_platform


def test_fit_is_non_decreasing_and_pools_equal_scores():
    rng = np.random.default_rng(7)
    scores = rng.uniform(0, 1, 2000).round(2)
    right = rng.uniform(0, 1, 2000) < scores  # a score that is its own probability
    starts, values = calibration.fit(scores, right)
    assert starts == sorted(set(starts))
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert len(starts) <= 24
    k = int(np.searchsorted(starts, 0.85, side="right")) - 1
    assert abs(values[k] - 0.85) < 0.12  # a calibrated score stays near the truth it came from


def test_shipped_table_is_monotone_per_role_and_checked():
    table = calibration.table()
    assert set(table["roles"]) >= {"victim", "scam_collection", "laundering", "cash_out"}
    for steps in table["roles"].values():
        assert all(a <= b for a, b in zip(steps["values"], steps["values"][1:]))
    top = [row["0.9"]["precision"] for row in table["info"]["check"].values() if row["0.9"]["findings"] >= 20]
    assert top and min(top) >= 0.85  # a 0.9 held up on the check worlds


def test_tron_has_its_own_checked_table_and_other_chains_fall_back_to_the_default():
    table = calibration.table()
    tron = table["chains"]["tron"]
    assert set(tron["roles"]) >= {"victim", "scam_collection", "laundering", "cash_out"}
    top = [row["0.9"]["precision"] for row in tron["info"]["check"].values() if row["0.9"]["findings"] >= 20]
    assert top and min(top) >= 0.85
    for role in ("scam_collection", "victim"):
        assert calibration.steps_for(role, "tron") is tron["roles"][role]
        assert calibration.steps_for(role, "ethereum") is table["roles"][role]
        assert calibration.steps_for(role, "bsc") is table["roles"][role]


def test_analyze_stores_calibrated_scores_and_keeps_the_raw_one_in_the_reasons(monkeypatch):
    led = Ledger()
    quiet_platform(led)
    con = led.write(duckdb.connect())
    monkeypatch.setenv("PIGTRACE_RAW_SCORES", "1")
    analyze(con)
    raw = dict(((a, r), s) for a, r, s in con.execute("SELECT address, role, score FROM findings").fetchall())
    monkeypatch.delenv("PIGTRACE_RAW_SCORES")
    analyze(con)
    for address, role, score, reasons in con.execute("SELECT address, role, score, reasons::VARCHAR FROM findings").fetchall():
        assert score == calibration.calibrate(role, raw[(address, role)], "ethereum")
        if score != raw[(address, role)]:
            assert "calibrated from the detectors' combined" in reasons
