"""Issue 13: tables read well at 80 columns: one line per row, shortened addresses, money with thousands
separators and 2 decimals, rounded scores; the full values stay in CSV and JSON."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from pigtrace.detect.registry import STAGES
from tests.cli_run import copy_warehouse, pigtrace
from tests.conftest import FIXTURES


def _at80(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80", "LINES": "40"}
    return subprocess.run([sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture(scope="module")
def world(tmp_path_factory, analysed_template):
    world, db = analysed_template  # the session's analysed world; this module reads its own copy
    return world, copy_warehouse(db, tmp_path_factory.mktemp("out"))


def _fits(out: str, max_lines: int) -> list[str]:
    lines = out.splitlines()
    assert all(len(x) <= 80 for x in lines), max(lines, key=len)
    assert len(lines) <= max_lines, out
    return lines


def test_tables_fit_80_columns(world):
    w, db = world
    full = pigtrace("findings", "--db", str(db), "--limit", "5", "-f", "csv", check=True).stdout.splitlines()[1:]
    lines = _fits(_at80("findings", "--db", str(db), "--limit", "5").stdout, 8)
    for row in full:
        address = row.split(",")[1]
        assert f"{address[:6]}…{address[-4:]}" in "\n".join(lines)
    assert not re.search(r"\d\.\d{4,}", "\n".join(lines))  # no 0.9500000000000001
    _fits(_at80("detectors").stdout, len(STAGES) + 17)  # one row per stage, then what a score means per table and role
    evaluate = _fits(_at80("evaluate", "--truth", str(w / "truth.json"), "--db", str(db)).stdout, 26)  # 3 tables
    assert re.search(r"\d{1,3}(,\d{3})+\.\d\d\b", "\n".join(evaluate))  # stolen USD: 1,234,567.89
    assert "e+0" not in "\n".join(evaluate)
    _fits(_at80("status", "--db", str(db)).stdout, 25)
    _fits(_at80("labels", "list", "--db", str(db)).stdout, 12)
    screen = _at80("screen", "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
                   "0x28c6c06298d514db089934071355e5743bf21d60", "--db", str(db))
    assert "0x098b…2f96" in _fits(screen.stdout, 8)[3]
    victim = full[0].split(",")[1]
    victim = pigtrace("findings", "--db", str(db), "--role", "victim", "--limit", "1", "-f", "csv",
                      check=True).stdout.splitlines()[1].split(",")[1]
    # six sections of at most 12 rows (TABLE_ROWS) with their titles and headers, the summary and one note per ring
    _fits(_at80("case", victim, "--db", str(db)).stdout, 100)


def test_csv_and_json_keep_full_values(world):
    _, db = world
    csv_rows = pigtrace("findings", "--db", str(db), "--limit", "3", "-f", "csv", check=True).stdout.splitlines()
    assert csv_rows[0] == "chain,address,role,typology,score,first_seen,last_seen,evidence"
    assert re.fullmatch(r"0x[0-9a-f]{40}", csv_rows[1].split(",")[1])


def test_csv_numbers_are_plain_decimals(capsys):
    from pigtrace.cli.common import Format, emit

    rows = [{"usd": 1393980.123456789, "traced_usd": 1.5e16, "score": 0.9500000000000001, "recall": 0.123456,
             "seconds": 0.0000123}]
    emit(rows, Format.csv)
    header, line = capsys.readouterr().out.splitlines()
    assert line == "1393980.123456789,15000000000000000,0.95,0.1235,0.000012", line


def test_csv_money_keeps_full_precision(world):
    import csv
    import io
    import json

    _, db = world
    victim = pigtrace("findings", "--db", str(db), "--role", "victim", "--limit", "1", "-f", "csv",
                      check=True).stdout.splitlines()[1].split(",")[1]
    screened = [pigtrace("screen", victim, "--db", str(db), "-f", f).stdout for f in ("csv", "json")]
    csv_in = next(csv.DictReader(io.StringIO(screened[0])))["exposure_in_usd"]
    incoming = json.loads(screened[1])[0]["exposure"]["incoming"]
    assert "e" not in csv_in and float(csv_in) == incoming["direct_usd"] + incoming["indirect_usd"] > 0


ETL_2015 = FIXTURES / "etl_mainnet_483920_csv"


def test_ingest_etl_reports_its_steps_in_order(warehouse):
    from pigtrace.ingest.etl import ingest_etl

    steps: list[str] = []
    ingest_etl(warehouse, ETL_2015, progress=steps.append)
    assert steps == ["reading blocks.csv", "reading transactions.csv", "reading receipts.csv", "reading logs.csv",
                     "decoding logs", "merging blocks", "merging transactions", "merging transfers",
                     "merging approvals", "merging swaps", "merging tokens", "committing"]


def test_ingest_parquet_reports_its_steps_in_order(warehouse, tmp_path):
    from pigtrace.ingest.etl import ingest_etl
    from pigtrace.ingest.parquet import export_parquet, ingest_parquet
    from pigtrace.store.schema import CANONICAL
    from pigtrace.store.warehouse import connect

    ingest_etl(warehouse, ETL_2015)
    export_parquet(warehouse, tmp_path / "tables")
    steps: list[str] = []
    con = connect(tmp_path / "other.duckdb")
    ingest_parquet(con, tmp_path / "tables", progress=steps.append)
    con.close()
    assert steps == [f"merging {t} (1 file)" for t in CANONICAL] + ["committing"]


def test_analyze_reports_each_detector_in_order():
    from pigtrace.detect.base import Detector
    from pigtrace.detect.plan import plan
    from pigtrace.detect.registry import STAGES
    from pigtrace.detect.run import analyze
    from pigtrace.store.warehouse import connect

    steps: list[str] = []
    analyze(connect(":memory:"), progress=steps.append)
    assert steps == (["loading label packs", "services and exchange accounts", "reading the ledger"]
                     + [f"{'detector' if issubclass(s, Detector) else 'stage'} {s.id}" for s in plan(STAGES)]
                     + ["combining findings", "writing findings"])


def test_simulate_reports_its_phases_in_order(tmp_path):
    from pigtrace.simulate.world import simulate

    steps: list[str] = []
    simulate(tmp_path / "w", seed=1, users=100, days=20, scale=2000, progress=steps.append)
    assert steps == ["services and users", "the ordinary economy", "retail traffic", "scam rings",
                     "gas funders and exchange sweeps", "ordering the ledger in time",
                     "writing ethereum-etl files", "writing truth.json and tagpack.yaml"]


def test_no_progress_when_piped(tmp_path):
    from pigtrace.ingest.parquet import export_parquet
    from pigtrace.store.warehouse import connect

    db, tables = str(tmp_path / "w.duckdb"), tmp_path / "tables"
    for args in (("ingest", "etl", str(ETL_2015), "--db", db), ("analyze", "--db", db)):
        proc = pigtrace(*args, check=True)
        assert proc.stderr == "", (args, proc.stderr)  # stderr is a pipe: no spinner, no steps
    con = connect(db)
    export_parquet(con, tables)
    con.close()
    proc = pigtrace("ingest", "parquet", str(tables), "--db", str(tmp_path / "w2.duckdb"), check=True)
    assert proc.stderr == "", proc.stderr


def test_progress_on_a_terminal_only(tmp_path):
    import pty

    piped = pigtrace("simulate", "--out", str(tmp_path / "a"), "--seed", "1", check=True)
    assert piped.stderr == ""  # nothing extra when stderr is not a terminal
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "pigtrace", "simulate", "--out", str(tmp_path / "b"), "--seed", "1"],
                          stdout=subprocess.PIPE, stderr=slave, timeout=300)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0 and b"simulating" in seen and b"writing ethereum-etl files" in seen
