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
import re
from collections import Counter, defaultdict
from pathlib import Path

from pigtrace.labels.hostnames import name_labels, registrable
from pigtrace.labels.url_corpus import BRIANLEECT, DAWSBOT, project_websites, website_host

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
            host = website_host(r["website"])
            if host is None:
                continue
            reg = registrable(host)
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


_BAD_LABELS = frozenset({"phish-hack", "heist", "exploit", "scam", "blocked", "ofac-sanctions-lists", "hack",
                         "fake-phishing", "spam-token", "suspicious", "rug-pull", "upbit-hack"})
_PROJECT_RE = re.compile(r"[a-z][a-z0-9]{3,19}")
_NOT_PROJECTS = frozenset({"token", "tokens", "coin", "coins", "finance", "protocol", "network", "wallet", "swap",
                           "exchange", "bridge", "contract", "deployer", "labs", "wrapped", "staked", "pool",
                           "vault", "router", "proxy", "account", "multisig", "address", "deposit", "hot",
                           "null", "burn", "dead", "test", "black", "white", "gold", "silver", "green",
                           "blue", "token2", "classic", "dollar", "world", "people", "games", "game", "chain",
                           "smart", "super", "money", "capital", "digital", "crypto", "global", "united",
                           "first", "meta", "base", "safe", "moon", "baby", "doge", "shiba", "inu", "pepe",
                           "trump", "elon", "project", "projects", "crypto", "cryptos", "official", "online",
                           "app", "apps", "dapp", "dapps", "defi", "nft", "nfts", "web3", "home", "info", "team"})


def derive_project_names(src: Path, lure_words: frozenset[str]) -> list[str]:
    """Names of crypto projects in the Etherscan-family labels (dawsbot/eth-labels 2024, brianleect 2023, both
    MIT): the first word of token names and of account name tags ("Balancer: Vault" -> balancer), label-cloud
    slugs of projects ("ether-fi" -> etherfi) and the names of token websites. A word is kept when it is 4 to
    20 letters, is no lure word and is not an ordinary word of many names (``_NOT_PROJECTS``, or inside more
    than five other names). Read by ``url_signals``: a project's name joined with a drainer lure word."""
    names: Counter[str] = Counter()

    def add(text: str) -> None:
        m = _PROJECT_RE.match(re.sub(r"[\s._-]", "", text.lower()))
        if m and m.group(0) == re.sub(r"[\s._-]", "", text.lower()):
            names[m.group(0)] += 1

    with open(src / DAWSBOT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["label"] in _BAD_LABELS or "phish" in r["name_tag"].lower():
                continue
            add(r["label"])
            tag = r["name_tag"]
            if tag:
                add(tag.split(":")[0] if ":" in tag else tag.split()[0])
            if host := website_host(r["website"]):
                if labels := name_labels(host):
                    add(labels[0])
    with open(src / BRIANLEECT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if set(r["labels"].split(";")) & _BAD_LABELS or "phish" in r["name_tag"].lower():
                continue
            for s in r["labels"].split(";"):
                add(s)
            if ":" in r["name_tag"]:
                add(r["name_tag"].split(":")[0])
    words = [w for w in names if w not in _NOT_PROJECTS and w not in lure_words and not w.isdigit()]
    short = [w for w in words if len(w) <= 8]
    return sorted(w for w in words if sum(w in o for o in short if o != w) <= 5)


def write_project_names(names: list[str], path: Path) -> None:
    path.write_text("# crypto project names (pigtrace labels build, from the Etherscan-family labels; MIT)\n"
                    + "\n".join(names) + "\n", encoding="utf-8")


def derive_project_domains(src: Path) -> list[str]:
    """The registrable domains of the Etherscan-family labels' project websites (``uniswap.org``, ``solv.finance``),
    sorted. Read by ``urls``: a name made of one of them with the dot dropped or made a hyphen, under another
    top-level domain (``solv-finance.shop``), imitates that project's site."""
    return sorted({registrable(h) for h in project_websites(src)})


def write_project_domains(domains: list[str], path: Path) -> None:
    path.write_text("# crypto projects' website domains (pigtrace labels build, from the Etherscan-family labels; MIT)\n"
                    + "\n".join(domains) + "\n", encoding="utf-8")
