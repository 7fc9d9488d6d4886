"""The brand set ``check-url`` compares hosts with: hand-written brands plus brands derived from the labels.

Part of the label build (``labels/build.py`` writes ``brands-derived.csv``) and read by ``labels/urls.py``.
``brands.csv`` is written by hand (exchanges, wallets, MetaTrader and brokers, big platforms). The derived
brands come from the Etherscan-family token labels (dawsbot/eth-labels, MIT): a project website is a brand when
the explorer has a label page of the project's own name (``uniswap`` for uniswap.org) or many of its tokens
point at it; its kind comes from the label categories (DEX, NFT, bridge, wallet, lending, staking...). Derived
names count only when disguised or next to a lure word (``*``), since many are ordinary words ("compound").
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from pigtrace.errors import PigtraceError
from pigtrace.labels.hostnames import name_labels, parse_host, registrable
from pigtrace.labels.url_corpus import DAWSBOT

_KINDS = {  # label-cloud category -> brand kind, strongest first
    "exchange": "exchange", "wallet-app": "wallet", "bridge": "bridge", "nft": "nft_market",
    "dex": "dex", "loans": "defi", "lending": "defi", "staking": "defi", "yield-farming": "defi",
    "launchpad": "defi", "stablecoin": "issuer", "trading": "trading_platform",
}
MIN_TOKENS = 8  # a website this many labelled tokens point at is a known project


def derive_brands(src: Path, known_domains: set[str]) -> list[dict]:
    """Rows (brand, kind, domains, keywords) of the derived brands, sorted by name."""
    tokens: Counter[str] = Counter()
    slugs: dict[str, set[str]] = defaultdict(set)
    with open(src / DAWSBOT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if not r["website"]:
                continue
            try:
                reg = registrable(parse_host(r["website"])[0])
            except PigtraceError:
                continue
            tokens[reg] += 1
            slugs[reg].add(r["label"])
    by_word: dict[str, dict] = {}
    for reg, n in tokens.items():
        labels = name_labels(reg)
        if not labels or reg in known_domains:
            continue
        word = labels[0].replace("-", "")
        own = word in {s.replace("-", "") for s in slugs[reg]}
        if len(word) < 5 or word.isdigit() or not (own or n >= MIN_TOKENS):
            continue
        if sum(word in other for other in tokens) > 2:
            continue  # inside other projects' names too: an ordinary word ("gold", "liquid")
        kind = next((k for c, k in _KINDS.items() if c in slugs[reg]), "defi")
        b = by_word.setdefault(word, {"brand": labels[0], "kind": kind,
                                      "domains": [], "keywords": word + "*"})
        b["domains"].append(reg)
    return [{**b, "domains": " ".join(sorted(b["domains"]))} for _, b in sorted(by_word.items())]


def write_brands(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["brand", "kind", "domains", "keywords"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
