"""Analyze benchmark: seconds and peak memory of `pigtrace analyze` at several ledger sizes, and how its
cost grows with the number of transfers.

For each size the simulator writes a world (ethereum-etl files, or TronGrid pages with `--chain tron`;
`pigtrace simulate`'s code), it is ingested into a fresh warehouse, and then `analyze` runs in a fresh process so its peak RSS is its own.
Worlds and warehouses are kept under --work so a second run measures only analyze. The growth exponent
is the least-squares slope of log(seconds) against log(transfers); n log n between 1M and 10M
transfers corresponds to a slope of about 1.1, quadratic to 2.

Usage: python bench/analyze.py [--sizes 1000000,3000000,10000000] [--chain ethereum|tron] [--work /tmp/pigtrace-bench]
                               [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ANALYZE = """
import json, sys, time, resource
from pigtrace.store.warehouse import connect
from pigtrace.detect.run import analyze
con = connect(sys.argv[1])
n = con.execute("SELECT count(*) FROM transfers").fetchone()[0]
t = time.perf_counter()
summary = analyze(con)
seconds = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"transfers": n, "seconds": seconds, "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024,
                  "by_role": summary["by_role"]}))
"""


def prepare(size: int, work: Path, seed: int, chain: str = "ethereum") -> Path:
    """Simulate and ingest a world of about ``size`` transfers once; returns the warehouse path."""
    name = f"world_{size}" if chain == "ethereum" else f"world_{chain}_{size}"
    world, db = work / name, work / f"{name}.duckdb"
    if db.exists():
        return db
    t = time.perf_counter()
    code = ("import sys; from pigtrace.simulate.world import simulate; "
            "simulate(sys.argv[1], seed=int(sys.argv[2]), scale=int(sys.argv[3]), chain=sys.argv[4])")
    subprocess.run([sys.executable, "-c", code, str(world), str(seed), str(size), chain], check=True)
    cli = str(Path(sys.executable).parent / "pigtrace")
    source = ["etl", str(world)] if chain == "ethereum" else ["trongrid", str(world / "trongrid")]
    subprocess.run([cli, "ingest", *source, "--db", str(db)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([cli, "labels", "import", str(world / "tagpack.yaml"), "--db", str(db)], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"  prepared {size:,} transfers in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return db


def measure(db: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", ANALYZE, str(db)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,3000000,10000000")
    ap.add_argument("--work", default="/tmp/pigtrace-bench")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--chain", default="ethereum", choices=["ethereum", "tron"],
                    help="the simulated world's chain: ethereum-etl files or TronGrid pages")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, work, args.seed, args.chain)
        r = measure(db)
        rows.append(r)
        print(f"{r['transfers']:>12,} transfers  {r['seconds']:8.1f} s  {r['cpu']:8.1f} CPU s  {r['peak_mb']:8.0f} MB peak  "
              f"{json.dumps(r['by_role'])}")
    if len(rows) >= 2:
        n = np.array([r["transfers"] for r in rows], dtype=float)
        t = np.array([r["seconds"] for r in rows], dtype=float)
        slope = float(np.polyfit(np.log(n), np.log(t), 1)[0])
        nlogn = math.log(n[-1] * math.log(n[-1]) / (n[0] * math.log(n[0]))) / math.log(n[-1] / n[0])
        print(f"growth exponent {slope:.2f} (n log n over this range: {nlogn:.2f}; quadratic: 2.00)")
    print(f"machine: {os.cpu_count()} CPUs; timings depend on the machine's other load")


if __name__ == "__main__":
    main()
