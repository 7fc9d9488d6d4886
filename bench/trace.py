"""Trace benchmark: flow-store build time and the time of `pigtrace trace` (8 hops) over many sources on a
simulated warehouse.

The world is simulated and ingested once under --work (bench/analyze.py's `prepare`, shared with that
benchmark); the measurement runs in a fresh process so its peak RSS is its own. It prints:

- build: reading the ledger into the flow store (no cache), its size in memory, writing and re-reading
  the ``<db>.flows.npz`` cache, and classifying endpoints (labels, deposit accounts);
- per method, the walk alone (store in memory) from every source: median, p90, max, and the wallets
  visited; sources are the world's true victims that paid from their own wallet (truth.json) plus as
  many random wallets that sent something;
- the whole `trace()` call (state check, endpoints, hop rows read back from DuckDB) for fifo, with the
  rows of the 20 largest hops (what the table shows) and of every hop (what JSON and CSV carry);
- `build_case()` (fifo) from a quarter as many true victims (the store in memory, not saved).
Goals (issue 10) on 10M transfers: build under 30 s, median trace under 100 ms, a case under 1 s.

Usage: python bench/trace.py [--size 1000000] [--sources 200] [--work /tmp/pigtrace-bench] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analyze import prepare  # noqa: E402  (the same simulated worlds as the analyze benchmark)

MEASURE = r"""
import json, random, resource, sys, time
import numpy as np
from pigtrace.store.warehouse import connect
from pigtrace.graph import flows
from pigtrace.trace.endpoints import load_endpoints
from pigtrace.trace.run import _address_seeds, trace
from pigtrace.trace.walk import walk

db, truth_path, n_sources, hops = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = {}
con = connect(db, read_only=True)
t = time.perf_counter(); store = flows.build_flows(con); out["build_s"] = time.perf_counter() - t
out["edges"], out["nodes"], out["swap_links"] = store.n_edges, store.n_nodes, len(store.link_pay)
out["store_mb"] = store.nbytes() / 1e6
path = flows.cache_path(con)
t = time.perf_counter(); flows._write(path, store); out["cache_write_s"] = time.perf_counter() - t
t = time.perf_counter(); again = flows._read(path, store.key); out["cache_read_s"] = time.perf_counter() - t
assert again is not None and again.n_edges == store.n_edges
t = time.perf_counter(); ends = load_endpoints(con, store); out["endpoints_s"] = time.perf_counter() - t
flows._memory[flows.db_file(con)] = store
truth = json.load(open(truth_path))
victims = [v["address"] for r in truth["rings"] for v in r["victims"] if v["paid_from"] != "exchange"]
rng = random.Random(1)
rng.shuffle(victims)
nodes = [n for n in (store.node_of(truth["chain"], a) for a in victims) if n is not None][: n_sources // 2]
senders = np.flatnonzero(np.diff(store.out_ptr) > 0)
nodes += [int(x) for x in np.random.default_rng(1).choice(senders, n_sources - len(nodes), replace=False)]
out["sources"] = len(nodes)
for method in ("fifo", "haircut", "poison"):
    times, visited = [], []
    for node in nodes:
        seeds = _address_seeds(store, node, "sent", None, None)
        t = time.perf_counter(); r = walk(store, ends, seeds, method=method, hops=hops)
        times.append(time.perf_counter() - t); visited.append(r.visited)
    ms = np.array(times) * 1e3
    out[method] = {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)), "max_ms": float(ms.max()),
                   "visited_median": float(np.median(visited)), "visited_p90": float(np.percentile(visited, 90))}
for label, rows in (("trace_table", 20), ("trace_all", None)):
    times = []
    for node in nodes:
        t = time.perf_counter(); trace(con, store.address(node), method="fifo", hops=hops, follow="sent", hop_rows=rows)
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1e3
    out[label] = {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}
from pigtrace.trace.case import build_case
victims = [v for v in victims if store.node_of(truth["chain"], v) is not None][: max(1, len(nodes) // 4)]
times = []
for v in victims:
    t = time.perf_counter(); build_case(con, v, method="fifo", hops=hops, store=store)
    times.append(time.perf_counter() - t)
ms = np.array(times) * 1e3
out["case"] = {"n": len(times), "median_ms": float(np.median(ms)) if len(ms) else None,
               "p90_ms": float(np.percentile(ms, 90)) if len(ms) else None}
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="transfers in the simulated world")
    ap.add_argument("--sources", type=int, default=200, help="sources traced per method")
    ap.add_argument("--hops", type=int, default=8)
    ap.add_argument("--work", default="/tmp/pigtrace-bench")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = prepare(args.size, work, args.seed)
    truth = work / f"world_{args.size}" / "truth.json"
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(db), str(truth), str(args.sources), str(args.hops)],
                          check=True, capture_output=True, text=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if not lines:
        sys.exit(f"measurement printed no result:\n{proc.stdout}\n{proc.stderr}")
    r = json.loads(lines[-1])
    print(f"flow store: {r['edges']:,} edges, {r['nodes']:,} addresses, {r['swap_links']:,} swap links, "
          f"{r['store_mb']:.0f} MB; build {r['build_s']:.1f} s, cache write {r['cache_write_s']:.1f} s, "
          f"cache read {r['cache_read_s']:.1f} s, endpoints {r['endpoints_s']:.1f} s")
    print(f"traces, {args.hops} hops, {r['sources']} sources (half true victims, half random senders), walk only:")
    for method in ("fifo", "haircut", "poison"):
        m = r[method]
        print(f"  {method:8} median {m['median_ms']:7.1f} ms  p90 {m['p90_ms']:8.1f} ms  max {m['max_ms']:9.1f} ms  "
              f"wallets visited median {m['visited_median']:.0f}, p90 {m['visited_p90']:.0f}")
    for label, what in (("trace_table", "the 20 largest hops' rows (table)"), ("trace_all", "every hop's row (json)")):
        c = r[label]
        print(f"  trace() with {what} read back from DuckDB, fifo: median {c['median_ms']:.1f} ms, "
              f"p90 {c['p90_ms']:.1f} ms")
    c = r["case"]
    if c["n"]:
        print(f"  build_case() from {c['n']} true victims (fifo, {args.hops} hops): median {c['median_ms']:.1f} ms, "
              f"p90 {c['p90_ms']:.1f} ms (goal 1 s)")
    print(f"peak {r['peak_mb']:.0f} MB; machine: {os.cpu_count()} CPUs; timings depend on the machine's other load")


if __name__ == "__main__":
    main()
