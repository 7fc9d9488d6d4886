"""Issue 13: tables read well at 80 columns: one line per row, shortened addresses, money with thousands
separators and 2 decimals, rounded scores; the full values stay in CSV and JSON."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.cli_run import copy_warehouse, pigtrace


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
    _fits(_at80("detectors").stdout, 16)
    evaluate = _fits(_at80("evaluate", "--truth", str(w / "truth.json"), "--db", str(db)).stdout, 20)
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
    _fits(_at80("case", victim, "--db", str(db)).stdout, 80)


def test_csv_and_json_keep_full_values(world):
    _, db = world
    csv_rows = pigtrace("findings", "--db", str(db), "--limit", "3", "-f", "csv", check=True).stdout.splitlines()
    assert csv_rows[0] == "chain,address,role,typology,score,first_seen,last_seen,evidence"
    assert re.fullmatch(r"0x[0-9a-f]{40}", csv_rows[1].split(",")[1])


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
    assert proc.returncode == 0 and b"simulating" in seen
