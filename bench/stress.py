"""Stress bench (tracker issue 8, "an honest measuring stick"): pigtrace and a 60-line rule baseline on
simulated worlds whose structural choices are varied one knob at a time.

For each configuration — ``style=fixed`` alone (the simulator as the detectors were written against),
``style=random`` alone (every structural choice drawn per ring), and every knob value outside the fixed
style's choice, one knob at a time on top of ``style=fixed`` (share knobs at a few values) — and for each
seed, the bench runs the CLI, the stable contract:

    pigtrace simulate --out W --seed S --scale small [--chain C] --vary style=fixed --vary KNOB=VALUE
    pigtrace ingest etl W --db DB           (tron: pigtrace ingest trongrid W/trongrid)
    pigtrace labels import W/tagpack.yaml --db DB      (when the world brings a TagPack)
    pigtrace analyze --db DB
    pigtrace evaluate --truth W/truth.json --db DB --format json

and runs ``bench/baseline_rules60.py`` on the same warehouse, scored with the same definitions (per role
TP/FP/FN; an address flagged with a role the truth does not give it is a false positive; value share =
stolen USD that reaches a found cash-out). Figures per configuration are micro-averages over its seeds
(TP/FP/FN summed, then P/R/F1; value share = traced / stolen summed).

Seeds are split into **tuning** seeds (the developer may look at them while choosing thresholds) and
**reporting** seeds (figures to quote); the table shows the reporting seeds unless --show says otherwise.
By default the seeds start at 101, away from the seeds 1-14 the detectors were developed on.

``--generator alt`` writes the worlds with ``bench/alt_world.py`` instead: a second generator, written apart
from the simulator and the detectors, with its own economy, amounts, timing and ring structure (one
configuration, "alt"; no knobs; ``--chain tron`` gives the same worlds as a per-account TronGrid crawl). It
measures how detection carries to ledgers nobody tuned to.

The knob list is read from ``pigtrace simulate --list-knobs --format json``; a simulator without knobs
gets one configuration, "no-knobs" (today's world).

Usage:
  python bench/stress.py                                   # full matrix, 3 reporting seeds (101-103)
  python bench/stress.py --tune-seeds 1,2 --report-seeds 3,4,5 [--show all]
  python bench/stress.py --knobs paybacks,labelled_hot_wallets --seeds 2
  python bench/stress.py --knobs '' --no-anchors --config paybacks=none --config "sweeps=multi_hop+gas=exchange"
  python bench/stress.py --generator alt [--chain tron] --tune-seeds 1-6 --report-seeds 201-212 --show both
  python bench/stress.py --list                            # print the matrix and exit
Output: the table on stdout, progress on stderr, CSV at --out (default bench/out/stress.csv) and one row per
world and system beside it (stress_worlds.csv).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baseline_rules60  # noqa: E402

ROLES = ("victim", "scam_collection", "scam_operator", "laundering", "cash_out")
SHORT = {"victim": "victim", "scam_collection": "collection", "scam_operator": "operator",
         "laundering": "laundering", "cash_out": "cash_out"}
# values at which share knobs (values "0..1") are varied; others get SHARE_DEFAULT
SHARE_SWEEPS = {"labelled_hot_wallets": ["0", "0.3", "1.0"], "laundering_mixing": ["0.3", "0.6"]}
SHARE_DEFAULT = ["0", "0.3", "0.6", "1.0"]
ALT_WORLD = Path(__file__).resolve().parent / "alt_world.py"  # the second generator (--generator alt)
TAGPACKS = ("tagpack.yaml", "exchange-hot-wallets.yaml")  # the knob simulator's, and today's tron one

PIGTRACE = str(Path(sys.executable).parent / "pigtrace") if (Path(sys.executable).parent / "pigtrace").exists() \
    else (shutil.which("pigtrace") or "pigtrace")
_print_lock = threading.Lock()


def log(msg: str) -> None:
    with _print_lock:
        print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the matrix

def list_knobs() -> list[dict] | None:
    """The simulator's knobs, or None when this pigtrace has none."""
    try:
        p = subprocess.run([PIGTRACE, "simulate", "--list-knobs", "--format", "json"], capture_output=True,
                           text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    try:
        rows = json.loads(p.stdout)
    except json.JSONDecodeError:
        return None
    return rows if isinstance(rows, list) and rows and all("name" in r for r in rows) else None


def _values(k: dict) -> list[str]:
    v = k.get("values", [])
    return [x.strip() for x in (v.split("|") if isinstance(v, str) else v) if str(x).strip()]


def _is_share(k: dict) -> bool:
    return any(".." in v for v in _values(k))


def _same(a: str, b: str | None) -> bool:
    if b is None:
        return False
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def fixed_value(k: dict) -> str | None:
    """The knob's value under style=fixed: its 'fixed' field, else a non-random default."""
    if k.get("fixed") not in (None, ""):
        return str(k["fixed"])
    d = k.get("default")
    return None if d in (None, "", "random") else str(d)


def build_matrix(knobs: list[dict] | None, only: list[str] | None, anchors: bool,
                 extra: list[str], chain: str = "ethereum") -> list[tuple[str, list[str]]]:
    """[(config name, [KNOB=VALUE, ...])]; the vary list always starts with style=... when knobs exist. A knob
    whose ``chains`` leave out ``chain`` is varied only when ``only`` names it (its worlds would be style=fixed's)."""
    if knobs is None:
        if extra:
            sys.exit("stress: this pigtrace's simulator has no knobs (`simulate --list-knobs` failed); "
                     "--config needs them")
        return [("no-knobs", [])]
    names = {k["name"] for k in knobs}
    for n in only or []:
        if n not in names:
            sys.exit(f"stress: unknown knob {n!r}; knobs: {', '.join(sorted(names))}")
    out: list[tuple[str, list[str]]] = []
    if anchors:
        out += [("style=fixed", ["style=fixed"]), ("style=random", ["style=random"])]
    if only is None or only:
        for k in knobs:
            if k["name"] == "style" or (only and k["name"] not in only):
                continue
            if not only and chain not in k.get("chains", [chain]):
                continue
            fx = fixed_value(k)
            vals = SHARE_SWEEPS.get(k["name"], SHARE_DEFAULT) if _is_share(k) else _values(k)
            for v in vals:
                if not _same(v, fx):
                    out.append((f"{k['name']}={v}", ["style=fixed", f"{k['name']}={v}"]))
    for spec in extra:
        vary = [s.strip() for s in spec.split("+") if s.strip()]
        if not any(v.startswith("style=") for v in vary):
            vary = ["style=fixed", *vary]
        out.append((spec, vary))
    seen, uniq = set(), []
    for name, vary in out:
        if name not in seen:
            seen.add(name)
            uniq.append((name, vary))
    return uniq


def seed_list(text: str) -> list[int]:
    """'1,2,5' or '4-6' (or a mix) -> those seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds += range(int(lo), int(hi) + 1)
        elif part:
            seeds.append(int(part))
    return seeds


def parse_seeds(text: str, first: int) -> list[int]:
    """--seeds: 'N' -> N seeds from ``first``; a list or range -> those seeds."""
    text = text.strip()
    return list(range(first, first + int(text))) if text.isdigit() else seed_list(text)


def code_version() -> str:
    """HEAD's short hash, '+dirty.<hash of the src/ changes>' when src/ differs from it: the figures belong
    to this code."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=30).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", "src"], cwd=root, capture_output=True,
                              timeout=30).stdout
        new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "src"], cwd=root,
                             capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    for name in new.decode().split():
        diff += name.encode() + (root / name).read_bytes()
    return (head or "unknown") + (f"+dirty.{hashlib.sha1(diff).hexdigest()[:8]}" if diff else "")


# ---------------------------------------------------------------- one world

class StageError(Exception):
    def __init__(self, stage: str, msg: str) -> None:
        super().__init__(f"{stage}: {msg}")
        self.stage = stage


def _cli(stage: str, args: list[str], timeout: float) -> str:
    return _run(stage, [PIGTRACE, *args], timeout)


def _run(stage: str, cmd: list[str], timeout: float) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StageError(stage, f"timed out after {timeout:.0f} s") from None
    if p.returncode != 0:
        lines = [ln for ln in (p.stderr or p.stdout).strip().splitlines() if ln.strip()]
        raise StageError(stage, f"exit {p.returncode}: {lines[-1] if lines else '(no message)'}")
    return p.stdout


def _json(text: str):
    data = json.loads(text)
    return data[0] if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict) else data


def _knob_check(truth: dict, vary: list[str]) -> list[str]:
    """Varied knobs that some ring did not actually use (truth rings[].knobs), as readable notes."""
    notes = []
    for item in vary:
        name, _, value = item.partition("=")
        if name == "style" or value == "mixed":  # a mixed ring may record what it resolved to
            continue
        if name == "labelled_hot_wallets":
            share = truth.get("params", {}).get("tagpack", {}).get("share")
            if share is not None and not _same(value, str(share)):
                notes.append(f"{name}={value} but truth params.tagpack.share is {share}")
            continue
        used = [r.get("knobs", {}).get(name) for r in truth.get("rings", []) if name in r.get("knobs", {})]
        bad = [u for u in used if not _same(value, str(u))]
        if bad:
            notes.append(f"{name}={value} but {len(bad)}/{len(used)} rings drew {sorted(set(map(str, bad)))}")
    return notes


def run_world(cfg: str, vary: list[str], seed: int, split: str, a, work: Path) -> dict:
    slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", cfg)
    wdir = work / f"{slug}_seed{seed}"
    world, db = wdir / "world", wdir / "warehouse.duckdb"
    shutil.rmtree(wdir, ignore_errors=True)
    wdir.mkdir(parents=True)
    res: dict = {"config": cfg, "vary": " ".join(vary), "seed": seed, "split": split, "error": "", "notes": [],
                 "t": {}}
    stage_t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal stage_t
        now = time.perf_counter()
        res["t"][name] = round(now - stage_t, 2)
        stage_t = now

    try:
        if a.generator == "alt":
            info = _json(_run("simulate", [sys.executable, str(ALT_WORLD), "--out", str(world), "--seed", str(seed),
                                           "--chain", a.chain, *a.sim_arg], a.timeout))
        else:
            sim = ["simulate", "--out", str(world), "--seed", str(seed), "--scale", a.scale, "--chain", a.chain,
                   "--format", "json", *a.sim_arg]
            for v in vary:
                sim += ["--vary", v]
            info = _json(_cli("simulate", sim, a.timeout))
        res["transfers"] = info.get("transfers") if isinstance(info, dict) else None
        lap("simulate")
        if a.chain == "tron":
            _cli("ingest", ["ingest", "trongrid", str(world / "trongrid"), "--db", str(db)], a.timeout)
        else:
            _cli("ingest", ["ingest", "etl", str(world), "--db", str(db)], a.timeout)
        packs = [world / n for n in TAGPACKS if (world / n).exists()]
        if packs:
            _cli("labels", ["labels", "import", *map(str, packs), "--db", str(db)], a.timeout)
        res["tagpack"] = ",".join(p.name for p in packs)
        lap("ingest")
        _cli("analyze", ["analyze", "--db", str(db), "--format", "json"], a.timeout)
        lap("analyze")
        truth_path = world / "truth.json"
        ev = _json(_cli("evaluate", ["evaluate", "--truth", str(truth_path), "--db", str(db), "--format", "json"],
                        a.timeout))
        lap("evaluate")
        truth = json.loads(truth_path.read_text())
        res["rings"] = len(truth.get("rings", []))
        res["victims"] = sum(len(r.get("victims", [])) for r in truth.get("rings", []))
        # the value share's ceiling: every truth cash-out address found
        every = [(c["address"], "cash_out") for r in truth.get("rings", []) for c in r.get("cash_out", [])]
        res["value_max"] = baseline_rules60.score(every, truth)["traced_value"]
        res["notes"] += _knob_check(truth, vary)
        res["pigtrace"] = ev
        # cross-check: the bench's scorer on pigtrace's findings must agree with `pigtrace evaluate`
        import duckdb
        con = duckdb.connect(str(db), read_only=True)
        try:
            pairs = con.execute("SELECT address, role FROM findings WHERE chain = ?", [truth["chain"]]).fetchall()
            scored = con.execute("SELECT address, role, score FROM findings WHERE chain = ?", [truth["chain"]]).fetchall()
        finally:
            con.close()
        unseen = ev.get("unseen_addresses", [])  # truth addresses no data in the warehouse names
        res["calibration"] = calibration(scored, truth)
        mine = baseline_rules60.score(pairs, truth, unseen)
        theirs = {r["role"]: (r["tp"], r["fp"], r["fn"]) for r in ev["roles"]}
        diff = [r["role"] for r in mine["roles"] if theirs.get(r["role"]) != (r["tp"], r["fp"], r["fn"])]
        if diff or mine["traced_value"]["share"] != ev["traced_value"]["share"]:
            res["notes"].append(f"bench scorer disagrees with `pigtrace evaluate` on {diff or 'value share'}")
        if not a.no_baseline:
            found = baseline_rules60.run(str(db), truth["chain"])
            res["baseline"] = baseline_rules60.score(found, truth, unseen)
            lap("baseline")
    except StageError as e:
        res["error"] = str(e)
    except Exception as e:  # noqa: BLE001 - a broken world is a row, not the end of the bench
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        if not a.keep:
            shutil.rmtree(wdir, ignore_errors=True)
    return res


# ---------------------------------------------------------------- figures

BANDS = (0.5, 0.7, 0.9)  # score bands whose precision checks the scores' calibration (0.9: about 90%)


def calibration(scored: list[tuple], truth: dict) -> dict:
    """Per role and score band (from each of BANDS up to the next): [findings the truth confirms, findings]."""
    right = {(r["address"], r["role"]) for r in truth.get("roles", [])}
    out: dict = {}
    for address, role, score in scored:
        band = max((b for b in BANDS if score >= b), default=None)
        if band is None:
            continue
        acc = out.setdefault(role, {}).setdefault(str(band), [0, 0])
        acc[0] += (address, role) in right
        acc[1] += 1
    return out


def calibration_table(results: list[dict]) -> str:
    """Precision per role and score band, pooled over the worlds: a calibrated 0.9 reads about 0.9."""
    pooled: dict = {}
    for res in results:
        for role, bands in (res.get("calibration") or {}).items():
            for band, (ok, n) in bands.items():
                acc = pooled.setdefault(role, {}).setdefault(band, [0, 0])
                acc[0] += ok
                acc[1] += n
    heads = [f"{b}-{BANDS[i + 1] if i + 1 < len(BANDS) else 1.0}" for i, b in enumerate(BANDS)]
    lines = ["role              " + "  ".join(f"{h:>16}" for h in heads)]
    for role in ROLES:
        cells = []
        for b in BANDS:
            ok, n = pooled.get(role, {}).get(str(b), [0, 0])
            cells.append(f"{ok / n:6.2f} of {n:5d}" if n else f"{'-':>16}")
        lines.append(f"{role:16s}  " + "  ".join(f"{c:>16}" for c in cells))
    return "\n".join(lines)


def aggregate(results: list[dict], system: str) -> dict:
    """Micro-average of one system's scores over worlds: per role tp/fp/fn summed, value summed."""
    roles = {r: {"tp": 0, "fp": 0, "fn": 0, "truth": 0, "found": 0, "f1s": []} for r in (*ROLES, "all")}
    stolen = traced = reach = 0.0
    n = 0
    for res in results:
        sc = res.get(system)
        if not sc:
            continue
        n += 1
        for row in sc["roles"]:
            acc = roles.get(row["role"])
            if acc is None:
                continue
            for k in ("tp", "fp", "fn", "truth", "found"):
                acc[k] += row[k]
            acc["f1s"].append(row["f1"])
        stolen += sc["traced_value"]["stolen_usd"] or 0
        reach += res.get("value_max", {}).get("traced_usd") or 0
        traced += sc["traced_value"]["traced_usd"] or 0
    out = {"worlds": n, "stolen_usd": round(stolen, 2), "traced_usd": round(traced, 2),
           "value_share": round(traced / stolen, 4) if stolen else None,
           "value_max": round(reach / stolen, 4) if stolen else None}
    for role, acc in roles.items():
        f1s = [x for x in acc.pop("f1s") if x is not None]
        out[role] = {**acc, **baseline_rules60.prf(acc), "f1_min": min(f1s) if f1s else None}
    return out


def _f(x) -> str:
    return "  - " if x is None else f"{x:.2f}"


def table(rows: list[dict]) -> str:
    head = ["config", "seeds", "system"] + [f"{SHORT[r]} P/R/F1" for r in ROLES] + ["all F1", "value", "max"]
    body = []
    for row in rows:
        ag = row["agg"]
        body.append([row["config"], row["seeds"], row["system"]]
                    + [f"{_f(ag[r]['precision'])} {_f(ag[r]['recall'])} {_f(ag[r]['f1'])}" if ag["worlds"] else "failed"
                       for r in ROLES]
                    + [_f(ag["all"]["f1"]) if ag["worlds"] else "", _f(ag["value_share"]) if ag["worlds"] else "",
                       _f(ag["value_max"]) if ag["worlds"] else ""])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])]
    prev = None
    for cells in body:
        if prev is not None and cells[0] != prev:
            out.append("")
        out.append(line(cells if cells[0] != prev else ["", "", *cells[2:]]))
        prev = cells[0]
    return "\n".join(out)


def summary_rows(results: list[dict], configs: list[tuple[str, list[str]]], splits: list[str],
                 systems: list[str]) -> list[dict]:
    rows = []
    for split in splits:
        for cfg, vary in configs:
            mine = [r for r in results if r["config"] == cfg and r["split"] == split]
            if not mine:
                continue
            seeds = ",".join(str(r["seed"]) for r in sorted(mine, key=lambda r: r["seed"]))
            failed = [r for r in mine if r["error"]]
            for system in systems:
                rows.append({"config": cfg, "vary": " ".join(vary), "split": split, "seeds": seeds,
                             "system": system, "failed": len(failed), "agg": aggregate(mine, system)})
    return rows


def write_csv(path: Path, rows: list[dict], results: list[dict], systems: list[str], code: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = ["code", "config", "vary", "split", "seeds", "system", "worlds", "failed"]
    for r in (*ROLES, "all"):
        cols += [f"{r}_{k}" for k in ("truth", "found", "tp", "fp", "fn", "precision", "recall", "f1", "f1_min")]
    cols += ["stolen_usd", "traced_usd", "value_share", "value_max"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for row in rows:
            ag = row["agg"]
            flat = {k: row[k] for k in ("config", "vary", "split", "seeds", "system", "failed")}
            flat["code"] = code
            flat.update(worlds=ag["worlds"], stolen_usd=ag["stolen_usd"], traced_usd=ag["traced_usd"],
                        value_share=ag["value_share"], value_max=ag["value_max"])
            for r in (*ROLES, "all"):
                for k in ("truth", "found", "tp", "fp", "fn", "precision", "recall", "f1", "f1_min"):
                    flat[f"{r}_{k}"] = ag[r][k]
            w.writerow(flat)
    wpath = path.with_name(path.stem + "_worlds.csv")
    wcols = ["code", "config", "vary", "seed", "split", "system", "transfers", "rings", "victims", "tagpack"]
    wcols += [f"{r}_{k}" for r in (*ROLES, "all") for k in ("tp", "fp", "fn", "f1")]
    wcols += ["value_share", "value_max", "t_simulate", "t_ingest", "t_analyze", "t_evaluate", "t_baseline", "error", "notes"]
    with wpath.open("w", newline="") as fh:
        w = csv.DictWriter(fh, wcols, extrasaction="ignore")
        w.writeheader()
        for res in sorted(results, key=lambda r: (r["config"], r["seed"])):
            for system in systems:
                flat = {k: res.get(k, "") for k in ("config", "vary", "seed", "split", "transfers", "rings",
                                                    "victims", "tagpack", "error")}
                flat.update(code=code, system=system, notes="; ".join(res["notes"]),
                            **{f"t_{k}": v for k, v in res["t"].items()})
                sc = res.get(system)
                if sc:
                    for row in sc["roles"]:
                        for k in ("tp", "fp", "fn", "f1"):
                            flat[f"{row['role']}_{k}"] = row[k]
                    flat["value_share"] = sc["traced_value"]["share"]
                    flat["value_max"] = res.get("value_max", {}).get("share")
                w.writerow(flat)
    return wpath


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="pigtrace vs a 60-line rule baseline on knob-varied simulated worlds",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--seeds", default="3", help="N (N seeds from --first-seed: '102' is 102 seeds; seed 102 alone "
                    "is '102-102') or a list '1,2,5' / range '4-6'; reporting seeds when --report-seeds is not given "
                    "(default 3)")
    ap.add_argument("--first-seed", type=int, default=101)
    ap.add_argument("--tune-seeds", default="", help="seeds the developer tunes on, e.g. 1,2")
    ap.add_argument("--report-seeds", default="", help="seeds whose figures are reported, e.g. 3,4,5")
    ap.add_argument("--show", choices=["report", "tune", "all", "both"], default="report",
                    help="which seeds' figures to print: report (default), tune, all (pooled) or both (two tables)")
    ap.add_argument("--scale", default="small")
    ap.add_argument("--chain", default="ethereum", choices=["ethereum", "tron"])
    ap.add_argument("--sim-arg", action="append", default=[], help="extra argument for `pigtrace simulate` (or "
                    "bench/alt_world.py), e.g. --sim-arg=--days=60 (repeatable)")
    ap.add_argument("--generator", choices=["simulate", "alt"], default="simulate",
                    help="who writes the worlds: `pigtrace simulate` with its knobs (default), or bench/alt_world.py, "
                    "a second generator written apart from the simulator and the detectors (one configuration, "
                    "'alt'; with --chain tron it writes a TronGrid crawl: bare TRC-20 rows and TRX transfers)")
    ap.add_argument("--knobs", default=None, help="vary only these knobs (comma list); '' for the anchors only")
    ap.add_argument("--config", action="append", default=[], help="an extra configuration, KNOB=VALUE[+KNOB=VALUE...] "
                    "(style=fixed is added unless a style is given); repeatable")
    ap.add_argument("--no-anchors", action="store_true", help="leave out the style=fixed and style=random rows")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="worlds run in parallel (default 2)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per CLI call")
    ap.add_argument("--work", default=None, help="working folder (default: a temp dir, removed afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep worlds and warehouses")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out" / "stress.csv"))
    ap.add_argument("--list", action="store_true", help="print the configurations and seeds, run nothing")
    a = ap.parse_args(argv)

    knobs = list_knobs()
    only = None if a.knobs is None else [k.strip() for k in a.knobs.split(",") if k.strip()]
    if a.generator == "alt":
        configs = [("alt", [])]
    else:
        configs = build_matrix(knobs, only, not a.no_anchors, a.config, a.chain)
    tune = seed_list(a.tune_seeds) if a.tune_seeds else []
    report = seed_list(a.report_seeds) if a.report_seeds else ([] if tune else parse_seeds(a.seeds, a.first_seed))
    if tune and not report:
        report = parse_seeds(a.seeds, a.first_seed)
    overlap = set(tune) & set(report)
    if overlap:
        sys.exit(f"stress: seeds {sorted(overlap)} are both tuning and reporting seeds")
    splits = {"tune": tune, "report": report}
    jobs = [(cfg, vary, s, split) for cfg, vary in configs for split, ss in splits.items() for s in ss]
    log(f"stress: {len(configs)} configurations x seeds tune={tune} report={report} = {len(jobs)} worlds "
        f"({a.scale}, {a.chain}; knobs {'from --list-knobs' if knobs else 'unavailable: today simulator'})")
    if a.list:
        for cfg, vary in configs:
            print(f"{cfg:32s} {' '.join('--vary ' + v for v in vary)}")
        return 0
    if not jobs:
        sys.exit("stress: nothing to run")

    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="pigtrace-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    code = code_version()
    log(f"stress: code {code}")
    t0 = time.perf_counter()
    results: list[dict] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            futs = {pool.submit(run_world, cfg, vary, s, split, a, work): (cfg, s) for cfg, vary, s, split in jobs}
            for i, fut in enumerate(as_completed(futs), 1):
                res = fut.result()
                results.append(res)
                t = res["t"]
                if res["error"]:
                    msg = f"FAILED {res['error']}"
                else:
                    pf = res["pigtrace"]["roles"][-1]["f1"]
                    bf = res["baseline"]["roles"][-1]["f1"] if "baseline" in res else None
                    msg = (f"all-F1 pigtrace {_f(pf)} baseline {_f(bf)}  value {_f(res['pigtrace']['traced_value']['share'])}"
                           f"  ({' '.join(f'{k} {v:.0f}s' for k, v in t.items())})")
                log(f"[{i}/{len(jobs)} {time.perf_counter() - t0:5.0f}s] {res['config']} seed {res['seed']}: {msg}")
                for note in res["notes"]:
                    log(f"    note: {note}")
    finally:
        if not a.keep and not a.work:
            shutil.rmtree(work, ignore_errors=True)
        elif a.keep:
            log(f"stress: worlds kept under {work}")

    systems = ["pigtrace"] + ([] if a.no_baseline else ["baseline"])
    all_rows = summary_rows(results, configs, ["tune", "report"], systems)
    pooled = summary_rows([dict(r, split="all") for r in results], configs, ["all"], systems)
    rows = all_rows + pooled
    end = code_version()
    if end != code:
        log(f"stress: WARNING the code changed during the run ({code} -> {end}); figures mix versions")
        code = f"{code}..{end}"
    wpath = write_csv(Path(a.out), rows, results, systems, code)
    shows = {"report": ["report"], "tune": ["tune"], "all": ["all"], "both": ["tune", "report"]}[a.show]
    for split in shows:
        sel = [r for r in rows if r["split"] == split]
        if not sel:
            print(f"(no {split} seeds)")
            continue
        print(f"\n{split} seeds — micro-averaged over seeds; P R F1 per role; value = share of stolen USD "
              f"reaching a found cash-out (max: if every truth cash-out were found); {a.scale} {a.chain} worlds; "
              f"code {code}")
        print(table(sel))
    report = [r for r in results if a.show == "all" or r["split"] in shows]
    print(f"\nscore calibration ({', '.join(shows)} seeds, every configuration pooled): precision of the findings "
          "in each score band")
    print(calibration_table(report))
    failed = [r for r in results if r["error"]]
    print(f"\n{len(results)} worlds, {len(failed)} failed, {time.perf_counter() - t0:.0f} s wall; "
          f"CSV: {a.out} and {wpath}")
    for r in failed:
        print(f"  failed: {r['config']} seed {r['seed']}: {r['error']}")
    notes = sorted({n for r in results for n in r["notes"]})
    for n in notes:
        print(f"  note: {n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
