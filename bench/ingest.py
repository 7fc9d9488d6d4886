"""Ingest benchmark: token transfers per second for `ingest etl` (CSV) and `ingest parquet`, each beside a
bare DuckDB load of the same files (CREATE TABLE AS read_csv / read_parquet, no checks, no keys), the
warehouse's size per million transfers, and peak memory.

Generates (or takes with --etl DIR) an ethereum-etl folder: blocks.csv, transactions.csv, logs.csv with
real Transfer topics, token_transfers.csv. The bare CSV load reads the files `ingest etl` reads (blocks,
transactions, logs). Each measurement runs in a fresh process on a fresh database file so its peak RSS is
its own; --repeat N runs every measurement N times and reports the worst ratio (the goals hold every time).
Usage: python bench/ingest.py [--transfers 1000000] [--etl DIR] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def hex_strings(raw: np.ndarray) -> np.ndarray:
    """Rows of bytes (n, k) -> array of 2k-character hex strings, vectorised."""
    n, k = raw.shape
    return _HEX[raw].view(f"S{2 * k}").reshape(n).astype(str)


def generate(out: Path, n_transfers: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    per_block = 200
    n_blocks = (n_transfers + per_block - 1) // per_block
    block_numbers = 18_000_000 + np.arange(n_blocks)
    pool = hex_strings(rng.integers(0, 256, size=(200_000, 20), dtype=np.uint8))
    tokens = np.array([USDT] + ["0x" + h for h in hex_strings(rng.integers(0, 256, size=(50, 20), dtype=np.uint8))])
    pacsv.write_csv(
        pa.table({
            "number": block_numbers, "hash": ["0x" + h for h in hex_strings(rng.integers(0, 256, (n_blocks, 32), dtype=np.uint8))],
            "parent_hash": ["0x" + "0" * 64] * n_blocks, "miner": ["0x" + "1" * 40] * n_blocks,
            "timestamp": 1_700_000_000 + 12 * np.arange(n_blocks), "transaction_count": np.full(n_blocks, per_block),
            "base_fee_per_gas": np.full(n_blocks, 20_000_000_000),
        }),
        out / "blocks.csv",
    )
    tx_hash = np.char.add("0x", hex_strings(rng.integers(0, 256, (n_transfers, 32), dtype=np.uint8)))
    sender = rng.integers(0, len(pool), n_transfers)
    receiver = rng.integers(0, len(pool), n_transfers)
    token = tokens[np.where(rng.random(n_transfers) < 0.6, 0, rng.integers(1, len(tokens), n_transfers))]
    amount = rng.integers(1, 10**12, n_transfers, dtype=np.int64)
    block = block_numbers[np.arange(n_transfers) // per_block]
    frm = np.char.add("0x", pool[sender])
    to = np.char.add("0x", pool[receiver])
    pacsv.write_csv(
        pa.table({
            "hash": tx_hash, "nonce": np.zeros(n_transfers, np.int64), "block_hash": ["0x"] * n_transfers,
            "block_number": block, "transaction_index": np.arange(n_transfers) % per_block, "from_address": frm,
            "to_address": token, "value": np.zeros(n_transfers, np.int64), "gas": np.full(n_transfers, 60000),
            "gas_price": np.full(n_transfers, 20_000_000_000), "input": np.full(n_transfers, "0xa9059cbb"),
            "block_timestamp": 1_700_000_000 + 12 * (block - block_numbers[0]),
        }),
        out / "transactions.csv",
    )
    pad = "0x000000000000000000000000"
    amount_hex = np.char.zfill(np.char.mod("%x", amount), 64)
    topics = np.char.add(np.char.add(np.char.add(TRANSFER + "," + pad, pool[sender]), "," + pad), pool[receiver])
    pacsv.write_csv(
        pa.table({
            "log_index": np.zeros(n_transfers, np.int64), "transaction_hash": tx_hash,
            "transaction_index": np.arange(n_transfers) % per_block, "block_hash": ["0x"] * n_transfers,
            "block_number": block, "address": token, "data": np.char.add("0x", amount_hex), "topics": topics,
        }),
        out / "logs.csv",
    )
    pacsv.write_csv(
        pa.table({
            "token_address": token, "from_address": frm, "to_address": to, "value": amount,
            "transaction_hash": tx_hash, "log_index": np.zeros(n_transfers, np.int64), "block_number": block,
        }),
        out / "token_transfers.csv",
    )


def _child(kind: str, source: str, db: str) -> None:
    import duckdb

    if kind.startswith("bare"):
        con = duckdb.connect(db)
        t0 = time.perf_counter()
        reader = "read_parquet" if kind == "bare-parquet" else "read_csv"
        files = sorted(Path(source).glob("*.parquet")) if kind == "bare-parquet" else [
            Path(source) / f"{name}.csv" for name in ("blocks", "transactions", "logs")]
        for f in files:
            con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM {reader}(?)", [str(f)])
        con.execute("CHECKPOINT")
        print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": _cpu(), "peak_mb": _peak_mb(), "added": {}}))
        return
    from pigtrace.store.warehouse import connect

    con = connect(db)
    t0 = time.perf_counter()
    if kind == "etl":
        from pigtrace.ingest.etl import ingest_etl

        added = ingest_etl(con, source)
    else:
        from pigtrace.ingest.parquet import ingest_parquet

        added = ingest_parquet(con, source)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "cpu": _cpu(), "peak_mb": _peak_mb(), "added": added}))


def _cpu() -> float:
    """CPU seconds of this process, all threads: on a shared machine this moves less than wall time."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _peak_mb() -> float:
    """This process's own peak RSS. ru_maxrss survives exec, so a child started by the parent that has
    just generated the data would report the parent's peak; Linux's VmHWM belongs to this image only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, source: Path, db: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(source), str(db)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["mb"] = db.stat().st_size / 1e6
    db.unlink()
    return result


def worst(kind: str, bare_kind: str, source: Path, tmp: Path, repeat: int) -> tuple[dict, dict, float]:
    """The run of ``kind`` with the highest ratio to the bare load measured just before it."""
    runs = []
    for _ in range(repeat):
        bare = measure(bare_kind, source, tmp / "bare.duckdb")
        run = measure(kind, source, tmp / f"{kind}.duckdb")
        runs.append((run, bare, run["seconds"] / bare["seconds"]))
    return max(runs, key=lambda r: r[2])


def report(name: str, run: dict, bare: dict, ratio: float) -> None:
    n = run["added"]["transfers"]
    print(f"ingest {name:<8}: {n:,} transfers in {run['seconds']:.2f} s = {n / run['seconds']:,.0f} transfers/s, "
          f"peak RSS {run['peak_mb']:,.0f} MB; bare load {bare['seconds']:.2f} s -> {ratio:.2f}x bare")
    print(f"  CPU {run['cpu']:.1f} s against the bare load's {bare['cpu']:.1f} s -> {run['cpu'] / bare['cpu']:.2f}x bare")
    print(f"  warehouse {run['mb']:,.1f} MB = {run['mb'] / n * 1e6:,.1f} MB per million transfers "
          f"(bare load of the same files: {bare['mb']:,.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--transfers", type=int, default=1_000_000)
    ap.add_argument("--etl", type=Path, help="use this ethereum-etl folder instead of generating one")
    ap.add_argument("--repeat", type=int, default=1, help="measure each ingest N times; report the worst ratio")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        etl = args.etl
        if etl is None:
            etl = tmp / "etl"
            t0 = time.perf_counter()
            generate(etl, args.transfers)
            print(f"generated {args.transfers:,} transfers in {time.perf_counter() - t0:.1f} s -> {etl}")
        report("etl", *worst("etl", "bare-csv", etl, tmp, args.repeat))
        from pigtrace.ingest.etl import ingest_etl
        from pigtrace.ingest.parquet import export_parquet
        from pigtrace.store.warehouse import connect

        con = connect(tmp / "export.duckdb")
        ingest_etl(con, etl)
        export_parquet(con, tmp / "pq")
        con.close()
        report("parquet", *worst("parquet", "bare-parquet", tmp / "pq", tmp, args.repeat))


if __name__ == "__main__":
    main()
