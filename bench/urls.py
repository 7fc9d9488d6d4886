"""Website checks on real data: recall on new phishing domains, false positives on project sites, speed.

Usage: python bench/urls.py PATH_TO_SCAMSNIFFER [--data ../shared/data] [--sample N]

PATH_TO_SCAMSNIFFER is the folder holding ScamSniffer's ``scamsniffer_blacklist_first_seen.csv.gz`` (GPL-3.0,
evaluation only: read here, never shipped, nothing trained on it). Recall is the share of its phishing
domains that ``check-url`` flags (blocked, lookalike or suspicious), by the year ScamSniffer first listed them:
thresholds are chosen on the years before 2026 and the 2026 figure is the one that counts. False positives are
the project websites of the Etherscan-family labels (``--data``) that are flagged, on the ``tune`` and the held-out
``test`` part of the split the model was trained with (``pigtrace.labels.url_corpus``); sites that are a brand's
official domain (allowed by definition) are left out and counted. Throughput: URLs per second, one batch.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import sys
import time
from pathlib import Path

from pigtrace.labels.url_corpus import project_websites, split_of
from pigtrace.labels.urls import check_urls, checker

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
    args = ap.parse_args()
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
        print(f"  {part}{' (trained on)' if part == 'train' else ''}: {r:.4f} of {len(kept):,} "
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


if __name__ == "__main__":
    sys.exit(main())
