"""Host names for website screening: parsing, registrable domains, and the 'looks like' skeleton.

First step of ``check-url``: a URL becomes an ASCII host; the Public Suffix List (``publicsuffixlist``, its
bundled snapshot, no network) says which part is the registrable domain (``example.co.uk``; ``x.netlify.app``,
since ``netlify.app`` is a suffix); the skeleton folds Unicode TR39 confusables (``confusable-homoglyphs``) so
``bіnance`` (Cyrillic і) and ``binance`` compare equal.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from pigtrace.errors import PigtraceError

_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# The common case in one match: optional web scheme, a valid ASCII host name, optional port, path, query.
_PLAIN_URL = re.compile(r"(?:(?:https?|wss?|ftp)://)?((?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+"
                        r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)\.?(?::[0-9]{1,5})?(/[^?#\s]*)?(?:[?#]\S*)?", re.I)
_PSL = PublicSuffixList()


class UrlError(PigtraceError):
    """A URL or host that cannot be checked (empty, wrong scheme, bad host name)."""


def parse_host(value: str) -> tuple[str, str]:
    """(ASCII host, path) of a URL or bare host name; raises UrlError naming the problem."""
    raw = (value or "").strip()
    m = _PLAIN_URL.fullmatch(raw)
    if m:
        return m.group(1).lower(), m.group(2) or "/"
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
    if is_ip(host):
        return host, parts.path or "/"
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


def is_ip(host: str) -> bool:
    if ":" not in host and not host[-1:].isdigit():
        return False  # a host name ends in a letter (its top-level domain); IPv4 in a digit, IPv6 has colons
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@lru_cache(maxsize=1)
def _deep_rules() -> tuple[frozenset[str], frozenset[str]]:
    """(the last two labels of every rule of two or more labels, the top-level domains with a wildcard rule):
    a host whose last two labels are in neither has its top-level domain as its public suffix."""
    rules = getattr(_PSL, "_publicsuffix", None) or frozenset()
    tails, wild = set(), set()
    for r in rules:
        labels = r.lstrip("!").split(".")
        if len(labels) >= 2:
            if labels[-2] == "*":
                wild.add(labels[-1])
            tails.add(".".join(labels[-2:]))
    return frozenset(tails), frozenset(wild)


def suffix(host: str) -> str:
    """The public suffix (``co.uk``, ``netlify.app``; the last label when the list does not know it). Most hosts
    end in two labels that no rule of two or more labels ends with: their top-level domain, without asking the
    list."""
    tails, wild = _deep_rules()
    last = host.rsplit(".", 2)
    tld = last[-1]
    if tails and len(last) > 1 and tld not in wild and last[-2] + "." + tld not in tails:
        return tld
    return _PSL.publicsuffix(host) or tld


def registrable(host: str) -> str:
    """The registrable domain: one label above the public suffix (the host itself when it is a suffix)."""
    sfx = suffix(host)
    if len(host) <= len(sfx) + 1:
        return host
    return host[: -len(sfx) - 1].rsplit(".", 1)[-1] + "." + sfx


@lru_cache(maxsize=1 << 16)
def name_labels(host: str) -> tuple[str, ...]:
    """The labels left of the public suffix, the registrable one first (``app.uniswap.org`` -> uniswap, app)."""
    sfx = suffix(host)
    head = host[: -len(sfx) - 1] if host != sfx else ""
    return tuple(reversed(head.split("."))) if head else ()


def unicode_host(host: str) -> str:
    """Punycode labels decoded (``xn--mtamask-7gg.io`` -> the Unicode form)."""
    if "xn--" not in host:
        return host
    return _idna_decoded(host)


@lru_cache(maxsize=100_000)
def _idna_decoded(host: str) -> str:
    """A punycode host decoded once per batch, however many checks ask (``unicode_host``)."""
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


@lru_cache(maxsize=1)
def _confusables() -> tuple[dict[int, str], tuple[tuple[str, str], ...]]:
    """From TR39's confusables: one character -> the ASCII letter or digit it passes for, and the ASCII
    letter pairs that pass for one letter (``rn`` -> ``m``)."""
    data = json.loads((resources.files("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8"))
    single: dict[int, str] = {}
    multi: dict[str, str] = {}
    for key, glyphs in data.items():
        forms = [key] + [g["c"].strip("\u200e") for g in glyphs]
        # a lower-case letter over an upper-case one over a digit: 1 -> l (not I -> i), 0 -> O -> o
        ascii_ = [f.lower() for f in sorted((f for f in forms if len(f) == 1 and f.isascii() and f.isalnum()),
                                            key=lambda f: (f.isdigit(), f.isupper(), f))]
        if not ascii_:
            continue
        for f in forms:
            if len(f) == 1 and not (f.isascii() and f.isalpha()) and f.lower() != ascii_[0]:
                single.setdefault(ord(f), ascii_[0])
            elif len(f) == 2 and f.isascii() and f.isalpha() and f.islower() and ascii_[0].isalpha():
                multi.setdefault(f, ascii_[0])
    return single, tuple(sorted(multi.items()))


@lru_cache(maxsize=1 << 17)
def skeleton(text: str) -> str:
    """A Latin 'looks like' form: TR39 confusables and accents folded, then letter pairs (``rn`` -> ``m``)."""
    single, multi = _confusables()
    s = text.lower().translate(single)
    if not s.isascii():
        s = "".join(c if c.isascii() else (unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or c)
                    for c in s)
    for a, b in multi:
        if a in s:
            s = s.replace(a, b)
    return s


def word_pattern(words) -> str:
    """One regular expression for many words, factored as a trie ("uni(?:corn|swap)"), so a search fails at the
    first letter that no word continues with; at each position the longest word wins, as with an alternation
    sorted longest first."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?" if len(alts) == 1 else body + "?"
        return body

    return build(trie)
