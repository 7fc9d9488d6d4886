"""Real-data measuring stick (issue 8): pigtrace's behaviour-only detectors and the 25-line baseline rule
(bench/baseline_rules25.py) on XBlock's Ethereum phishing first-order transactions.

    python bench/real_xblock.py PATH_TO/eth-phishing-xblock-first-order [--out bench/out/real_xblock.csv]

The folder holds ``transactions.csv.gz`` (the centres' own ETH transactions) and ``centers.csv`` (1,660
Etherscan-labelled phishing accounts, 1,700 unlabelled "normal" ones); see its README. Steps, all in a
temporary folder (nothing of the data is kept or written into the repository):

1. convert the transactions to an ethereum-etl export: ``blocks.csv`` (number, timestamp; hash and the
   rest unknown, left empty), ``transactions.csv`` (hash, block, from, to, value in wei converted exactly
   from the published decimal ETH text through Decimal, input, block_timestamp; nonce, gas, index ...
   left empty) and ``receipts.csv`` (status = 1 - is_error; nothing else known). A transaction between
   two centres appears once per centre in the source and once in the export;
2. ``pigtrace ingest etl`` it into a fresh warehouse and run ``pigtrace analyze --behaviour-only`` (no
   scam, phishing or sanction label is read: Etherscan's phishing tags are in the shipped packs and
   would find nearly every centre by lookup);
3. write the centres as a labels file (label 1 -> ``scam_collection``, 0 -> ``normal``) and score with
   ``pigtrace evaluate --labels``. Thresholds are chosen on the centres first seen before 2018-01-01
   (best F1 of the ``scam_collection`` row): pigtrace's minimum finding score, and the baseline's
   ``k`` (distinct small senders) and ``small`` cut. Scores are reported on the centres first seen from
   2018-01-01 on (and, for reference, on the choosing period and on all centres with the same choice).

Besides precision / recall / F1 it reports the false-positive rate on normal centres, the precision that
recall and that rate would give at a 1% phishing base rate (P = R*0.01 / (R*0.01 + FPR*0.99)), and the
share of the unlabelled neighbour accounts (every address in the ledger that is not a centre) flagged
with a scam wallet role (scam_collection or scam_operator). It prints one table and writes it as CSV.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import baseline_rules25  # noqa: E402

from pigtrace.evaluation.labels_file import load_labels  # noqa: E402
from pigtrace.evaluation.labels_score import score_labels  # noqa: E402

SPLIT = datetime(2018, 1, 1)
BASE_RATE = 0.01
K_GRID = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30]
SMALL_ETH_GRID = ["0.01", "0.05", "0.1", "0.25", "0.5", "1", "2", "5", "10", "20", "50", "100"]
WALLET_ROLES = ("scam_collection", "scam_operator")

BLOCK_COLS = ["number", "hash", "parent_hash", "nonce", "sha3_uncles", "logs_bloom", "transactions_root",
              "state_root", "receipts_root", "miner", "difficulty", "total_difficulty", "size", "extra_data",
              "gas_limit", "gas_used", "timestamp", "transaction_count", "base_fee_per_gas"]
TX_COLS = ["hash", "nonce", "block_hash", "block_number", "transaction_index", "from_address", "to_address",
           "value", "gas", "gas_price", "input", "block_timestamp", "max_fee_per_gas",
           "max_priority_fee_per_gas", "transaction_type"]
RECEIPT_COLS = ["transaction_hash", "transaction_index", "block_hash", "block_number", "cumulative_gas_used",
                "gas_used", "contract_address", "root", "status", "effective_gas_price"]


def convert(src: Path, out: Path, centres: list[str] | None = None) -> dict:
    """The XBlock transactions (of ``centres`` only, when given) as an ethereum-etl export in ``out``;
    returns row counts."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.register("keep", pa.table({"center": pa.array(centres or [], pa.string())}))
    only = "WHERE center IN (SELECT center FROM keep)" if centres is not None else ""
    con.execute(f"""CREATE TABLE src AS SELECT * FROM read_csv('{src / "transactions.csv.gz"}', all_varchar=true,
                    header=true) {only}""")
    clash = con.execute(
        """SELECT tx_hash FROM src GROUP BY tx_hash
           HAVING count(DISTINCT (block_number, timestamp, from_address, coalesce(to_address, ''), value_eth,
                                  coalesce(input, ''), is_error)) > 1 LIMIT 1""").fetchone()
    if clash:
        raise SystemExit(f"{src}: transaction {clash[0]} appears twice with different fields")
    texts = [v for (v,) in con.execute("SELECT DISTINCT value_eth FROM src").fetchall()]
    wei = []
    for t in texts:
        w = Decimal(t) * 10**18  # exact decimal arithmetic on the published text
        if w != w.to_integral_value() or w < 0:
            raise SystemExit(f"{src}: value_eth {t!r} is not a whole number of wei")
        wei.append(str(int(w)))
    con.register("wei", pa.table({"value_eth": pa.array(texts, pa.string()), "wei": pa.array(wei, pa.string())}))
    con.execute("""CREATE TABLE tx AS SELECT DISTINCT s.tx_hash, s.block_number, s.timestamp, s.from_address,
                   nullif(s.to_address, '') AS to_address, w.wei, s.input, s.is_error
                   FROM src s JOIN wei w USING (value_eth)""")
    empty = lambda cols, keep: ", ".join(keep.get(c, "NULL::VARCHAR") + f" AS {c}" for c in cols)  # noqa: E731
    con.execute(f"""COPY (SELECT {empty(BLOCK_COLS, {"number": "block_number", "timestamp": "timestamp"})}
                          FROM (SELECT DISTINCT block_number, timestamp FROM tx) ORDER BY block_number::BIGINT)
                    TO '{out / "blocks.csv"}' (HEADER, DELIMITER ',')""")
    con.execute(f"""COPY (SELECT {empty(TX_COLS, {"hash": "tx_hash", "block_number": "block_number",
                                                  "from_address": "from_address", "to_address": "to_address",
                                                  "value": "wei", "input": "input", "block_timestamp": "timestamp"})}
                          FROM tx ORDER BY block_number::BIGINT, tx_hash)
                    TO '{out / "transactions.csv"}' (HEADER, DELIMITER ',')""")
    con.execute(f"""COPY (SELECT {empty(RECEIPT_COLS, {"transaction_hash": "tx_hash", "block_number": "block_number",
                                                       "status": "CASE is_error WHEN '1' THEN '0' ELSE '1' END"})}
                          FROM tx ORDER BY block_number::BIGINT, tx_hash)
                    TO '{out / "receipts.csv"}' (HEADER, DELIMITER ',')""")
    n = {"source_rows": con.execute("SELECT count(*) FROM src").fetchone()[0],
         "transactions": con.execute("SELECT count(*) FROM tx").fetchone()[0],
         "failed": con.execute("SELECT count(*) FROM tx WHERE is_error = '1'").fetchone()[0]}
    con.close()
    return n


def write_labels(src: Path, path: Path) -> None:
    with open(src / "centers.csv", newline="") as f, open(path, "w", newline="") as g:
        w = csv.writer(g)
        w.writerow(["address", "label"])
        for row in csv.DictReader(f):
            w.writerow([row["address"], {"1": "scam_collection", "0": "normal"}[row["label"]]])


def pigtrace(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"pigtrace {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def role_row(result: dict, role: str) -> dict:
    return next(r for r in result["roles"] if r["role"] == role)


def best(scored: list[tuple[object, dict]]) -> tuple[object, dict]:
    """The candidate with the highest F1 of the scam_collection row (ties: the first, i.e. the most
    inclusive threshold listed first)."""
    return max(scored, key=lambda c: role_row(c[1], "scam_collection")["f1"] or 0.0)


def choose_min_score(con: duckdb.DuckDBPyConnection) -> tuple[float, dict]:
    scores = [0.0] + [s for (s,) in con.execute(
        "SELECT DISTINCT round(score, 3) FROM findings WHERE role = 'scam_collection' ORDER BY 1").fetchall()]
    return best([(s, score_labels(con, until=SPLIT, min_score=s)) for s in scores])


def choose_baseline(con: duckdb.DuckDBPyConnection) -> tuple[tuple[int, str], dict]:
    out = []
    for small in SMALL_ETH_GRID:
        baseline_rules25.features(con, int(Decimal(small) * 10**18))
        for k in K_GRID:
            baseline_rules25.flag(con, k)
            out.append(((k, small), score_labels(con, until=SPLIT, findings="pt_baseline_flags")))
    return best(out)


def neighbour_share(con: duckdb.DuckDBPyConnection, findings: str, min_score: float) -> tuple[int, int]:
    """(flagged, total) unlabelled neighbour accounts: ledger addresses that are not centres, flagged with
    a scam wallet role."""
    roles = ", ".join(f"'{r}'" for r in WALLET_ROLES)
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_neighbours AS
                   SELECT DISTINCT chain, a AS address FROM (SELECT chain, from_address AS a FROM transfers
                                                            UNION ALL SELECT chain, to_address FROM transfers)
                   WHERE a IS NOT NULL
                   EXCEPT SELECT chain, address FROM pt_eval_labels""")
    total = con.execute("SELECT count(*) FROM pt_neighbours").fetchone()[0]
    flagged = con.execute(
        f"""SELECT count(DISTINCT (f.chain, f.address)) FROM {findings} f
            SEMI JOIN pt_neighbours n ON n.chain = f.chain AND n.address = f.address
            WHERE f.role IN ({roles}) AND f.score >= ?""", [min_score]).fetchone()[0]
    return flagged, total


def summary(method: str, params: str, period: str, result: dict, role: str, neighbours: tuple[int, int]) -> dict:
    r = role_row(result, role)
    normal = result["scored_by_label"].get("normal", 0)
    fp_normal = r["fp"] if role == "scam_collection" else _normal_flagged(result)
    fpr = fp_normal / normal if normal else None
    rec = r["recall"]
    p_at = (rec * BASE_RATE / (rec * BASE_RATE + fpr * (1 - BASE_RATE))
            if rec is not None and fpr is not None and (rec or fpr) else None)
    return {"method": method, "params": params, "period": period, "row": role,
            "phishing": result["scored_by_label"].get("scam_collection", 0), "normal": normal,
            "tp": r["tp"], "fp": r["fp"], "fn": r["fn"], "precision": r["precision"], "recall": rec, "f1": r["f1"],
            "fpr_normal": _round(fpr), "precision_at_1pct": _round(p_at),
            "neighbours_flagged": neighbours[0], "neighbours": neighbours[1],
            "neighbour_share": _round(neighbours[0] / neighbours[1] if neighbours[1] else None, 6)}


def _normal_flagged(result: dict) -> int:
    # labels here are only scam_collection and normal: scam_any's false positives are normal centres
    return role_row(result, "scam_any")["fp"]


def _round(x: float | None, n: int = 4) -> float | None:
    return round(x, n) if x is not None else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="the eth-phishing-xblock-first-order folder")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "real_xblock.csv")
    ap.add_argument("--work", type=Path, default=None, help="keep the export and warehouses here (default: a temp folder, removed)")
    args = ap.parse_args()
    for name in ("transactions.csv.gz", "centers.csv"):
        if not (args.folder / name).is_file():
            raise SystemExit(f"{args.folder}: no {name} here (expected the eth-phishing-xblock-first-order folder)")
    work = args.work or Path(tempfile.mkdtemp(prefix="pigtrace-xblock-"))
    work.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        rows = run(args.folder, work, timings)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    timings["total"] = time.perf_counter() - t0
    report(rows, args.out, timings)


def run(folder: Path, work: Path, timings: dict[str, float]) -> list[dict]:
    export, db, labels = work / "export", work / "xblock.duckdb", work / "centres.csv"
    t = time.perf_counter()
    counts = convert(folder, export)
    write_labels(folder, labels)
    timings["convert"] = time.perf_counter() - t
    print(f"converted {counts['source_rows']:,} rows to {counts['transactions']:,} transactions "
          f"({counts['failed']:,} failed) in {timings['convert']:.1f} s", file=sys.stderr)
    for step, args in (("ingest", ("ingest", "etl", str(export), "--db", str(db))),
                       ("analyze", ("analyze", "--behaviour-only", "--db", str(db)))):
        t = time.perf_counter()
        pigtrace(*args)
        timings[step] = time.perf_counter() - t
        print(f"{step} {timings[step]:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    load_labels(con, labels)
    min_score, train = choose_min_score(con)
    (k, small), base_train = choose_baseline(con)
    pt_nb = neighbour_share(con, "findings", min_score)
    baseline_rules25.features(con, int(Decimal(small) * 10**18))
    baseline_rules25.flag(con, k)
    base_nb = neighbour_share(con, "pt_baseline_flags", 0.0)
    flags = pa.Table.from_pylist([dict(zip(("chain", "address", "role", "score"), r)) for r in
                                  con.execute("SELECT chain, address, role, score FROM pt_baseline_flags").fetchall()])
    behaviour_only = con.execute("SELECT behaviour_only FROM analysis_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    con.close()
    timings["choose"] = time.perf_counter() - t
    assert behaviour_only, "the analysis run was not behaviour-only"
    # The reported figures come from the command itself: pigtrace's findings as analyzed, the baseline's
    # flags written as the findings of a copy of the warehouse.
    t = time.perf_counter()
    cli = ["evaluate", "--labels", str(labels), "--format", "json"]
    since = ["--since", SPLIT.date().isoformat()]
    test = json.loads(pigtrace(*cli, *since, "--min-score", str(min_score), "--db", str(db)))[0]
    whole = json.loads(pigtrace(*cli, "--min-score", str(min_score), "--db", str(db)))[0]
    base_db = work / "baseline.duckdb"
    shutil.copy(db, base_db)
    bcon = duckdb.connect(str(base_db))
    bcon.register("flags", flags)
    bcon.execute("DELETE FROM findings")
    bcon.execute("INSERT INTO findings (chain, address, role, typology, score) "
                 "SELECT chain, address, role, 'baseline_rules25', score FROM flags")
    bcon.close()
    base_test = json.loads(pigtrace(*cli, *since, "--db", str(base_db)))[0]
    base_whole = json.loads(pigtrace(*cli, "--db", str(base_db)))[0]
    timings["evaluate"] = time.perf_counter() - t
    pt_params = f"min score {min_score:g}"
    b_params = f"k={k} small<={small} ETH"
    return [
        summary("pigtrace --behaviour-only", pt_params, "test: first seen >= 2018-01-01", test, "scam_collection", pt_nb),
        summary("pigtrace --behaviour-only", pt_params, "test: first seen >= 2018-01-01", test, "scam_any", pt_nb),
        summary("baseline_rules25", b_params, "test: first seen >= 2018-01-01", base_test, "scam_collection", base_nb),
        summary("pigtrace --behaviour-only", pt_params, "choose: first seen < 2018-01-01", train, "scam_collection", pt_nb),
        summary("pigtrace --behaviour-only", pt_params, "choose: first seen < 2018-01-01", train, "scam_any", pt_nb),
        summary("baseline_rules25", b_params, "choose: first seen < 2018-01-01", base_train, "scam_collection", base_nb),
        summary("pigtrace --behaviour-only", pt_params, "all centres", whole, "scam_collection", pt_nb),
        summary("pigtrace --behaviour-only", pt_params, "all centres", whole, "scam_any", pt_nb),
        summary("baseline_rules25", b_params, "all centres", base_whole, "scam_collection", base_nb),
    ]


def report(rows: list[dict], out: Path, timings: dict[str, float]) -> None:
    cols = list(rows[0])
    show = ["method", "params", "period", "row", "phishing", "normal", "tp", "fp", "fn", "precision", "recall", "f1",
            "fpr_normal", "precision_at_1pct", "neighbours_flagged", "neighbours"]
    text = [[str(r[c]) if r[c] is not None else "-" for c in show] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(show)]
    print("  ".join(c.ljust(w) for c, w in zip(show, widths)))
    for t in text:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
    print("wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, cols + ["seconds_total"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "seconds_total": round(timings["total"], 1)})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
