"""Issue 13: every reading command works on a warehouse that cannot be written (another process holds it,
or its file and folder are read-only), or fails with one clear line, never a traceback; `screen` and
`labels list` read the shipped label packs straight from the package then."""

from __future__ import annotations

import shutil
import stat

import duckdb
import pytest

from tests.cli_run import pigtrace
from tests.conftest import FIXTURES

SANCTIONED = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, analysed_template):
    """A warehouse built by ingest + analyze only (the shipped labels loaded by analyze; the session's
    analysed world, only copied here), and one built by ingest alone (no shipped labels in it)."""
    root = tmp_path_factory.mktemp("ro")
    world, analysed = analysed_template
    bare = root / "bare.duckdb"
    pigtrace("ingest", "etl", str(FIXTURES / "etl_mainnet_483920_csv"), "--db", str(bare), check=True)
    return world, analysed, bare


def _read_only_copy(src, folder):
    """A copy in a read-only folder, read-only itself, and held open read-only by this process (so even
    root, who ignores file modes, cannot open it for writing)."""
    folder.mkdir()
    db = folder / src.name
    shutil.copy(src, db)
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    return db, duckdb.connect(str(db), read_only=True)


def _restore(folder):
    folder.chmod(stat.S_IRWXU)


def _fine(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode not in (0, 3):
        lines = [x for x in proc.stderr.splitlines() if x.strip()]
        assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("error:"), proc.stderr


def test_every_read_command_works_read_only(tmp_path, warehouse):
    world, analysed, _ = warehouse
    before = analysed.read_bytes()  # (not read while held: closing any descriptor drops a POSIX lock)
    db, holder = _read_only_copy(analysed, tmp_path / "ro")
    try:
        victim = pigtrace("findings", "--db", str(db), "--role", "victim", "--limit", "1", "-f", "csv",
                          check=True).stdout.splitlines()[1].split(",")[1]
        commands = [
            ("status",), ("findings", "--limit", "5"), ("screen", SANCTIONED, victim), ("labels", "list"),
            ("case", victim), ("evaluate", "--truth", str(world / "truth.json")), ("detectors",),
            ("export", "parquet", str(tmp_path / "out")), ("labels", "export", str(tmp_path / "packs"), "--origin", "all"),
        ]
        for args in commands:
            exports = args[0] == "export" or args[:2] == ("labels", "export")  # no --format: run once
            for extra in [[]] if exports else [["-f", "table"], ["-f", "json"]]:
                proc = pigtrace(*args, *extra, *(["--db", str(db)] if args[0] != "detectors" else []))
                _fine(proc)
                assert proc.returncode in (0, 3), (args, proc.stderr)
        assert pigtrace("check-url", "metamask.io").returncode == 0
        screened = pigtrace("screen", SANCTIONED, "--db", str(db), "-f", "csv")
        assert screened.returncode == 3 and ",severe," in screened.stdout
        assert (tmp_path / "out" / "transfers.parquet").exists()
        proc = pigtrace("analyze", "--db", str(db))  # writing: one line naming the warehouse
        _fine(proc)
        assert proc.returncode == 1 and db.name in proc.stderr
    finally:
        holder.close()
        _restore(tmp_path / "ro")
    assert db.read_bytes() == before


def test_screen_and_labels_list_read_the_shipped_packs_when_the_warehouse_lacks_them(tmp_path, warehouse):
    _, _, bare = warehouse
    db, holder = _read_only_copy(bare, tmp_path / "ro")
    try:
        assert holder.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
        proc = pigtrace("screen", SANCTIONED, "--db", str(db), "-f", "csv")
        assert proc.returncode == 3, proc.stderr
        assert "severe,Lazarus Group (ofac-sdn)" in proc.stdout
        listed = pigtrace("labels", "list", "--db", str(db), "-f", "csv")
        assert listed.returncode == 0, listed.stderr
        assert {"ofac-sdn", "etherscan-attribution"} <= {x.split(",")[0] for x in listed.stdout.splitlines()[1:]}
        assert holder.execute("SELECT count(*) FROM labels").fetchone()[0] == 0  # nothing was written
    finally:
        holder.close()
        _restore(tmp_path / "ro")
