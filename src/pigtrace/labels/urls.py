"""Website screening (``pigtrace check-url``): block lists, the allow list, and look-alikes of brands.

Verdicts, in the order they win:
``allowed``  the host (or a parent domain) is an official brand domain or on MetaMask's allow list;
``blocked``  the host or a parent domain is on a block list (MetaMask, Sophos X-Ops, CryptoScamDB), or the
             URL/path is a listed scam URL/kit path;
``lookalike`` the host imitates a brand scammers copy (exchanges, wallets, MetaTrader, MetaMask's protected
             domains): typosquat within one edit, homoglyphs and punycode, extra words around the brand
             ("coinbase-invest-pro"), or the brand's name under another TLD;
``unknown``  nothing matched. Malformed input gets verdict ``error`` with the reason.
The lists are turned into Python sets and a deletion index once per process (``UrlChecker``).
"""

from __future__ import annotations

import csv
import gc
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from pigtrace.errors import PigtraceError
from pigtrace.labels.packs import DATA_DIR, read_domains

_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")

# Characters scammers swap in for Latin letters (Cyrillic, Greek, digits, look-alike Latin).
_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "һ": "h", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u", "ԛ": "q", "ԝ": "w", "к": "k", "м": "m", "т": "t",
    "в": "b", "н": "h", "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h",
    "0": "o", "1": "l", "3": "e", "5": "s", "7": "t", "@": "a", "$": "s",
}
# Words scam sites put next to a brand's name ("ledger-wallet-support", "phantom-airdrop-claim").
LURE_WORDS = frozenset({
    "wallet", "login", "signin", "support", "help", "app", "apps", "pro", "invest", "investment", "exchange",
    "trade", "trading", "airdrop", "claim", "secure", "security", "verify", "verification", "official", "live",
    "connect", "bonus", "reward", "rewards", "giveaway", "web3", "defi", "crypto", "coin", "token", "unlock",
    "recovery", "restore", "sync", "validate", "dapp", "mining", "staking", "earn", "vip", "fx", "broker",
    "download", "update", "desk", "service", "online", "mobile", "auth", "account", "bank", "finance", "nft",
})
# Ordinary words one edit away from a brand ("finance" / "binance").
_TYPO_STOPWORDS = frozenset({"finance", "finances", "balance", "bitcoin", "kitten", "broken", "token", "tokens"})
_MULTI_GLYPHS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u"))


class UrlError(PigtraceError):
    """A URL or host that cannot be checked (empty, wrong scheme, bad host name)."""


def parse_host(value: str) -> tuple[str, str]:
    """(ASCII host, path) of a URL or bare host name; raises UrlError naming the problem."""
    raw = (value or "").strip()
    if not raw:
        raise UrlError("empty URL")
    if any(c.isspace() for c in raw):
        raise UrlError(f"{value!r}: contains whitespace")
    bare_scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", raw)
    if "://" not in raw and bare_scheme:
        raise UrlError(f"{value!r}: scheme {bare_scheme.group(1)!r} is not a web address")
    text = raw if "://" in raw else "http://" + raw
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as e:
        raise UrlError(f"{value!r}: not a URL ({e})") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise UrlError(f"{value!r}: scheme {parts.scheme!r} is not a web address")
    if not host:
        raise UrlError(f"{value!r}: no host name")
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host, parts.path or "/"
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UrlError(f"{value!r}: host {host!r} is not a valid international domain name") from None
    labels = host.split(".")
    if len(labels) < 2:
        raise UrlError(f"{value!r}: host {host!r} has no top-level domain")
    for lab in labels:
        if not _LABEL_RE.match(lab):
            raise UrlError(f"{value!r}: host label {lab!r} is not valid in a domain name")
    if not re.match(r"^(xn--)?[a-z][a-z0-9-]*$", labels[-1]):
        raise UrlError(f"{value!r}: top-level domain {labels[-1]!r} is not valid")
    return host, parts.path or "/"


def unicode_host(host: str) -> str:
    """Punycode labels decoded (``xn--mytherwallet-...`` -> the Unicode form)."""
    if "xn--" not in host:
        return host
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def skeleton(text: str) -> str:
    """A Latin 'looks like' form: homoglyphs and accents folded, then multi-letter tricks (rn -> m)."""
    out = []
    for ch in text.lower():
        ch = _HOMOGLYPHS.get(ch, ch)
        if not ch.isascii():
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or ch
        out.append(ch)
    s = "".join(out)
    for a, b in _MULTI_GLYPHS:
        s = s.replace(a, b)
    return s


def _parents(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@dataclass(frozen=True)
class Brand:
    name: str
    kind: str
    domains: tuple[str, ...]
    keywords: tuple[str, ...]  # name forms (>= 5 letters also match inside words; shorter only whole)
    generic: frozenset[str] = frozenset()  # keywords that are also ordinary words ("ledger", "phantom")
    no_typos: frozenset[str] = frozenset()  # keywords whose one-edit variants are common names ("imtoken")


@lru_cache(maxsize=1)
def brands() -> list[Brand]:
    out = []
    with open(DATA_DIR / "brands.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            words = r["keywords"].split()  # suffix '*': generic word; suffix '~': no typo matching
            names = tuple(w.rstrip("*~") for w in words)
            out.append(Brand(r["brand"], r["kind"], tuple(r["domains"].split()), names,
                             frozenset(w.rstrip("*~") for w in words if w.endswith("*")),
                             frozenset(w.rstrip("*~") for w in words if w.endswith("~"))))
    return out


class UrlChecker:
    """Indexes built once: host sets per list, and a deletion index of brand keywords."""

    def __init__(self) -> None:
        t = read_domains().to_pylist()
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
        self.brands = list(brands())
        for d in fuzzy:  # MetaMask's protected domains are brands too
            core = d.split(".")[-2]
            generic = frozenset({core}) if d.count(".") >= 2 else frozenset()  # 'ethereum' of launchpad.ethereum.org
            self.brands.append(Brand(d, "protected", (d,), (core,), generic))
        self.official: dict[str, Brand] = {}
        self.keyword: dict[str, Brand] = {}  # exact keyword -> brand
        self.generic: set[str] = set()
        self.near: dict[str, tuple[str, Brand]] = {}  # deletion variant -> (keyword, brand)
        for b in self.brands:
            for d in b.domains:
                self.official.setdefault(d, b)
            self.generic |= b.generic
            for k in b.keywords:
                self.keyword.setdefault(k, b)
                if len(k) >= 6 and k not in b.generic and k not in b.no_typos:  # typos of words are words
                    for v in _deletes(k) | {k}:
                        self.near.setdefault(v, (k, b))
        self.long_keywords = sorted((k for k in self.keyword if len(k) >= 5), key=len, reverse=True)

    def check(self, value: str) -> dict:
        try:
            host, path = parse_host(value)
        except UrlError as e:
            return {"url": value, "verdict": "error", "matched": None, "source": None, "error": str(e)}
        platform = False
        for p in _parents(host):
            if p in self.official:
                if self.official[p].kind == "platform":
                    platform = True  # a big platform's own domain: only the block lists apply
                    continue
                return self._out(value, "allowed", p, f"official domain of {self.official[p].name}")
            if p in self.allow:
                return self._out(value, "allowed", p, self.allow[p]["source"])
        for p in _parents(host) if not _is_ip(host) else [host]:
            if p in self.block:
                r = self.block[p]
                return self._out(value, "blocked", p, r["source"], r)
        url_key = value.strip().rstrip("/").lower()
        for key in (url_key, "https://" + url_key.split("://", 1)[-1], "http://" + url_key.split("://", 1)[-1]):
            if key in self.urls:
                return self._out(value, "blocked", self.urls[key]["domain"], self.urls[key]["source"], self.urls[key])
        if path in self.paths:
            return self._out(value, "blocked", path, self.paths[path]["source"], self.paths[path])
        hit = None if platform else self._lookalike(host)
        if hit:
            brand, how = hit
            return self._out(value, "lookalike", brand.domains[0], f"brand look-alike ({how}) of {brand.name}")
        return {"url": value, "verdict": "unknown", "matched": None, "source": None}

    @staticmethod
    def _out(value, verdict, matched, source, row=None) -> dict:
        out = {"url": value, "verdict": verdict, "matched": matched, "source": source}
        if row is not None and row.get("concepts"):
            out["concepts"] = list(row["concepts"])
        return out

    def _lookalike(self, host: str) -> tuple[Brand, str] | None:
        if _is_ip(host):
            return None
        uhost = unicode_host(host)
        puny = uhost != host
        for lab in reversed(uhost.split(".")[:-1]):  # name labels, registrable one first; TLD skipped
            hit = self._match_label(lab, puny)
            if hit:
                return hit
        return None

    def _match_label(self, lab: str, puny: bool) -> tuple[Brand, str] | None:
        """A brand this host label imitates, tried from the strongest sign to the weakest. Homoglyph folding
        (``skeleton``) applies to whole names and words; typos and names inside other names are looked for in
        the plain text only (or the decoded text of a punycode name), where folding would invent matches.
        Generic keywords ("ledger", "phantom") count only when disguised or next to a lure word."""
        words = [w for w in re.split(r"[-_]", lab) if w]
        pairs = [(w, skeleton(w)) for w in words]

        def tag(how: str, disguised: bool) -> str:
            return (("punycode " if puny else "") + "homoglyph, " + how) if disguised else how

        for form in dict.fromkeys((lab, skeleton(lab))):
            disguised = form != lab or puny
            if form in self.keyword and (disguised or form not in self.generic):
                return self.keyword[form], tag("brand name on a domain the brand does not own", disguised)
        if len(words) > 1:
            for w, sw in pairs:
                for form in dict.fromkeys((w, sw)):
                    disguised = form != w or puny
                    others = [x for x in words if x != w]
                    if form in self.keyword and (form not in self.generic or disguised
                                                 or any(x in LURE_WORDS for x in others)):
                        return self.keyword[form], tag("brand name with extra words", disguised)
        for w, sw in pairs:
            for form in dict.fromkeys((w, sw) if puny else (w,)):
                brand = self._typo_of(form)
                if brand:
                    return brand, tag("typosquat (one edit)", puny)
        for form in dict.fromkeys((lab, skeleton(lab)) if puny else (lab,)):
            for k in self.long_keywords:
                if k in form and k != form and (k not in self.generic or puny
                                                or any(x in form.replace(k, " ") for x in LURE_WORDS if len(x) >= 4)):
                    return self.keyword[k], tag("brand name inside another name", puny)
        return None

    def _typo_of(self, word: str) -> Brand | None:
        """The brand whose keyword is one edit (insert, delete, substitute, swap) away from ``word``."""
        if len(word) < 5 or word in self.keyword or word in _TYPO_STOPWORDS:
            return None
        for v in _deletes(word) | {word}:
            hit = self.near.get(v)
            if hit and _one_edit(word, hit[0]):
                return hit[1]
        return None


def _one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance of ``a`` and ``b`` is at most 1."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@lru_cache(maxsize=1)
def checker() -> UrlChecker:
    return UrlChecker()


def check_urls(values: list[str]) -> list[dict]:
    c = checker()
    paused = gc.isenabled()
    gc.disable()  # many small acyclic result dicts: the cyclic collector only slows the batch down
    try:
        return [c.check(v) for v in values]
    finally:
        if paused:
            gc.enable()
