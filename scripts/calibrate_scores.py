"""Fit the per-role score calibration (detect/calibration) and write src/pigtrace/data/models/calibration.json.

Each world of scripts/train_collection_model.py's training list (simulated through the CLI, cached in
--work) is analysed with raw scores (``PIGTRACE_RAW_SCORES=1``); every finding is one point (its role's
combined score, whether the world's truth gives the address that role), and an isotonic regression per
role maps scores to the share that were right. The check worlds (seeds 41-46) give the precision per
calibrated band that the file records and `pigtrace detectors` prints. Tron gets a table of its own, fitted
the same way on Tron worlds (TRON_TRAIN, TRON_CHECK). The stress bench's seeds (101-103) are used by neither. Run it after scripts/train_collection_model.py.

Usage: python scripts/calibrate_scores.py [--work DIR] [--out FILE] [--only default|tron]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_collection_model as worlds  # noqa: E402

from pigtrace.detect.calibration import fit, step_value  # noqa: E402
from pigtrace.detect.run import analyze  # noqa: E402
from pigtrace.store.warehouse import connect  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src/pigtrace/data/models/calibration.json"
BANDS = worlds.BANDS


# Tron's own table: worlds of Tron's crawl knobs and of the knobs the detectors find hardest there, none of
# them a stress bench reporting seed (101-103)
TRON_KNOBS = ["labelled_hot_wallets=0", "tron_detail=0", "tron_account_history=0.3", "exchange_use=mixed",
              "collection_hold=months", "payment_route=exchange", "deposit_wallets=per_victim", "gas=exchange"]
TRON_TRAIN = ([(f"tron_rand{s}", s, ["style=random"]) for s in range(1, 9)]
              + [(f"tron_fix{s}", s, ["style=fixed"]) for s in (1, 2)]
              + [(f"tron_k{i}_{k.split('=')[0]}", i, ["style=fixed", k]) for i, k in enumerate(TRON_KNOBS, start=3)])
TRON_CHECK = [(f"tron_check{s}", s, ["style=random"]) for s in range(41, 47)]


def points(work: Path, name: str, seed: int, vary: list[str], tmp: Path,
           chain: str = "ethereum") -> list[tuple[str, float, bool]]:
    """(role, raw score, right) of every finding analyze makes on the world."""
    db = worlds.world(work, name, seed, vary, chain)
    copy = tmp / f"{name}.duckdb"
    shutil.copy(db, copy)
    truth = json.loads((work / name / "truth.json").read_text())
    right = {(r["address"], r["role"]) for r in truth["roles"]}
    con = connect(copy)  # brings an older warehouse's schema up to date
    analyze(con)
    rows = con.execute("SELECT address, role, score FROM findings").fetchall()
    con.close()
    copy.unlink()
    return [(role, float(score), (address, role) in right) for address, role, score in rows]


def fitted(train: list, check: list, train_worlds: list, check_worlds: list) -> dict:
    """Steps per role fitted on ``train`` points, with the precision per calibrated band on ``check``."""
    roles = {}
    for role in sorted({p[0] for p in train}):
        s = np.array([p[1] for p in train if p[0] == role])
        y = np.array([p[2] for p in train if p[0] == role], dtype=float)
        starts, values = fit(s, y)
        roles[role] = {"starts": starts, "values": values, "points": int(len(s))}
    check_rows = {}
    for role in roles:
        got = [(step_value(roles[role], s), ok) for r, s, ok in check if r == role]
        row = {}
        for i, lo in enumerate(BANDS):
            hi = BANDS[i + 1] if i + 1 < len(BANDS) else 1.01
            inside = [ok for c, ok in got if lo <= c < hi]
            row[f"{lo}"] = {"findings": len(inside),
                            "precision": round(sum(inside) / len(inside), 3) if inside else None}
        row["below 0.5"] = {"findings": sum(1 for c, _ in got if c < 0.5),
                            "precision": round(np.mean([ok for c, ok in got if c < 0.5]), 3)
                            if any(c < 0.5 for c, _ in got) else None}
        check_rows[role] = row
    return {"roles": roles, "info": {
        "what": "per-role isotonic calibration of the combined finding score (detect/calibration)",
        "fitted": str(date.today()),
        "train_worlds": [f"seed {s} {' '.join(v)}" for _, s, v in train_worlds],
        "check_worlds": [f"seed {s} {' '.join(v)}" for _, s, v in check_worlds],
        "check": check_rows,
    }}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench/out/collection-worlds")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", choices=["default", "tron"],
                    help="refit only this table (the default one, on Ethereum worlds, or Tron's) and keep the other "
                         "as --out has it")
    a = ap.parse_args()
    os.environ["PIGTRACE_RAW_SCORES"] = "1"
    table = json.loads(a.out.read_text()) if a.only and a.out.exists() else {}
    tmp = Path(tempfile.mkdtemp(prefix="pigtrace-calibrate-"))
    try:
        if a.only in (None, "default"):
            table.update(fitted([p for w in worlds.TRAIN for p in points(a.work, *w, tmp)],
                                [p for w in worlds.CHECK for p in points(a.work, *w, tmp)], worlds.TRAIN, worlds.CHECK))
        if a.only in (None, "tron"):
            table.setdefault("chains", {})["tron"] = fitted(
                [p for w in TRON_TRAIN for p in points(a.work, *w, tmp, "tron")],
                [p for w in TRON_CHECK for p in points(a.work, *w, tmp, "tron")], TRON_TRAIN, TRON_CHECK)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    a.out.write_text(json.dumps(table, indent=1) + "\n")
    print(json.dumps({"default": table.get("info", {}).get("check"),
                      "tron": table.get("chains", {}).get("tron", {}).get("info", {}).get("check")}, indent=1))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
