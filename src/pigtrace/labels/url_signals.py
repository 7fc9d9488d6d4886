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

from pigtrace.labels.hostnames import is_ip, name_labels, skeleton, unicode_host, word_pattern
from pigtrace.labels.packs import DATA_DIR

# order = column order of the model's signal features; text = what a verdict says
SIGNALS = {
    "lure_word": "lure word in the name",
    "drainer_lure": "word of wallet-drainer phishing pages",
    "project_lure": "a crypto project's name hyphenated with a drainer lure word",
    "drainer_name": "a name hyphenated with a word of fake claim, vote or allocation pages",
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
_DIGIT = re.compile(r"[0-9]")


@lru_cache(maxsize=1)
def word_lists() -> dict[str, frozenset[str]]:
    data = yaml.safe_load((DATA_DIR / "url-signals.yaml").read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in data.items()}


@lru_cache(maxsize=4)
def project_names(directory=DATA_DIR) -> frozenset[str]:
    """Crypto project names (``url-projects.txt``, written by the label build: ``brandset``)."""
    path = directory / "url-projects.txt"
    if not path.exists():
        return frozenset()
    return frozenset(w for w in path.read_text(encoding="utf-8").splitlines() if w and not w.startswith("#"))


@lru_cache(maxsize=4)
def project_domains(directory=DATA_DIR) -> frozenset[str]:
    """Crypto projects' website domains (``url-project-domains.txt``, written by the label build: ``brandset``)."""
    path = directory / "url-project-domains.txt"
    if not path.exists():
        return frozenset()
    return frozenset(w for w in path.read_text(encoding="utf-8").splitlines() if w and not w.startswith("#"))


@lru_cache(maxsize=1)
def _drainer_re() -> re.Pattern:
    """A drainer lure word at the start or the end of a joined name ("registersomnia", "ethenaclaim")."""
    words = word_pattern(w for w in word_lists()["drainer_lures"] if len(w) >= 4)
    return re.compile(rf"^(?:{words})s??(?=[a-z0-9]{{4}})|(?<=[a-z0-9]{{4}})(?:{words})s?$")


def project_lure(label: str, projects: frozenset[str]) -> str | None:
    """'lure + project' when the registrable name's hyphenated words hold a drainer lure word and a crypto
    project's name ("voting-etherfi", "claim-pendle"); None otherwise. Glued forms ("flashstake") and a lure in a
    subdomain ("stake.lido.fi") do not count: projects name their own sites that way."""
    lures = word_lists()["drainer_lures"]
    words = label.split("-")
    found = [w for w in words if w in lures or (w.endswith("s") and w[:-1] in lures)]
    if found:
        for w in words:
            if w not in found and w.rstrip("0123456789") in projects:
                return f"{found[0]} + {w}"
    return None


def drainer_name(label: str) -> str | None:
    """The word of ``drainer_names`` ("allocation", "vote", "register") that the registrable name hyphenates
    with another word ("register-somnia", "x-allocation"); None for a name of one word ("allocation.xyz") or
    none of these words. Whatever the other word is: a project no list knows yet is the drainer's usual bait."""
    words = label.split("-")
    if len(words) < 2 or not all(words):
        return None
    for w in words:
        if _strong(w):
            return w
    for w in words:  # an i for an l, the drainers' favourite misspelling: 'ailocation', 'proposai', 'ciaim'
        for form in _i_for_l(w) if len(w) >= 5 else ():
            if _strong(form):
                return f"{w} ({form})"
    return None


def strong_drainer_word(signals: dict[str, str]) -> str | None:
    """The drainer lure word of ``signals`` when it is one of ``drainer_names`` (glued into a name or a subdomain
    label: "claim.x.network", "registersomnia"); the verdict's lower bar for the score applies to it."""
    w = signals.get("drainer_lure")
    return w if w and _strong(w) else None


def _strong(word: str) -> bool:
    """``word``, or its singular, is one of ``drainer_names``."""
    strong = word_lists()["drainer_names"]
    return word in strong or (word.endswith("s") and word[:-1] in strong)


def _i_for_l(word: str) -> list[str]:
    """The word with some of its (at most three) i's read as l's."""
    at = [k for k, ch in enumerate(word) if ch == "i"]
    if not at or len(at) > 3:
        return []
    out = []
    for mask in range(1, 1 << len(at)):
        chars = list(word)
        for b, k in enumerate(at):
            if mask >> b & 1:
                chars[k] = "l"
        out.append("".join(chars))
    return out


@lru_cache(maxsize=1)
def _lure_re() -> re.Pattern:
    return re.compile(word_pattern(w for w in word_lists()["lure_words"] if len(w) >= 5))


def host_signals(host: str, brand_hit: str | None = None, projects: frozenset[str] = frozenset()) -> dict[str, str]:
    """Signal id -> the detail that raised it (``{'lure_word': 'airdrop', 'free_hosting': 'pages.dev'}``).
    ``brand_hit`` is a brand name found in the host by the brand matcher, if any; ``projects`` the crypto
    project names (``project_names``)."""
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
    drainer = next((w for w in words if w in lists["drainer_lures"]), None)
    if drainer is None:
        m = _drainer_re().search(text.replace("-", ""))
        drainer = m.group(0) if m else None
    if drainer:
        out["drainer_lure"] = drainer
        joined = project_lure(names[0], projects) if projects and names and "-" in names[0] else None
        if joined:
            out["project_lure"] = joined
    if "project_lure" not in out and names and "-" in names[0] and (alone := drainer_name(names[0])):
        out["drainer_name"] = alone
    if text.count("-") >= 2:
        out["many_hyphens"] = text
    for w in words if _DIGIT.search(text) else ():
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
