"""Named lexical signals of a host: what a person can read in a verdict, and features of the learned model.

Second step of ``check-url`` for a host no list knows: each signal is a yes/no fact about the name (a lure word,
an abused top-level domain, a free-hosting subdomain, hyphen tricks, a digit for a letter, punycode, a brand's
name, a long or deep name). ``lexical`` weighs them with the character n-grams; the weights are learned
(``lexical_train``). Word lists are data: ``data/labels/url-signals.yaml``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from pigtrace.labels.hostnames import is_ip, name_labels, skeleton, unicode_host
from pigtrace.labels.packs import DATA_DIR

# order = column order of the model's signal features; text = what a verdict says
SIGNALS = {
    "lure_word": "lure word in the name",
    "abused_tld": "cheap or abused top-level domain",
    "free_hosting": "subdomain of a free hosting service",
    "many_hyphens": "several hyphenated words",
    "digit_for_letter": "digits standing in for letters",
    "punycode": "international (punycode) name",
    "brand_word": "a brand's name in a name it does not own",
    "long_name": "long name (over 20 letters)",
    "deep_subdomain": "three or more subdomain levels",
    "ip_host": "bare IP address",
}
_LEET = str.maketrans("013457", "oieast")
_SPLIT = re.compile(r"[-_.]")


@lru_cache(maxsize=1)
def word_lists() -> dict[str, frozenset[str]]:
    data = yaml.safe_load((DATA_DIR / "url-signals.yaml").read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in data.items()}


@lru_cache(maxsize=1)
def _lure_re() -> re.Pattern:
    long_words = sorted((w for w in word_lists()["lure_words"] if len(w) >= 5), key=len, reverse=True)
    return re.compile("|".join(long_words))


def host_signals(host: str, brand_hit: str | None = None) -> dict[str, str]:
    """Signal id -> the detail that raised it (``{'lure_word': 'airdrop', 'free_hosting': 'pages.dev'}``).
    ``brand_hit`` is a brand name found in the host by the brand matcher, if any."""
    out: dict[str, str] = {}
    if is_ip(host):
        return {"ip_host": host}
    lists = word_lists()
    labels = host.split(".")
    for n in (2, 3):
        tail = ".".join(labels[-n:])
        if len(labels) > n and tail in lists["free_hosting"]:
            out["free_hosting"] = tail
    tld = labels[-1]
    if tld in lists["abused_tlds"] and "free_hosting" not in out:
        out["abused_tld"] = "." + tld
    uhost = unicode_host(host)
    names = list(name_labels(uhost))
    if names and names[-1] == "www":
        names = names[:-1]
    text = "-".join(names)
    words = [w for w in _SPLIT.split(text) if w]
    lure = next((w for w in words if w in lists["lure_words"]), None)
    if lure is None:
        m = _lure_re().search(text)
        lure = m.group(0) if m else None
    if lure:
        out["lure_word"] = lure
    if text.count("-") >= 2:
        out["many_hyphens"] = text
    for w in words:
        if any(c.isdigit() for c in w) and any(c.isalpha() for c in w) and not w.isdigit():
            swapped = w.translate(_LEET)
            if swapped.isalpha() and swapped != w:
                out["digit_for_letter"] = f"{w} -> {swapped}"
                break
    if uhost != host:
        out["punycode"] = f"{uhost} (looks like {skeleton(uhost)})"
    if brand_hit:
        out["brand_word"] = brand_hit
    if len(text.replace("-", "")) > 20:
        out["long_name"] = text
    if len(names) >= 4:
        out["deep_subdomain"] = host
    return out


def describe(signals: dict[str, str]) -> list[str]:
    return [f"{SIGNALS[k]} ({v})" for k, v in signals.items()]
