"""Run the real `pigtrace` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil


def pigtrace(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"pigtrace {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def analysed_labelled_world(out: Path, seed: int, vary: dict[str, str], users: int = 300) -> tuple:
    """(truth, open warehouse connection): a simulated Ethereum world of ``users`` users over 60 days written to
    ``out`` with the knobs ``vary``, ingested, its TagPack imported through the CLI, analysed."""
    import json

    from pigtrace.detect.run import analyze
    from pigtrace.ingest.etl import ingest_etl
    from pigtrace.simulate.world import simulate
    from pigtrace.store.warehouse import connect

    simulate(out, seed=seed, users=users, days=60, scale=8000, vary=vary)
    db = out / "w.duckdb"
    con = connect(db)
    ingest_etl(con, out)
    con.close()
    pigtrace("labels", "import", str(out / "tagpack.yaml"), "--db", str(db), check=True)
    con = connect(db)
    analyze(con)
    return json.loads((out / "truth.json").read_text()), con


def analysed_world(root, seed: int = 3) -> tuple:
    """(world folder, warehouse) under ``root``: a small simulated world, ingested and analysed by the CLI."""
    world, db = root / "world", root / "w.duckdb"
    # collection_hold=hours keeps the world these tests were written for (its rings draw every other knob); the
    # report tests need a victim with paybacks whose money reached an exchange, which that world has
    pigtrace("simulate", "--out", str(world), "--seed", str(seed), "--vary", "collection_hold=hours", check=True)
    pigtrace("ingest", "etl", str(world), "--db", str(db), check=True)
    pigtrace("analyze", "--db", str(db), check=True)
    return world, db


def analysed_small_world(root, seed: int, vary: tuple[str, ...], chain: str = "ethereum") -> tuple:
    """(world folder, warehouse) under ``root``: a small simulated world (``--vary`` each of ``vary``) made,
    ingested with its TagPack and analysed by the CLI."""
    out, db = root / "world", root / "w.duckdb"
    pigtrace("simulate", "--out", str(out), "--seed", str(seed), "--scale", "small", "--chain", chain,
             *[a for v in vary for a in ("--vary", v)], check=True)
    source = ["etl", str(out)] if chain == "ethereum" else ["trongrid", str(out / "trongrid")]
    pigtrace("ingest", *source, "--db", str(db), check=True)
    pigtrace("labels", "import", str(out / "tagpack.yaml"), "--db", str(db), check=True)
    pigtrace("analyze", "--db", str(db), check=True)
    return out, db


def typology_findings_on_world(world: tuple[Path, Path], typology: str) -> tuple[list, list]:
    """On an analysed small world (``analysed_small_world``'s (folder, warehouse)): (every (address, role) the
    detector ``typology`` found, those the truth does not give that role)."""
    import json

    from pigtrace.store.warehouse import connect

    out, db = world
    truth: dict[str, set[str]] = {}
    for r in json.loads((out / "truth.json").read_text())["roles"]:
        truth.setdefault(r["address"], set()).add(r["role"])
    con = connect(db, read_only=True)
    try:
        found = con.execute("SELECT address, role FROM detector_findings WHERE typology = ?", [typology]).fetchall()
    finally:
        con.close()
    return found, [(a, role) for a, role in found if role not in truth.get(a, set())]


def ctrl_c_as_in_a_shell() -> None:
    """For Popen's preexec_fn: a child that takes SIGINT as a terminal's Ctrl-C would. A pytest-xdist worker
    ignores SIGINT and its children inherit that, so Python in them would never see the signal."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def copy_warehouse(db: Path, folder: Path) -> Path:
    """A copy of the (closed) warehouse file ``db`` in ``folder``, same name, for a test to use as its own."""
    folder.mkdir(parents=True, exist_ok=True)
    assert not Path(f"{db}.wal").exists(), f"{db} is still open"
    return Path(shutil.copy(db, folder / db.name))


def wait_until_open(proc: subprocess.Popen, path: Path, timeout: float = 120) -> None:
    """Wait until ``proc`` has ``path`` open: the command itself is running (past Python's start-up and
    imports, inside the command's own Ctrl-C handling), however slow the machine is."""
    path = os.path.realpath(path)
    watched = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if any(f.path == path for f in watched.open_files()):
                return
        except psutil.Error:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{proc.args} never opened {path} (exit {proc.poll()})")


def found_addresses(con, role: str) -> set[str]:
    """The addresses the warehouse's ``findings`` give ``role``."""
    return {a for (a,) in con.execute("SELECT address FROM findings WHERE role = ?", [role]).fetchall()}


def platform_collection(truth: dict, con) -> tuple[set, set, set]:
    """(the fake platforms' collection wallets in the truth, the collection wallets found, every true one)."""
    wallets = {r["address"] for r in truth["roles"] if r["role"] == "scam_collection" and r["typology"] == "fake_platform"}
    return wallets, found_addresses(con, "scam_collection"), {r["address"] for r in truth["roles"]
                                                              if r["role"] == "scam_collection"}
