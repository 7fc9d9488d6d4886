"""An `ingest etl` killed midway (SIGKILL, and separately SIGINT) leaves nothing partial: the warehouse as it
was (or, for a signal that lands after the commit, complete); the same command then completes, and a second
run adds nothing. A real process, real signals, a real simulated world."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pigtrace.store.warehouse import atomic, connect
from tests.cli_run import ctrl_c_as_in_a_shell, pigtrace
from tests.conftest import FIXTURES

TABLES = ("blocks", "transactions", "transfers", "approvals", "swaps", "tokens", "ingest_log")


@pytest.fixture(scope="module")
def world(big_world) -> Path:
    return big_world  # the run's simulated export of ~70,000 transfers (only read)


def _counts(db: str) -> dict[str, int]:
    con = connect(db)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _start_and_interrupt(folder: Path, db: str, sig: int) -> int:
    """Start the ingest; once it writes to the warehouse file (its merge has begun), send ``sig``."""
    size = os.path.getsize(db)
    proc = subprocess.Popen([sys.executable, "-m", "pigtrace", "ingest", "etl", str(folder), "--db", db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ctrl_c_as_in_a_shell)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if os.path.getsize(db) > size:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    return proc.returncode


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_ingest_leaves_nothing_partial_then_completes(tmp_path, world, sig):
    db = str(tmp_path / "w.duckdb")
    pigtrace("ingest", "etl", str(FIXTURES / "etl_mainnet_483920_csv"), "--db", db, check=True)
    before = _counts(db)
    rc = _start_and_interrupt(world, db, sig)
    assert rc != 0 if sig == signal.SIGKILL else rc in (0, 130)  # 0: Ctrl-C came after the commit
    mid = _counts(db)  # the warehouse opens
    first = pigtrace("ingest", "etl", str(world), "--db", db, "--format", "json", check=True)
    added = {r["table"]: r["rows_added"] for r in json.loads(first.stdout)}
    after = _counts(db)
    data = lambda c: {t: n for t, n in c.items() if t != "ingest_log"}  # noqa: E731
    # all or nothing: the interrupted ingest left the warehouse as it was, or (a signal that landed after
    # the commit) complete, never in between; either way the same command completes it
    assert data(mid) in (data(before), data(after))
    if sig == signal.SIGINT:
        assert data(mid) == (data(after) if rc == 0 else data(before))
    assert after["transfers"] > before["transfers"] + 50_000
    assert after["transfers"] == mid["transfers"] + added["transfers"]
    second = pigtrace("ingest", "etl", str(world), "--db", db, "--format", "json", check=True)
    assert {r["rows_added"] for r in json.loads(second.stdout)} == {0}
    assert data(_counts(db)) == data(after)


def test_ctrl_c_after_the_commit_reports_the_finished_ingest(tmp_path, monkeypatch):
    """A real SIGINT to this process right after the ingest's COMMIT: the data is in, so the command says
    so and exits 0 with the rows added, instead of 'interrupted ... rolled back' and exit 130."""
    from contextlib import contextmanager

    from typer.testing import CliRunner

    import pigtrace.ingest.etl as etl
    from pigtrace.cli import app

    committing = etl.atomic

    @contextmanager
    def then_ctrl_c(con):
        with committing(con):
            yield con
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(etl, "atomic", then_ctrl_c)
    db = str(tmp_path / "w.duckdb")
    result = CliRunner().invoke(app, ["ingest", "etl", str(FIXTURES / "etl_mainnet_483920_csv"), "--db", db,
                                      "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "committed" in result.stderr and "interrupted" not in result.stderr, result.stderr
    added = {r["table"]: r["rows_added"] for r in json.loads(result.stdout)}
    counts = _counts(db)
    assert added["transfers"] == counts["transfers"] > 0 and counts["ingest_log"] == 1


def test_a_write_that_fails_reports_its_own_error_when_the_rollback_fails_too(tmp_path):
    """DuckDB can end a transaction itself (a disk that filled up, a database it invalidated); the rollback then
    fails, and its error hid the first one: a 10M-transfer ingest that failed while other work ran beside it said
    only "Current transaction is aborted", and why it failed was lost (alone it ran through)."""
    con = connect(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="what went wrong first"):
        with atomic(con):
            con.execute("CREATE TABLE t (x INT)")
            con.execute("ROLLBACK")  # the transaction is gone before the block ends
            raise ValueError("what went wrong first")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == 0
