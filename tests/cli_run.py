"""Run the real `pigtrace` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys


def pigtrace(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"pigtrace {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def analysed_world(root, seed: int = 3) -> tuple:
    """(world folder, warehouse) under ``root``: a small simulated world, ingested and analysed by the CLI."""
    world, db = root / "world", root / "w.duckdb"
    pigtrace("simulate", "--out", str(world), "--seed", str(seed), check=True)
    pigtrace("ingest", "etl", str(world), "--db", str(db), check=True)
    pigtrace("analyze", "--db", str(db), check=True)
    return world, db


def ctrl_c_as_in_a_shell() -> None:
    """For Popen's preexec_fn: a child that takes SIGINT as a terminal's Ctrl-C would. A pytest-xdist worker
    ignores SIGINT and its children inherit that, so Python in them would never see the signal."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
