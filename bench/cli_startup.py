"""Start-up cost of the `pigtrace` command: seconds from launch to exit for one-shot commands a script or an
exchange's tooling calls many times (`status`, `findings`, `screen`, `case --help`), on a small simulated
warehouse made once in a temporary folder. Each command runs --runs times; the median and the fastest are
printed. A run imports only the module that registers its command (pigtrace.cli.COMMANDS), so the figure is
Python's start, Typer, DuckDB and that module, plus the command's own work.

Usage: python bench/cli_startup.py [--runs N] [--db WAREHOUSE]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SANCTIONED = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"


def seconds(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db", type=Path, default=None, help="an analysed warehouse (default: a small simulated world)")
    a = ap.parse_args()
    pig = [sys.executable, "-m", "pigtrace"]
    with tempfile.TemporaryDirectory() as tmp:
        db = a.db
        if db is None:
            db = Path(tmp) / "w.duckdb"
            world = Path(tmp) / "world"
            for step in (("simulate", "--out", str(world), "--users", "100", "--days", "20", "--scale", "2000"),
                         ("ingest", "etl", str(world), "--db", str(db)), ("analyze", "--db", str(db))):
                subprocess.run([*pig, *step], capture_output=True, check=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pigtrace --version": [*pig, "--version"],
            "pigtrace status": [*pig, "status", "--db", str(db)],
            "pigtrace findings --limit 5": [*pig, "findings", "--db", str(db), "--limit", "5"],
            "pigtrace screen ADDRESS": [*pig, "screen", SANCTIONED, "--db", str(db)],
            "pigtrace case --help": [*pig, "case", "--help"],
        }
        print(f"{platform.node()}: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
              f"{a.runs} runs each")
        print(f"{'command':32} {'median s':>9} {'fastest s':>10}")
        for name, argv in commands.items():
            times = [seconds(argv) for _ in range(a.runs)]
            print(f"{name:32} {statistics.median(times):9.2f} {min(times):10.2f}")


if __name__ == "__main__":
    main()
