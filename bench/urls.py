"""Website checks on real data: recall on new phishing domains, false positives on project sites, speed.

Usage: python bench/urls.py PATH_TO_SCAMSNIFFER [--data ../shared/data] [--sample N] [--sweep]

PATH_TO_SCAMSNIFFER is the folder holding ScamSniffer's ``scamsniffer_blacklist_first_seen.csv.gz`` (GPL-3.0,
evaluation only: read here, never shipped, nothing trained on it). Recall is the share of its phishing
domains that ``check-url`` flags (blocked, lookalike or suspicious), by the year ScamSniffer first listed them:
thresholds are chosen on the years before 2026 and the 2026 figure is the one that counts. False positives are
the project websites of the Etherscan-family labels (``--data``) that are flagged, on the held-out ``test`` part of the
split the model was trained with (``pigtrace.labels.url_corpus``; ``train`` and ``tune`` are fitted on); sites that are a
brand's official domain (allowed by definition) are left out and counted. Throughput: URLs per second, one batch.
``--sweep`` prints, for a range of thresholds and separately for hosts on a free hosting subdomain, on a cheap or
abused top-level domain and elsewhere (the score's bars, ``urls.BARS``), the false positives on the fitted parts'
sites scored out of fold (``lexical_train.out_of_fold``: five fits, several minutes) and the domains of the years
before 2026 flagged (never ``test`` or 2026): what the bars are chosen on.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import sys
import time
from pathlib import Path

from pigtrace.labels.lexical_train import out_of_fold
from pigtrace.labels.url_corpus import FIT_PARTS, project_websites, split_of
from pigtrace.labels.url_signals import SIGNALS, strong_drainer_word
from pigtrace.labels.urls import BARS, DRAINER_THRESHOLD, THRESHOLD, check_urls, checker

FLAGGED = {"blocked", "lookalike", "suspicious"}


def scamsniffer_domains(folder: Path) -> dict[str, list[str]]:
    by_year: dict[str, list[str]] = {}
    with gzip.open(folder / "scamsniffer_blacklist_first_seen.csv.gz", "rt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["type"] == "domain":
                by_year.setdefault(r["first_seen"][:4], []).append(r["value"])
    return by_year


def rate(results: list[dict]) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return sum(counts.get(v, 0) for v in FLAGGED) / max(len(results), 1), counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scamsniffer", type=Path)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--sample", type=int, default=0, help="check at most N domains per year (0: all)")
    ap.add_argument("--show", type=int, default=0, help="print N missed 2026 domains and N false positives")
    ap.add_argument("--sweep", action="store_true", help="thresholds against the fitted sites out of fold and the years before 2026 only")
    args = ap.parse_args()
    if args.sweep:
        return sweep(args)
    rng = random.Random(7)
    by_year = scamsniffer_domains(args.scamsniffer)
    checker()  # indexes and model loaded once, as a screening service would
    print("recall on ScamSniffer phishing domains, by year first listed (2026 held out)")
    missed = []
    for year in sorted(by_year):
        doms = by_year[year]
        if args.sample and len(doms) > args.sample:
            doms = rng.sample(doms, args.sample)
        res = check_urls(doms)
        r, counts = rate(res)
        print(f"  {year}: {r:.3f} of {len(doms):,}  {dict(sorted(counts.items()))}")
        if year == "2026":
            missed = [x["url"] for x in res if x["verdict"] not in FLAGGED]
    sites = project_websites(args.data)
    res = check_urls(sites)
    print("false-positive rate on Etherscan-labelled project websites (brand official domains left out)")
    fps = []
    for part in ("train", "tune", "test"):
        rows = [x for s, x in zip(sites, res) if split_of(s) == part]
        official = [x for x in rows if x["verdict"] == "allowed" and str(x.get("source", "")).startswith("official")]
        kept = [x for x in rows if x not in official]
        r, counts = rate(kept)
        print(f"  {part}{' (fitted on)' if part in FIT_PARTS else ''}: {r:.4f} of {len(kept):,} "
              f"({len(official)} official brand domains left out)  {dict(sorted(counts.items()))}")
        if part == "test":
            fps = [x for x in kept if x["verdict"] in FLAGGED]
    batch = [d for ds in by_year.values() for d in ds[:20_000]] + sites
    rng.shuffle(batch)
    batch = ("https://" + d + "/" for d in batch)
    batch = list(batch)[:50_000]
    checker().clear_caches()  # cold: the batch's names were checked above
    t0 = time.perf_counter()
    check_urls(batch)
    dt = time.perf_counter() - t0
    print(f"throughput: {len(batch) / dt:,.0f} URLs/s ({len(batch):,} URLs in {dt:.2f} s, one process, cold caches)")
    if args.show:
        print("missed 2026:", *rng.sample(missed, min(args.show, len(missed))), sep="\n  ")
        print("false positives (test):", *(f"{x['url']}: {x['verdict']} {x.get('source')}"
                                          for x in fps[: args.show]), sep="\n  ")
    return 0


def segment(r: dict) -> str:
    """Where a checked host lives, as the score's bars see it (``urls.BARS``): 'free_hosting', 'abused_tld', 'other'."""
    for signal in BARS:
        if any(s.startswith(SIGNALS[signal] + " (") for s in r.get("signals", ())):
            return signal
    return "other"


def _flag_at(results: list[dict], t: float | dict[str, float]) -> list[bool]:
    """Whether each result would be flagged at threshold ``t`` (one for all, or one per ``segment``; lists,
    look-alikes, the drainer-word rules and the lower bar for a drainer lure word do not depend on it)."""
    rules = (SIGNALS["project_lure"], SIGNALS["drainer_name"])
    bar = (lambda r: t[segment(r)]) if isinstance(t, dict) else (lambda r: t)
    return [r["verdict"] in ("blocked", "lookalike") or r.get("score", 0.0) >= bar(r)
            or any(s.startswith(rules) for s in r.get("signals", ()))
            or (r.get("score", 0.0) >= DRAINER_THRESHOLD and any(map(_strong, r.get("signals", ()))))
            for r in results]


def _strong(signal: str) -> bool:
    """Whether a verdict's signal text names a drainer lure word of ``drainer_names``."""
    if not signal.startswith(SIGNALS["drainer_lure"] + " ("):
        return False
    return strong_drainer_word({"drainer_lure": signal[len(SIGNALS["drainer_lure"]) + 2: -1]}) is not None


def sweep(args) -> int:
    by_year = scamsniffer_domains(args.scamsniffer)
    rng = random.Random(7)
    years = {}
    for year in sorted(y for y in by_year if y < "2026"):
        doms = by_year[year]
        if args.sample and len(doms) > args.sample:
            doms = rng.sample(doms, args.sample)
        years[year] = check_urls(doms)
    sites = [s for s in project_websites(args.data) if split_of(s) in FIT_PARTS]
    oof = out_of_fold(args.data, checker())
    fitted = []
    for s, r in zip(sites, check_urls(sites)):
        if r["verdict"] == "allowed" and str(r.get("source", "")).startswith("official"):
            continue
        if "score" in r:
            r["score"] = oof[s]  # the score of a model fitted without the site's fold
        fitted.append(r)
    shipped = {"other": THRESHOLD, **{k: bar for k, (bar, _) in BARS.items()}}
    pooled = [r for res in years.values() for r in res]
    print(f"by where the host lives: false positives out of fold, {'+'.join(FIT_PARTS)} sites  /  domains of "
          f"{min(years)}-{max(years)} flagged")
    segs = list(shipped)
    print("threshold  " + "  ".join(f"{g} ({sum(segment(r) == g for r in fitted)} sites, "
                                     f"{sum(segment(r) == g for r in pooled):,} domains)" for g in segs))
    for t in (0.8, 0.9, 0.93, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995):
        cells = []
        for g in segs:
            f = [r for r in fitted if segment(r) == g]
            p = [r for r in pooled if segment(r) == g]
            cells.append(f"{sum(_flag_at(f, t)):>4} / {sum(_flag_at(p, t)):>6,}")
        print(f"  {t:<8} " + "   ".join(cells))
    fp = sum(_flag_at(fitted, shipped))
    rec = "  ".join(f"{y}: {sum(_flag_at(res, shipped)) / max(len(res), 1):.3f}" for y, res in years.items())
    print(f"shipped bars {shipped}: {fp} sites ({fp / max(len(fitted), 1):.2%}) out of fold; recall {rec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
