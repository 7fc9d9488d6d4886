"""Issue 13: one clear line on stderr instead of a traceback (output paths in the way, Ctrl-C, a damaged
warehouse), no empty warehouse left by a failed first ingest, and the small truths (--version, screen's
exit codes, status's ingest history, findings before any analysis). The real CLI, real files, real DuckDB."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_run import copy_warehouse, ctrl_c_as_in_a_shell, pigtrace, wait_until_open
from tests.conftest import FIXTURES

SANCTIONED = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"  # OFAC SDN (Lazarus Group)
BINANCE = "0x28c6c06298d514db089934071355e5743bf21d60"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, analysed_template) -> tuple[Path, Path]:
    """(world folder, warehouse) of a small simulated world, ingested and analysed (this module's copy of
    the session's)."""
    world, db = analysed_template
    return world, copy_warehouse(db, tmp_path_factory.mktemp("hardening"))


def _one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_output_paths_in_the_way_give_one_line(tmp_path, analysed):
    _, db = analysed
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    cases = [
        (("simulate", "--out", str(blocker)), str(blocker)),
        (("simulate", "--out", str(blocker / "sub")), str(blocker / "sub")),
        (("export", "parquet", str(blocker), "--db", str(db)), str(blocker)),
        (("export", "parquet", str(blocker / "x"), "--db", str(db)), str(blocker / "x")),
        (("labels", "export", str(blocker), "--origin", "shipped", "--db", str(db)), str(blocker)),
        (("labels", "export", str(blocker / "p.yaml"), "--pack", "ofac-sdn", "--db", str(db)), str(blocker / "p.yaml")),
    ]
    (tmp_path / "parquet-out" / "blocks.parquet").mkdir(parents=True)  # a folder where a file must go
    cases.append((("export", "parquet", str(tmp_path / "parquet-out"), "--db", str(db)), str(tmp_path / "parquet-out")))
    for args, path in cases:
        proc = pigtrace(*args)
        assert proc.returncode == 1, (args, proc.stderr)
        _one_line_error(proc, path)


def test_existing_output_is_kept_unless_force(tmp_path, analysed):
    from typer.testing import CliRunner

    from pigtrace.cli import app

    _, db = analysed

    def run(*args: str):
        return CliRunner().invoke(app, [*args, "--db", str(db)] if args[0] != "simulate" else list(args))

    tables = tmp_path / "tables"
    assert run("export", "parquet", str(tables)).exit_code == 0
    written = (tables / "transfers.parquet").stat().st_mtime_ns
    pack = tmp_path / "pack.yaml"
    pack.write_text("mine\n")
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "notes.txt").write_text("mine\n")
    world = tmp_path / "world"
    world.mkdir()
    (world / "notes.txt").write_text("mine\n")
    refused = [(("export", "parquet", str(tables)), tables),
               (("labels", "export", str(pack), "--pack", "ofac-sdn"), pack),
               (("labels", "export", str(packs), "--pack", "ofac-sdn"), packs),
               (("simulate", "--out", str(world)), world)]
    for args, path in refused:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "--force" in lines[0], (args, result.stderr)
    assert (tables / "transfers.parquet").stat().st_mtime_ns == written
    assert pack.read_text() == "mine\n" and sorted(p.name for p in packs.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in world.iterdir()) == ["notes.txt"]
    assert run("export", "parquet", str(tables), "--force").exit_code == 0
    assert (tables / "transfers.parquet").stat().st_mtime_ns != written
    assert run("labels", "export", str(pack), "--pack", "ofac-sdn", "--force").exit_code == 0
    assert pack.read_text().startswith("title:")
    empty = tmp_path / "empty"
    empty.mkdir()  # an empty folder is no one's work: written without --force
    assert run("labels", "export", str(empty), "--pack", "ofac-sdn").exit_code == 0


def _interrupt(args: list[str], db: Path, wait_s: float) -> subprocess.CompletedProcess:
    """Ctrl-C ``wait_s`` after the command opened the warehouse (not counting Python's start-up, which on a
    busy machine can outlast a fixed delay, so the signal would land in the imports)."""
    proc = subprocess.Popen([sys.executable, "-m", "pigtrace", *args, "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_as_in_a_shell)
    wait_until_open(proc, db)
    time.sleep(wait_s)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_during_analyze_exits_130_and_keeps_the_findings(tmp_path, analysed):
    _, db = analysed
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    before = pigtrace("findings", "--db", str(copy), "-f", "csv", check=True).stdout
    proc = _interrupt(["analyze"], copy, 1.0)
    assert proc.returncode == 130, proc.stderr
    _one_line_error(proc, "interrupted")
    assert pigtrace("findings", "--db", str(copy), "-f", "csv", check=True).stdout == before
    runs = pigtrace("status", "--db", str(copy), "-f", "json", check=True).stdout
    assert '"analyses"' in runs and runs.count('"behaviour_only"') == 1  # no second run recorded


def test_ctrl_c_during_ingest_exits_130_and_leaves_no_warehouse(tmp_path, big_world):
    db = tmp_path / "new.duckdb"
    proc = _interrupt(["ingest", "etl", str(big_world)], db, 0.5)
    assert proc.returncode == 130, proc.stderr
    _one_line_error(proc, "interrupted")
    assert not db.exists()  # the first ingest into a new file was interrupted: no empty warehouse left


def test_failed_first_ingest_leaves_no_file(tmp_path):
    db = tmp_path / "w.duckdb"
    proc = pigtrace("ingest", "rpc", "http://127.0.0.1:9", "--from-block", "1", "--to-block", "2", "--db", str(db))
    assert proc.returncode == 1
    _one_line_error(proc, "127.0.0.1:9")
    assert not db.exists() and not Path(f"{db}.wal").exists()
    proc = pigtrace("ingest", "etl", str(tmp_path / "missing"), "--db", str(db))
    assert proc.returncode == 1 and not db.exists()
    # an existing warehouse stays, even when an ingest into it fails
    pigtrace("ingest", "etl", str(FIXTURES / "etl_mainnet_483920_csv"), "--db", str(db), check=True)
    proc = pigtrace("ingest", "rpc", "http://127.0.0.1:9", "--from-block", "1", "--to-block", "2", "--db", str(db))
    assert proc.returncode == 1 and db.exists()


def test_damaged_warehouse_gives_one_line_naming_the_file(tmp_path, analysed):
    _, db = analysed
    size = db.stat().st_size
    victim = pigtrace("findings", "--db", str(db), "--role", "victim", "--limit", "1", "-f", "csv",
                      check=True).stdout.splitlines()[1].split(",")[1]
    noticed = 0
    for frac in (0.0001, 0.01, 0.3, 0.45, 0.6, 0.95):
        bad = tmp_path / f"bad-{frac}.duckdb"
        shutil.copy(db, bad)
        with open(bad, "r+b") as f:  # really corrupt a copy: overwrite 256 KiB in the middle of the file
            f.seek(int(size * frac))
            f.write(b"\xff" * 262144)
        for args in (("status",), ("findings", "--limit", "3"), ("case", victim), ("screen", SANCTIONED)):
            proc = pigtrace(*args, "--db", str(bad))
            assert "Traceback" not in proc.stderr, (frac, args, proc.stderr)
            if proc.returncode not in (0, 3):
                assert proc.returncode == 1
                _one_line_error(proc, bad.name)
                noticed += 1
    truncated = tmp_path / "truncated.duckdb"
    shutil.copy(db, truncated)
    with open(truncated, "r+b") as f:
        f.truncate(size // 2)
    for args in (("status",), ("findings",)):
        proc = pigtrace(*args, "--db", str(truncated))
        assert proc.returncode == 1
        _one_line_error(proc, truncated.name)
    assert noticed >= 4


def test_analyze_refuses_a_missing_warehouse(tmp_path):
    db = tmp_path / "typo.duckdb"
    proc = pigtrace("analyze", "--db", str(db))
    assert proc.returncode == 1
    _one_line_error(proc, str(db), "no warehouse here yet")
    assert not db.exists() and not Path(f"{db}.wal").exists()


def _data_blocks(db: Path, table: str) -> tuple[list[int], int]:
    """The blocks holding ``table``'s data (ids from DuckDB's storage info) and the block size."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        blocks: set[int] = set()
        for block, more in con.execute("SELECT block_id, additional_block_ids FROM pragma_storage_info(?) "
                                       "WHERE block_id >= 0", [table]).fetchall():
            blocks.update([block, *(more or [])])
        return sorted(blocks), size
    finally:
        con.close()


def _flip_byte(path: Path, where: int) -> None:
    """Invert one byte (twice puts it back). One byte, because DuckDB's block checksum XORs a hash per
    8-byte word: the same change to an even number of equal words (zero-filled space) cancels out."""
    with open(path, "r+b") as f:
        f.seek(where)
        byte = f.read(1)[0]
        f.seek(where)
        f.write(bytes([byte ^ 0xFF]))


def test_status_verify_finds_damage_that_status_alone_misses(tmp_path, analysed):
    import duckdb

    from pigtrace.errors import PigtraceError
    from pigtrace.ingest.summary import read_every_table, summarize

    _, db = analysed
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    blocks, size = _data_blocks(copy, "ledger_transfers")
    middle = lambda block: 3 * 4096 + block * size + size // 2  # noqa: E731 (after DuckDB's 3 headers of 4 KiB)
    missed_by_status = None
    for block in blocks:  # damage one block at a time, in place, and put it back
        _flip_byte(copy, middle(block))
        con = duckdb.connect(str(copy), read_only=True)
        try:
            with pytest.raises(PigtraceError, match=f"{copy}: the warehouse file is damaged: table "):
                read_every_table(con)
            try:
                summarize(con)
                missed_by_status = missed_by_status or block
            except duckdb.Error:
                pass
        finally:
            con.close()
        _flip_byte(copy, middle(block))
    assert missed_by_status is not None
    _flip_byte(copy, middle(missed_by_status))
    assert pigtrace("status", "--db", str(copy)).returncode == 0  # reads only what it shows
    proc = pigtrace("status", "--verify", "--db", str(copy))
    assert proc.returncode == 1
    _one_line_error(proc, str(copy), "damaged: table ")
    assert "--verify" in pigtrace("status", "--help").stdout


def test_version():
    proc = pigtrace("--version")
    assert proc.returncode == 0 and proc.stdout.strip().startswith("pigtrace ")
    from pigtrace import __version__

    assert proc.stdout.split()[1] == __version__


def test_screen_exit_codes(tmp_path):
    db = str(tmp_path / "none.duckdb")
    assert pigtrace("screen", BINANCE, "--db", db).returncode == 0
    assert pigtrace("screen", BINANCE, "not-an-address", "--db", db).returncode == 1
    assert pigtrace("screen", BINANCE, SANCTIONED, "--db", db).returncode == 3
    assert pigtrace("screen", SANCTIONED, "not-an-address", "--db", db, "-f", "json").returncode == 3
    assert pigtrace("screen", "--hops", "9", BINANCE, "--db", db).returncode == 2
    assert "Exit codes" in pigtrace("screen", "--help").stdout


def test_check_url_exit_codes_match_screen():
    from typer.testing import CliRunner

    from pigtrace.cli import app

    def code(*args: str) -> int:
        return CliRunner().invoke(app, ["check-url", *args]).exit_code

    assert code("metamask.io", "example.com") == 0  # allowed and unknown
    assert code("metamask.io", "http://") == 1  # a row is an error, nothing flagged
    assert code("metamask.io", "binance.vu") == 3  # blocked
    assert code("coinbase-invest-pro.com") == 3  # lookalike
    assert code("binance.vu", "http://", "-f", "json") == 3  # flagged wins over errors
    assert code("--no-such-option", "metamask.io") == 2
    assert "Exit codes" in CliRunner().invoke(app, ["check-url", "--help"]).stdout


def test_status_shows_ingests_and_says_when_empty(tmp_path, analysed):
    world, db = analysed
    out = pigtrace("status", "--verify", "--db", str(db), check=True)
    assert "ingests" in out.stdout and "etl" in out.stdout and "latest analysis: run 1" in out.stdout
    assert "verified: every value of" in out.stdout and "no damaged block" in out.stdout
    verified = pigtrace("status", "--verify", "--db", str(db), "-f", "json", check=True)
    assert verified.stderr == ""  # piped: no progress line
    data = __import__("json").loads(verified.stdout)
    assert data["ingests"][0]["source"] == "etl" and data["ingests"][0]["rows_added"]["transfers"] > 0
    assert {"chain", "table", "rows", "from", "to"} <= set(data["tables"][0])
    assert data["verified"]["ledger_transfers"] == sum(t["rows"] for t in data["tables"] if t["table"] == "transfers")
    empty = tmp_path / "empty.duckdb"
    from pigtrace.store.warehouse import connect

    connect(empty).close()
    proc = pigtrace("status", "--db", str(empty))
    assert proc.returncode == 0 and proc.stdout == ""
    assert "empty" in proc.stderr and "pigtrace ingest" in proc.stderr


def test_findings_before_any_analysis_says_so(tmp_path):
    db = tmp_path / "w.duckdb"
    pigtrace("ingest", "etl", str(FIXTURES / "etl_mainnet_483920_csv"), "--db", str(db), check=True)
    for fmt, stdout in (("csv", "chain,address,role,typology,score,first_seen,last_seen,evidence\n"),
                        ("json", "[]\n"), ("table", "")):
        proc = pigtrace("findings", "--db", str(db), "-f", fmt)
        assert proc.returncode == 0 and proc.stdout == stdout, (fmt, proc.stdout)
        assert "no analysis has run yet: run `pigtrace analyze`" in proc.stderr
