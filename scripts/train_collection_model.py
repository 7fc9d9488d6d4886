"""Fit the scam-collection evidence model (detect/collection_evidence) and write it to
src/pigtrace/data/models/collection.json.

Trained on simulated worlds only, through the CLI (simulate -> ingest etl -> labels import), never on the
evaluation-only real data: training worlds are seeds 1-8 with every knob drawn per ring (style=random, the
collection wallets' hold kept short: see RANDOM) plus style=fixed worlds with one knob each (seeds 1-13); the
check worlds the precision table comes from are seeds 41-46, random. The stress bench's seeds (101-103) and
the case bench's held-out seeds (31-34) are used by neither. Every candidate wallet (a non-service wallet that
received value) is one row; the truth's scam_collection wallets are the positives.

Usage: python scripts/train_collection_model.py [--work DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np

from pigtrace.detect import collection_features as cf
from pigtrace.detect.evidence_model import fit, save
from pigtrace.detect.run import stage_tables
from pigtrace.store.warehouse import connect

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src/pigtrace/data/models/collection.json"
KNOBS = ["paybacks=none", "round_amounts=no", "payment_route=exchange", "payment_route=relay",
         "deposit_wallets=per_victim", "sweeps=multi_hop", "labelled_hot_wallets=0", "laundering_mixing=0.6",
         "wallet_reuse=yes", "gas=exchange", "growth=noisy", "pace=slow"]
# The random worlds keep their collection wallets' hold short (collection_hold=hours, as every world had when
# the shipped model was fitted): fitted with the knob drawn too (weeks-long holds), the model all but
# dropped the holding time (weight -1.5 -> -0.15) and on XBlock's accounts first seen before 2018 (the period
# thresholds are chosen on) F1 fell from 0.746 to 0.673, twice the normal accounts flagged: on real accounts
# the short-hold prior is what keeps normal wallets out. Rings that hold are found by collection_evidence's
# held-ring, courted, taken-from-many and brief-life rules instead. Fitted as below, the weights are within
# 0.2 of the shipped ones and XBlock's choose-period F1 is 0.744.
RANDOM = ["style=random", "collection_hold=hours"]
TRAIN = ([(f"rand{s}_hours", s, RANDOM) for s in range(1, 9)]
         + [(f"fix{s}", s, ["style=fixed"]) for s in (1, 2)]
         + [(f"k{i}_{k.split('=')[0]}", i, ["style=fixed", k]) for i, k in enumerate(KNOBS, start=3)])
CHECK = [(f"check{s}_hours", s, RANDOM) for s in range(41, 47)]
BANDS = (0.5, 0.7, 0.9)
L2 = 1.0


def world(work: Path, name: str, seed: int, vary: list[str], chain: str = "ethereum") -> Path:
    """The world's warehouse, made through the CLI unless it is already there."""
    w, db = work / name, work / f"{name}.duckdb"
    if db.exists():
        return db
    exe = [sys.executable, "-m", "pigtrace"]
    varies = [a for v in vary for a in ("--vary", v)]
    tmp = work / f"{name}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    source = ["etl", str(w)] if chain == "ethereum" else ["trongrid", str(w / "trongrid")]
    for args in (["simulate", "--out", str(w), "--seed", str(seed), "--scale", "small", "--chain", chain, *varies],
                 ["ingest", *source, "--db", str(tmp)],
                 ["labels", "import", str(w / "tagpack.yaml"), "--db", str(tmp)]):
        subprocess.run(exe + args, check=True, capture_output=True)
    tmp.rename(db)
    return db


def rows(work: Path, name: str, seed: int, vary: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(model input, labels) of one world's candidates."""
    db = world(work, name, seed, vary)
    truth = json.loads((work / name / "truth.json").read_text())
    con = connect(db)
    with stage_tables(con, "collection_scores"):  # the features as analyze computes them
        keys, raw = cf.matrix(con)
    con.close()
    positive = {f"{truth['chain']}:{r['address']}" for r in truth["roles"] if r["role"] == "scam_collection"}
    return cf.transform(raw), np.array([k in positive for k in keys], dtype=np.float64)


def bands(p: np.ndarray, y: np.ndarray) -> list[dict]:
    """Precision and recall at each score threshold (and the precision inside each band)."""
    out = []
    for i, lo in enumerate(BANDS):
        hi = BANDS[i + 1] if i + 1 < len(BANDS) else 1.01
        inside = (p >= lo) & (p < hi)
        above = p >= lo
        out.append({"from": lo, "to": min(hi, 1.0), "wallets": int(inside.sum()),
                    "precision_in_band": round(float(y[inside].mean()), 3) if inside.any() else None,
                    "precision_at_or_above": round(float(y[above].mean()), 3) if above.any() else None,
                    "recall_at_or_above": round(float(y[above].sum() / max(y.sum(), 1)), 3)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench/out/collection-worlds")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    train = [rows(a.work, *w) for w in TRAIN]
    check = [rows(a.work, *w) for w in CHECK]
    X = np.vstack([p[0] for p in train])
    y = np.concatenate([p[1] for p in train])
    own = fit(X, y, list(cf.FEATURES), cf.SIGNS, l2=L2)
    Xc = np.vstack([p[0] for p in check])
    yc = np.concatenate([p[1] for p in check])
    pc = own.score(Xc)
    info = {
        "what": "scam_collection evidence model (detect/collection_evidence)",
        "trained": str(date.today()), "l2": L2,
        "train_worlds": [f"seed {s} {' '.join(v)}" for _, s, v in TRAIN],
        "train_rows": int(len(y)), "train_positives": int(y.sum()),
        "check_worlds": [f"seed {s} {' '.join(v)}" for _, s, v in CHECK],
        "check_rows": int(len(yc)), "check_positives": int(yc.sum()),
        "check": bands(pc, yc),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    own.info = info
    save(a.out, own)
    model = own
    print(json.dumps({f: round(float(w), 2) for f, w in zip(model.features, model.weights)}, indent=1))
    print(json.dumps(info["check"]))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
