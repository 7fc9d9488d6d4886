"""Speed of `pigtrace serve` under load, measured from outside the process as an exchange would see it.

    python bench/api.py [--db WAREHOUSE] [--seconds 15] [--overload-seconds 30]

Without --db it makes the demo world in bench/out/api/ (`pigtrace demo`). It starts `pigtrace serve` on a
free loopback port, waits for the screening index, then measures with wrk (Debian package `wrk`):
  single   GET /v1/screen/{address} over 5,000 of the warehouse's addresses, 16 connections
  batch    POST /v1/screen with 1,000 addresses, one request at a time (50 requests)
  overload the single-address load with 10x the connections (160) for --overload-seconds, the server's
           resident memory sampled every second (flat memory: the last samples match the first)
and prints requests/s, latency percentiles, errors and memory. Goals (issue 11): single >= 2,000 req/s with
p99 < 20 ms, batch < 200 ms, overload answering throughout with flat memory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PIGTRACE = [sys.executable, "-m", "pigtrace"]
LUA = """
local addrs = {}
for line in io.lines("%s") do addrs[#addrs + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/screen/" .. addrs[(i %% #addrs) + 1])
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo(folder: Path) -> Path:
    db = folder / "w.duckdb"
    if not db.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(PIGTRACE + ["demo", "--out", str(folder / "world"), "--db", str(db)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db


def _addresses(db: Path, n: int = 5000) -> list[str]:
    from pigtrace.store.warehouse import connect

    con = connect(db, read_only=True)
    try:
        return [a for (a,) in con.execute(
            "SELECT address FROM addresses WHERE address <> 'native' ORDER BY hash(address) LIMIT ?", [n]).fetchall()]
    finally:
        con.close()


def _get(port: int, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST" if body else "GET", path, body=body, headers={"content-type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def _wait_ready(port: int, proc: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pigtrace serve exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            status, data = _get(port, "/v1/health")
            health = json.loads(data)
            if status == 200 and health["screen_index"]["ready"]:
                return health
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the screening index was not ready after 10 minutes")


def _wrk(port: int, script: Path, connections: int, seconds: int, threads: int = 1) -> dict:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests_per_s": round(rps), "requests": total, "p50_ms": ms("50%"), "p90_ms": ms("90%"),
            "p99_ms": ms("99%"), "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1).strip() if errors else "none"}


def _batch(port: int, addresses: list[str], rounds: int = 50) -> dict:
    body = json.dumps({"addresses": addresses[:1000]}).encode()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        status, data = _get(port, "/v1/screen", body)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200 and len(json.loads(data)["results"]) == 1000
    times.sort()
    return {"requests": rounds, "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 1), "max_ms": round(times[-1], 1)}


def _overload(port: int, script: Path, seconds: int, pid: int) -> dict:
    server = psutil.Process(pid)
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(server.memory_info().rss / 2**20)
            done.wait(1.0)

    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        result = _wrk(port, script, connections=160, seconds=seconds, threads=2)
    finally:
        done.set()
        watcher.join()
    first, last = samples[:5], samples[-5:]
    result.update({"rss_first_mb": round(statistics.mean(first)), "rss_last_mb": round(statistics.mean(last)),
                   "rss_max_mb": round(max(samples))})
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="warehouse to serve (default: the demo world in bench/out/api/)")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--overload-seconds", type=int, default=30)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench/api.py needs wrk: apt-get install wrk")
    db = Path(args.db) if args.db else _demo(ROOT / "bench" / "out" / "api")
    addresses = _addresses(db)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(PIGTRACE + ["serve", "--db", str(db), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = _wait_ready(port, proc)
        with tempfile.TemporaryDirectory() as tmp:
            listed = Path(tmp) / "addresses.txt"
            listed.write_text("\n".join(addresses))
            script = Path(tmp) / "screen.lua"
            script.write_text(LUA % listed)
            _wrk(port, script, 16, 3)  # warm-up
            single = _wrk(port, script, 16, args.seconds)
            batch = _batch(port, addresses)
            overload = _overload(port, script, args.overload_seconds, proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    mem = psutil.virtual_memory().total / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB; load before: "
          f"{os.getloadavg()[0]:.2f}; warehouse {db} ({health['screen_index']['addresses']:,} addresses, "
          f"index built in {health['screen_index']['build_seconds']} s)")
    print(f"single   {single['requests_per_s']:>7,} req/s  p50 {single['p50_ms']:.2f} ms  p90 {single['p90_ms']:.2f} ms  "
          f"p99 {single['p99_ms']:.2f} ms  non-2xx {single['non_2xx']}  socket errors {single['socket_errors']}  "
          f"(goal: >= 2,000 req/s, p99 < 20 ms)")
    print(f"batch    1,000 addresses  p50 {batch['p50_ms']} ms  p99 {batch['p99_ms']} ms  max {batch['max_ms']} ms  "
          f"(goal: < 200 ms)")
    print(f"overload 160 connections {args.overload_seconds} s: {overload['requests_per_s']:,} req/s  "
          f"p99 {overload['p99_ms']:.2f} ms  non-2xx {overload['non_2xx']}  socket errors {overload['socket_errors']}  "
          f"memory {overload['rss_first_mb']} -> {overload['rss_last_mb']} MiB (max {overload['rss_max_mb']})")


if __name__ == "__main__":
    main()
