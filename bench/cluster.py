"""Clustering benchmark: seconds and peak memory of `pigtrace cluster` (every heuristic) on simulated
warehouses, with the clusters scored against the world's truth (rings mixed in one cluster, ring members
clustered with their own ring: pigtrace.simulate.cluster_score).

Worlds are simulated and ingested the way bench/analyze.py does it (its ``prepare``, kept under --work so a
second run measures only the clustering), and clustering runs in a fresh process so its peak RSS is its own.

Usage: python bench/cluster.py [--sizes 1000000] [--work /tmp/pigtrace-bench-cluster] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from analyze import prepare  # noqa: E402  (bench/analyze.py: simulate and ingest a world once)

CLUSTER = """
import json, sys, time, resource
from pigtrace.store.warehouse import connect
from pigtrace.cluster.build import build_clusters
from pigtrace.simulate.cluster_score import score_clusters
con = connect(sys.argv[1])
n = con.execute("SELECT count(*) FROM ledger_transfers").fetchone()[0]
t = time.perf_counter()
summary = build_clusters(con)
seconds = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
score = score_clusters(con, json.loads(open(sys.argv[2]).read()))
print(json.dumps({"transfers": n, "seconds": seconds, "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024,
                  "clusters": summary["clusters"], "addresses": summary["addresses"], "score": score,
                  "joined": {h["heuristic"]: h["addresses"] for h in summary["heuristics"]}}))
"""


def measure(db: Path, truth: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CLUSTER, str(db), str(truth)], check=True, capture_output=True,
                         text=True)
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000")
    ap.add_argument("--work", default="/tmp/pigtrace-bench-cluster")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, work, args.seed)
        r = measure(db, work / f"world_{size}" / "truth.json")
        s = r["score"]
        print(f"{r['transfers']:>12,} transfers  cluster {r['seconds']:6.1f} s  {r['cpu']:6.1f} CPU s  "
              f"{r['peak_mb']:6.0f} MB peak  {r['clusters']:,} clusters of {r['addresses']:,} addresses  "
              f"joined {json.dumps(r['joined'])}")
        print(f"{'':>12}  rings: {s['mixed_rings']} of {s['clusters']} ring clusters mix two rings "
              f"({s['mixed_directly']} through a wallet linked to both); {s['victim_with_ring']} hold a victim, "
              f"{s['ring_with_benign']} an ordinary actor or service; "
              f"{s['covered']} of {s['members']} ring members clustered with their ring ({s['coverage']:.0%})")
    print(f"machine: {os.cpu_count()} CPUs; timings depend on the machine's other load")


if __name__ == "__main__":
    main()
