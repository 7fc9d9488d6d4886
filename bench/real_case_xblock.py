"""`pigtrace case` on real data it was not tuned on: XBlock's Ethereum phishing first-order transactions.

    python bench/real_case_xblock.py PATH_TO/eth-phishing-xblock-first-order [--cases 300]

The ledger is converted and ingested as bench/real_xblock.py does (its ``convert``), then analysed with
``--behaviour-only`` (no phishing label is read). XBlock labels 1,660 centre accounts as phishing (Etherscan)
and 1,700 as normal; nobody labels the victims. What a case can be scored on:

1. **from a victim**: for a centre first seen from 2018-01-01 on (``--period early``: before it), its earliest payer that is not a centre is
   taken as the reported victim. The case is right when it names the centre among its collection wallets
   if the centre is phishing, and wrong when it does so for a normal centre (a merchant, an exchange
   account): the rate of each, with the findings (after analyze) and from the money alone (``--no-findings``
   is simulated by building the case on a copy without the findings table rows);
2. **from the scam address**: for phishing centres, the case's sister collection wallets that are centres:
   how many are phishing and how many normal (the ring expansion's precision where labels exist).
No threshold is chosen here: every constant of the case was set on simulated worlds. Prints one table.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from real_xblock import convert  # noqa: E402  (the same conversion as the detection benchmark)

SPLIT = "2018-01-01"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--cases", type=int, default=300, help="centres of each label traced from a victim")
    ap.add_argument("--period", choices=("early", "late"), default="late",
                    help=f"centres first seen before {SPLIT} (where a constant may be chosen) or from it on (report)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pigtrace-xblock-case-"))
    try:
        run(args.folder, work, args.cases, args.period)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _pigtrace(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pigtrace {' '.join(args)} failed:\n{proc.stderr}")


def run(folder: Path, work: Path, n_cases: int, period: str = "late") -> None:
    from pigtrace.errors import PigtraceError
    from pigtrace.graph.flows import load_flows
    from pigtrace.store.warehouse import connect
    from pigtrace.trace.case import build_case

    t0 = time.perf_counter()
    export, db = work / "export", work / "xblock.duckdb"
    convert(folder, export)
    _pigtrace("ingest", "etl", str(export), "--db", str(db))
    bare = work / "bare.duckdb"
    shutil.copy(db, bare)
    _pigtrace("analyze", "--behaviour-only", "--db", str(db))
    prepared = time.perf_counter() - t0
    with open(folder / "centers.csv", newline="") as f:
        label = {r["address"].lower(): r["label"] for r in csv.DictReader(f)}
    rows = []
    timings = []
    for name, path in (("with findings", db), ("money alone", bare)):
        con = connect(path, read_only=True)
        store = load_flows(con)
        first = dict(con.execute(
            """SELECT to_address, min(time) FROM transfers GROUP BY to_address""").fetchall())
        payer = dict(con.execute(
            """SELECT to_address, arg_min(from_address, time) FROM transfers
               WHERE from_address NOT IN (SELECT unnest(?::VARCHAR[])) GROUP BY to_address""",
            [list(label)]).fetchall())
        rng = random.Random(7)
        for lab, what in (("1", "phishing"), ("0", "normal")):
            centres = sorted(a for a, l in label.items() if l == lab and a in payer and first.get(a)
                             and (str(first[a]) >= SPLIT) == (period == "late"))
            rng.shuffle(centres)
            named = done = flagged = 0
            for centre in centres[:n_cases]:
                t = time.perf_counter()
                try:
                    case = build_case(con, payer[centre], chain="ethereum", as_="victim", store=store)
                except PigtraceError:
                    continue
                timings.append(time.perf_counter() - t)
                done += 1
                hit = centre in {c["address"] for c in case.collection_wallets}
                named += hit
                flagged += hit and case.basis == "trace+findings"
            rows.append({"basis": name, "centres": what, "cases": done, "centre named collection": named,
                         "rate": round(named / done, 3) if done else None,
                         "named as a flagged receiver": flagged,
                         "flagged rate": round(flagged / done, 3) if done else None})
        if name == "with findings":
            sisters = {"1": 0, "0": 0}
            phishing = [a for a, l in label.items() if l == "1" and first.get(a)
                        and (str(first[a]) >= SPLIT) == (period == "late")]
            for centre in phishing[:n_cases]:
                try:
                    case = build_case(con, centre, chain="ethereum", as_="scam", store=store)
                except PigtraceError:
                    continue
                for c in case.collection_wallets:
                    if c["found"] != "paid by the subject" and c["address"] in label:
                        sisters[label[c["address"]]] += 1
            rows.append({"basis": name, "centres": "phishing, as scam", "cases": min(len(phishing), n_cases),
                         "centre named collection": f"sisters that are centres: {sisters['1']} phishing, "
                                                    f"{sisters['0']} normal", "rate": None,
                         "named as a flagged receiver": None, "flagged rate": None})
        con.close()
    cols = ["basis", "centres", "cases", "centre named collection", "rate", "named as a flagged receiver",
            "flagged rate"]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols))
    timings.sort()
    print(f"prepared (convert, ingest, analyze) in {prepared:.0f} s; case median "
          f"{1000 * timings[len(timings) // 2]:.0f} ms over {len(timings)} cases")


if __name__ == "__main__":
    main()
