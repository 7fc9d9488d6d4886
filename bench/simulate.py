"""Simulation benchmark: transfers per second and peak memory of `pigtrace simulate` at several scales.

Each scale runs in a fresh process (so its peak RSS is its own) writing into a temporary folder that is
deleted afterwards; the phases (build the world, order the ledger, write the files, write truth.json)
are timed separately; CPU seconds (user + system) are printed too, since wall time depends on what else
the machine runs. Goal (issue 3): 10 million transfers in under 2 minutes and 4 GB.
Usage: python bench/simulate.py [--scales 100000,1000000,10000000] [--seed 7] [--chain ethereum]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = """
import json, resource, sys, time
from pigtrace.simulate.world import simulate
t = time.perf_counter()
s = simulate(sys.argv[1], seed=int(sys.argv[2]), scale=int(sys.argv[3]), chain=sys.argv[4])
s["wall"] = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
s["peak_rss_mb"] = ru.ru_maxrss / 1024
s["cpu"] = ru.ru_utime + ru.ru_stime
print(json.dumps(s))
"""


def run(scale: int, seed: int, chain: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="pigtrace-bench-sim-") as tmp:
        proc = subprocess.run([sys.executable, "-c", CHILD, tmp, str(seed), str(scale), chain],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        du = subprocess.run(["du", "-sm", tmp], capture_output=True, text=True, check=True).stdout.split()[0]
        result["disk_mb"] = int(du)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="100000,1000000,10000000")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chain", default="ethereum")
    args = ap.parse_args()
    print(f"{'target':>10} {'transfers':>10} {'txs':>10} {'wall s':>7} {'build':>6} {'freeze':>6} {'write':>6} "
          f"{'truth':>6} {'cpu s':>6} {'transfers/s':>11} {'peak MB':>8} {'disk MB':>8}")
    for scale in (int(s) for s in args.scales.split(",")):
        r = run(scale, args.seed, args.chain)
        t = r["timings"]
        print(f"{scale:>10} {r['transfers']:>10} {r['transactions']:>10} {r['wall']:>7.1f} {t['build']:>6.1f} "
              f"{t['freeze']:>6.1f} {t['write']:>6.1f} {t['truth']:>6.1f} {r['cpu']:>6.1f} {r['transfers'] / r['wall']:>11,.0f} "
              f"{r['peak_rss_mb']:>8.0f} {r['disk_mb']:>8}", flush=True)


if __name__ == "__main__":
    main()
