"""Website screening (``pigtrace check-url``): block lists, the allow list, brand look-alikes, learned score.

Verdicts, in the order they win:
``allowed``    the host (or a parent domain) is an official brand domain or on MetaMask's allow list;
``blocked``    the host or a parent domain is on a block list (MetaMask, Sophos X-Ops, CryptoScamDB), or the
               URL/path is a listed scam URL/kit path; only list hits are blocked;
``lookalike``  the host imitates a brand scammers copy (``brandset``: exchanges, wallets, DeFi, NFT markets,
               bridges, MetaTrader and brokers, MetaMask's protected domains): typosquat (edit distance over the
               brand set, ``rapidfuzz``), homoglyphs and punycode (TR39 skeleton), extra or swapped words
               ("trust-wallet", "wallet-trustt"), the brand's name under another TLD or inside another name, or joined
               with a lure or companion word ("aavenetwork"), a brand's or a project's domain with its dot dropped
               or made a hyphen ("solv-finance.shop");
``suspicious`` no brand matched, but the learned score (``lexical``: character n-grams, the signals of
               ``url_signals`` and the name-shape bins of ``url_shape``) is at least ``THRESHOLD`` (lower on a free hosting
               subdomain or a cheap top-level domain: ``BARS``; ``DRAINER_THRESHOLD``
               when a name holds a word of fake claim, vote or allocation pages: "claim.x.network"), or the name
               hyphenates a crypto project's name with a drainer lure word (the ``project_lure`` signal:
               "voting-etherfi") or any name with one of the strongest such words (``drainer_name``: "register-x");
``unknown``    nothing matched. Malformed input gets verdict ``error`` with the reason.
A checked host that no list decides carries ``score`` (0..1) and ``signals`` (plain words). The lists and
indexes are built once per process (``UrlChecker``); the model and edit distances run once per batch, and
a host label's look-alike answer and a word's typo answer are kept for later batches.
"""

from __future__ import annotations

import csv
import gc
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from pigtrace.labels import url_shape
from pigtrace.labels.hostnames import (UrlError, _idna_decoded, is_ip, name_labels, parse_host, registrable, skeleton,
                                      unicode_host, word_pattern)
from pigtrace.labels.lexical import model, shape_of
from pigtrace.labels.packs import DATA_DIR, read_domains
from pigtrace.labels.url_signals import (describe, host_signals, project_domains, project_names, strong_drainer_word,
                                         word_lists)

__all__ = ["UrlChecker", "UrlError", "brands", "check_urls", "checker", "parse_host", "skeleton"]

# The score's bar, by where the host lives: project sites seldom sit on a free hosting subdomain (19 of the fitted
# parts' 5,987) or a cheap or abused TLD (471), phishing sites often do (15% and 32% of 2024-2025's). The three bars
# were chosen together on the out-of-fold scores of bench/urls.py --sweep (refitted with 2- to 6-grams), before the
# held-out 'test' part was measured: the most 2022-2025 domains flagged (57.8% of a 40,000 sample; the 3- to 5-gram
# model's best 56.2%) with one site to spare under 0.5% of the fitted sites flagged out of fold (28; 29 is the most
# under 0.5%)
THRESHOLD = 0.99  # any other host
BARS = {"free_hosting": (0.935, "on a free hosting subdomain"),
        "abused_tld": (0.96, "on a cheap or abused top-level domain")}
DRAINER_THRESHOLD = 0.7  # the bar for a host whose name holds a word of fake claim, vote or allocation pages
# (``url_signals.strong_drainer_word``): out of fold, one project site with one scores over 0.24 (0.98)
SHAPE_WORDS = 0.5  # a name-shape bin is named in the signals when its learned weight adds this many log-odds
BRAND_FILES = ("brands.csv", "brands-derived.csv")
# Ordinary words one edit away from a brand ("finance" / "binance").
_TYPO_STOPWORDS = frozenset({"finance", "finances", "balance", "bitcoin", "kitten", "broken", "token", "tokens"})


@dataclass(frozen=True)
class Brand:
    name: str
    kind: str
    domains: tuple[str, ...]
    keywords: tuple[str, ...]  # name forms (>= 5 letters also match inside words; shorter only whole)
    generic: frozenset[str] = frozenset()  # keywords that are also ordinary words ("ledger", "phantom")
    no_typos: frozenset[str] = frozenset()  # keywords whose one-edit variants are common names ("imtoken")


@lru_cache(maxsize=2)
def brands(directory: Path = DATA_DIR) -> list[Brand]:
    out = []
    for name in BRAND_FILES:
        path = directory / name
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                words = r["keywords"].split()  # suffix '*': generic word; suffix '~': no typo matching
                out.append(Brand(r["brand"], r["kind"], tuple(r["domains"].split()), tuple(w.rstrip("*~") for w in words),
                                 frozenset(w.rstrip("*~") for w in words if w.endswith("*")),
                                 frozenset(w.rstrip("*~") for w in words if w.endswith("~"))))
    return out


def _parents(host: str) -> list[str]:
    """The host and its parent domains down to two labels ("a.b.c.com" -> itself, "b.c.com", "c.com")."""
    out = [host]
    at = host.find(".")
    while (nxt := host.find(".", at + 1)) != -1:
        out.append(host[at + 1:])
        at = nxt
    return out


@lru_cache(maxsize=1 << 17)
def _forms(label: str) -> tuple[list[str], list[str]]:
    """(words, joined forms): the hyphen-separated words, and the label without hyphens plus each pair of
    neighbouring words joined in both orders ("wallet-trustt" -> "trusttwallet"). Asked for by the typo search and
    by the look-alike match of each label: worked out once."""
    if "-" not in label and "_" not in label:
        return [label], []
    words = [w for w in _WORD_SPLIT.split(label) if w]
    joined = ["".join(words)] if len(words) > 1 else []
    for a, b in zip(words, words[1:]):
        joined += [a + b, b + a]
    return words, list(dict.fromkeys(joined))


_WORD_SPLIT = re.compile(r"[-_]")


class UrlChecker:
    """Indexes built once: host sets per list, brand keywords, the typo keyword list, the substring pattern."""

    def __init__(self, directory: Path = DATA_DIR) -> None:
        t = read_domains(directory).to_pylist()
        self.block: dict[str, dict] = {}
        self.allow: dict[str, dict] = {}
        self.urls: dict[str, dict] = {}
        self.paths: dict[str, dict] = {}
        fuzzy: list[str] = []
        for r in t:
            target = {"block": self.block, "allow": self.allow, "url": self.urls, "path": self.paths}.get(r["list"])
            if r["list"] == "fuzzy":
                fuzzy.append(r["domain"])
                self.allow.setdefault(r["domain"], r)
            elif target is not None:
                key = r["domain"].rstrip("/").lower() if r["list"] == "url" else r["domain"]
                target.setdefault(key, r)
        self.brands = list(brands(directory))
        for d in fuzzy:  # MetaMask's protected domains are brands too
            core = d.split(".")[-2]
            generic = frozenset({core}) if d.count(".") >= 2 else frozenset()  # 'ethereum' of launchpad.ethereum.org
            self.brands.append(Brand(d, "protected", (d,), (core,), generic))
        self.official: dict[str, Brand] = {}
        self.keyword: dict[str, Brand] = {}
        self.generic: set[str] = set()
        for b in self.brands:
            for d in b.domains:
                self.official.setdefault(d, b)
            self.generic |= b.generic
            for k in b.keywords:
                self.keyword.setdefault(k, b)
        # typos of ordinary words are words: only distinctive names of 6+ letters get edit-distance matching
        self.typo_keywords = sorted(k for k, b in self.keyword.items()
                                    if len(k) >= 6 and k not in b.generic and k not in b.no_typos)
        inside = sorted((k for k in self.keyword if len(k) >= 5), key=len, reverse=True)
        self.inside_re = re.compile(word_pattern(inside))
        self.any_keyword_re = re.compile(word_pattern(self.keyword))  # a label none of these is in matches no brand
        self.lure = word_lists()["lure_words"] | word_lists()["brand_companions"]  # next to a generic brand name
        self.lure_long = [w for w in self.lure if len(w) >= 4]
        self.projects = project_names(directory)
        # "solvfinance" / "solv-finance" -> solv.finance: an official or project domain with its dot
        # dropped or made a hyphen (names of one label before a one-label suffix, at least 3 letters)
        self.project_domains = project_domains(directory)
        self.joined: dict[str, str] = {}
        for d in sorted(set(self.official) | self.project_domains):
            name, dot, tld = d.partition(".")
            if dot and "." not in tld and len(name) >= 3:
                self.joined.setdefault(name + tld, d)
                self.joined.setdefault(name + "-" + tld, d)
        names, lures = word_pattern(self.keyword), word_pattern(self.lure)
        self.glued_re = re.compile(rf"(?P<a>{names})(?:{lures})s?|(?:{lures})(?P<b>{names})")
        self._typos: dict[str, Brand | None] = {}
        self._two_edits: set[str] = set()  # words of _typos that are two edits from their brand's name
        self._brand_memo: dict[str, str | None] = {}  # label -> brand_word's answer
        self._memo: dict[tuple[str, bool], tuple[Brand, str] | None] = {}  # label -> _match_label's answer

    def clear_caches(self) -> None:
        """Forget the answers kept from earlier batches (labels' look-alike matches, words' typo matches)."""
        self._memo.clear()
        _forms.cache_clear()
        skeleton.cache_clear()
        self._typos.clear()
        self._two_edits.clear()
        self._brand_memo.clear()
        name_labels.cache_clear()
        _idna_decoded.cache_clear()

    # --- lists ---------------------------------------------------------------------------------------------

    def listed(self, value: str) -> tuple[dict | None, str | None]:
        """(result, None) when the input is malformed or a list decides; (None, host) otherwise."""
        try:
            host, path = parse_host(value)
        except UrlError as e:
            return {"url": value, "verdict": "error", "matched": None, "source": None, "error": str(e)}, None
        platform = False
        parents = _parents(host)
        for p in parents:
            if p in self.official:
                if self.official[p].kind == "platform":
                    platform = True  # a big platform's own domain: only the block lists apply
                    continue
                return self._out(value, "allowed", p, f"official domain of {self.official[p].name}"), None
            if p in self.allow:
                return self._out(value, "allowed", p, self.allow[p]["source"]), None
        for p in parents if not is_ip(host) else [host]:
            if p in self.block:
                r = self.block[p]
                return self._out(value, "blocked", p, r["source"], r), None
        url_key = value.strip().rstrip("/").lower()
        for key in (url_key, "https://" + url_key.split("://", 1)[-1], "http://" + url_key.split("://", 1)[-1]):
            if key in self.urls:
                return self._out(value, "blocked", self.urls[key]["domain"], self.urls[key]["source"], self.urls[key]), None
        if path in self.paths:
            return self._out(value, "blocked", path, self.paths[path]["source"], self.paths[path]), None
        if platform:
            return {"url": value, "verdict": "unknown", "matched": None, "source": None}, None
        return None, host

    @staticmethod
    def _out(value, verdict, matched, source, row=None) -> dict:
        out = {"url": value, "verdict": verdict, "matched": matched, "source": source}
        if row is not None and row.get("concepts"):
            out["concepts"] = list(row["concepts"])
        return out

    # --- brands --------------------------------------------------------------------------------------------

    def typos(self, hosts: list[str]) -> dict[str, Brand | None]:
        """Word -> the brand it misspells (None: none), for every word form of the hosts' names, in one
        edit-distance matrix (one edit for names under 10 letters, two from 10 on); kept for later batches."""
        labels = {lab for h in hosts for lab in name_labels(unicode_host(h))[:2]}
        plain = {lab for lab in labels if lab.isascii() and "-" not in lab and "_" not in lab}
        cands = {lab for lab in plain if len(lab) >= 5}  # the usual label: one ASCII word, its only form
        for lab in labels - plain:
            words, joined = _forms(lab)
            for w in words + joined:
                for form in (w, skeleton(w)) if not w.isascii() else (w,):
                    if len(form) >= 5:
                        cands.add(form)
        cands -= self.keyword.keys() | _TYPO_STOPWORDS  # a stop word stays one whatever it was folded from
        seen = self._typos
        if len(seen) > 1_000_000:
            seen.clear()
            self._two_edits.clear()
        cands = sorted(w for w in cands if w not in seen)  # words met in an earlier batch are answered already
        for w in cands:
            seen[w] = None
        if not cands or not self.typo_keywords:
            return seen
        limit = np.array([1 if len(k) < 10 else 2 for k in self.typo_keywords], dtype=np.uint8)
        out = seen
        for i in range(0, len(cands), 20_000):
            chunk = cands[i: i + 20_000]
            d = cdist(chunk, self.typo_keywords, scorer=OSA.distance, score_cutoff=2, dtype=np.uint8, workers=-1)
            ok = d <= limit[None, :]
            for r in np.flatnonzero(ok.any(axis=1)):
                cols = np.flatnonzero(ok[r])
                best = cols[np.argmin(d[r, cols])]
                out[chunk[r]] = self.keyword[self.typo_keywords[best]]
                if d[r, best] == 2:
                    self._two_edits.add(chunk[r])
        return out

    def lookalike(self, host: str, typos: dict[str, Brand]) -> tuple[Brand, str] | None:
        if is_ip(host):
            return None
        uhost = unicode_host(host)
        puny = uhost != host
        memo = self._memo
        if len(memo) > 500_000:
            memo.clear()
        for lab in name_labels(uhost)[:2]:  # the registrable label first, then the subdomain next to it
            key = (lab, puny)
            if key in memo:  # the answer depends on the label only (typos are a fixed function of a word)
                hit = memo[key]
            else:
                hit = memo[key] = self._match_label(lab, puny, typos)
            if hit and not (hit[0].kind == "project" and registrable(host) in self.project_domains):
                return hit  # (a project's own site may be named after another's domain)
        return None

    def _has_lure(self, words: list[str], text: str) -> bool:
        return any(w in self.lure for w in words) or any(x in text for x in self.lure_long)

    def _match_label(self, lab: str, puny: bool, typos: dict[str, Brand]) -> tuple[Brand, str] | None:
        """A brand this host label imitates, tried from the strongest sign to the weakest. Homoglyph folding
        applies to whole names, words and joined words; typos and names inside other names are looked for in
        the plain text only (or the decoded text of a punycode name), where folding would invent matches.
        Generic keywords ("ledger", "phantom", derived brands) count only when disguised or next to a lure word."""
        if domain := self.joined.get(lab):  # "solv-finance.shop", "pufferfi.site"
            how = "made a hyphen" if lab.count("-") > domain.count("-") else "dropped"
            return (self.official.get(domain) or Brand(domain, "project", (domain,), ()),
                    f"its domain with the dot {how}, under another name")
        words, joined = _forms(lab)
        folded = skeleton(lab)
        if not self.any_keyword_re.search("|".join((lab, folded, *joined, *map(skeleton, joined)) if joined else (lab, folded))) \
                and not any(typos.get(w) for w in words + joined) \
                and not (puny and any(typos.get(skeleton(w)) for w in words + joined)):
            return None  # no brand's name in any form and no misspelt one: the steps below would find nothing

        def tag(how: str, disguised: bool) -> str:
            return (("punycode " if puny else "") + "homoglyph, " + how) if disguised else how

        for form in dict.fromkeys((lab, skeleton(lab))):
            disguised = form != lab or puny
            if form in self.keyword and (disguised or form not in self.generic):
                return self.keyword[form], tag("brand name on a domain the brand does not own", disguised)
        if len(words) > 1:
            for w in words + joined:
                for form in dict.fromkeys((w, skeleton(w))):
                    disguised = form != w or puny
                    others = [x for x in words if x not in w]
                    if form in self.keyword and (form not in self.generic or disguised
                                                 or any(x in self.lure for x in others)):
                        how = "brand name with extra words" if w in words else "brand name split by hyphens"
                        return self.keyword[form], tag(how, disguised)
        swapped = {b + a for a, b in zip(words, words[1:])} - {a + b for a, b in zip(words, words[1:])}
        for w in words + joined:
            for form in dict.fromkeys((w, skeleton(w)) if puny else (w,)):
                brand = typos.get(form)
                if brand and not (w in swapped and form in self._two_edits):  # "locker-token": not "tokenpocket"
                    return brand, tag("typosquat (edit distance)", puny)
        for form in dict.fromkeys((lab, skeleton(lab)) if puny else (lab,)):
            for m in self.inside_re.finditer(form):
                k = m.group(0)
                rest = form[: m.start()] + " " + form[m.end():]
                if k != form and (k not in self.generic or puny or any(x in rest for x in self.lure_long)):
                    return self.keyword[k], tag("brand name inside another name", puny)
        if m := self.glued_re.fullmatch(lab.replace("-", "")):  # "aavenetwork", "getmeteora"
            return self.keyword[m.group("a") or m.group("b")], "brand name joined with a lure or companion word"
        return None

    def brand_word(self, host: str) -> str | None:
        """A brand's name anywhere in the host's names (generic ones too): a signal, not a verdict."""
        memo = self._brand_memo
        if len(memo) > 500_000:
            memo.clear()
        for lab in name_labels(unicode_host(host))[:2]:
            if lab not in memo:
                m = self.inside_re.search(skeleton(lab))
                memo[lab] = m.group(0) if m else (lab if lab in self.keyword else None)
            if memo[lab]:
                return memo[lab]
        return None

    def signals(self, hosts: list[str]) -> list[dict[str, str]]:
        return [host_signals(h, self.brand_word(h), self.projects) for h in hosts]

    # --- the batch -----------------------------------------------------------------------------------------

    def check_batch(self, values: list[str]) -> list[dict]:
        results: list[dict | None] = []
        todo: list[tuple[int, str]] = []
        for v in values:
            r, host = self.listed(v)
            if r is None:
                todo.append((len(results), host))
            results.append(r)
        if todo:
            hosts = [h for _, h in todo]
            typos = self.typos(hosts)
            signals = self.signals(hosts)
            shape = shape_of(hosts)
            m = model()
            learned, scores = m.parts(hosts, signals, shape)
            shape_words = url_shape.describe_batch(shape[0], shape[1], m.shape_weights, SHAPE_WORDS)
            for (i, host), sig, score, lp, extra in zip(todo, signals, scores.tolist(), learned.tolist(), shape_words):
                results[i] = self._verdict(values[i], host, sig, score, lp, typos, extra)
        return results  # type: ignore[return-value]

    def _verdict(self, value: str, host: str, sig: dict[str, str], score: float, learned: float, typos,
                 shape_words: list[str] = ()) -> dict:
        hit = self.lookalike(host, typos)
        words = describe(sig) + list(shape_words)
        if learned > 1.0:
            words.append(f"name resembles known scam sites (learned character patterns, +{learned:.1f} log-odds)")
        if hit:
            brand, how = hit
            return {"url": value, "verdict": "lookalike", "matched": brand.domains[0],
                    "source": f"brand look-alike ({how}) of {brand.name}", "score": round(score, 4),
                    "signals": [f"imitates {brand.name} ({how})"] + words}
        lower = _lower_bar(sig, score)
        bar, where = score_bar(sig)
        if score >= bar or lower or "project_lure" in sig or "drainer_name" in sig:
            source = (f"pigtrace URL model (score {score:.2f}{f', at least {bar} {where}' if where else ''})"
                      if score >= bar else
                      f"pigtrace URL rules: crypto project's name with a drainer lure word ({sig['project_lure']})"
                      if "project_lure" in sig else
                      f"pigtrace URL rules: a name hyphenated with a drainer lure word ({sig['drainer_name']})"
                      if "drainer_name" in sig else f"pigtrace URL model (score {score:.2f}, {lower})")
            return {"url": value, "verdict": "suspicious", "matched": registrable(host) if not is_ip(host) else host,
                    "source": source, "score": round(score, 4), "signals": words}
        return {"url": value, "verdict": "unknown", "matched": None, "source": None, "score": round(score, 4),
                "signals": words}

    def check(self, value: str) -> dict:
        return self.check_batch([value])[0]


def score_bar(sig: dict[str, str]) -> tuple[float, str | None]:
    """The score a host needs to be suspicious, and where it lives when that is not ``THRESHOLD`` (``BARS``)."""
    for signal, (bar, where) in BARS.items():
        if signal in sig:
            return bar, where
    return THRESHOLD, None


def _lower_bar(sig: dict[str, str], score: float) -> str | None:
    """Why a score under the host's bar (``score_bar``) still flags the host: at least ``DRAINER_THRESHOLD`` with a word of fake
    claim, vote or allocation pages in the name."""
    if score >= DRAINER_THRESHOLD and (word := strong_drainer_word(sig)):
        return f"at least {DRAINER_THRESHOLD} with the drainer lure word '{word}'"
    return None


@lru_cache(maxsize=1)
def checker() -> UrlChecker:
    return UrlChecker()


def check_urls(values: list[str]) -> list[dict]:
    c = checker()
    paused = gc.isenabled()
    gc.disable()  # many small acyclic result dicts: the cyclic collector only slows the batch down
    try:
        return c.check_batch(values)
    finally:
        if paused:
            gc.enable()
