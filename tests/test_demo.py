"""`pigtrace demo` (the README's main job) runs end to end, replaces only what an earlier demo made, and
never removes a warehouse or folder it did not make."""

from __future__ import annotations

from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace


def test_demo_runs_twice_and_leaves_other_peoples_files_alone(tmp_path):
    out, db = tmp_path / "demo-world", tmp_path / "demo.duckdb"
    args = ("demo", "--out", str(out), "--db", str(db), "--scale", "3000", "--seed", "2")
    first = pigtrace(*args, check=True)
    assert "findings" in first.stdout.lower() and (out / "truth.json").exists()
    pigtrace(*args, check=True)  # its own output from the first run is replaced

    mine = tmp_path / "mine.duckdb"
    connect(mine).close()
    refused = pigtrace("demo", "--out", str(out), "--db", str(mine), "--scale", "3000")
    assert refused.returncode == 1 and str(mine) in refused.stderr and mine.exists()
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    refused = pigtrace("demo", "--out", str(folder), "--db", str(db), "--scale", "3000")
    assert refused.returncode == 1 and str(folder) in refused.stderr and (folder / "keep.txt").read_text() == "mine"
