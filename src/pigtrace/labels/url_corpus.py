"""Where the website model's examples come from, and how they are split.

Used by the label build (``lexical_train``: fits the shipped lexical model) and by ``bench/urls.py`` (measures
it). Positives are scam hosts of lists the product ships (MetaMask's block list, CryptoScamDB, Sophos X-Ops's
pig-butchering and DeFi-mining IOCs); negatives are
the project websites of the Etherscan-family labels (dawsbot/eth-labels, MIT), the sites named in both label
files' account name tags ("Curve.fi: Registry"), host names made of labelled tokens' names, MetaMask's allow list
and the brands' official domains. Project websites are split by a hash of their registrable domain, so a site and
its subdomains fall on one side: ``train`` fits the model, ``tune`` chooses thresholds, ``test`` is held out.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

from pigtrace.errors import PigtraceError
from pigtrace.labels.hostnames import parse_host, registrable

DAWSBOT = Path("eth-labels-dawsbot") / "eth_labels_2024.csv"
BRIANLEECT = Path("etherscan-labels-brianleect") / "evm_explorer_labels_2023.csv"


FIT_PARTS = ("train", "tune")  # the parts the shipped model is fitted on; 'test' is never fitted on nor chosen on


def split_of(host: str) -> str:
    """'train' (60%), 'tune' (20%) or 'test' (20%), fixed by the registrable domain."""
    b = hashlib.sha256(registrable(host).encode()).digest()[0] % 5
    return "train" if b < 3 else ("tune" if b == 3 else "test")


def cv_fold(host: str, folds: int) -> int:
    """The cross-validation fold (0 .. folds-1) of a host, fixed by its registrable domain and independent of
    ``split_of``: out-of-fold scores of the fitted parts are what the threshold is chosen on."""
    return hashlib.sha256(("cv" + registrable(host)).encode()).digest()[0] % folds


def _host(value: str) -> str | None:
    try:
        return parse_host(value)[0]
    except PigtraceError:
        return None


_FILE_ENDINGS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp"})


def website_host(value: str) -> str | None:
    """The host of a label's website column, or None: empty, malformed, or a file name read as a host (the
    column holds a few image names such as ``sushitoken_32.png``; no top-level domain is named so)."""
    h = _host(value) if value else None
    if h is None or h.rsplit(".", 1)[-1] in _FILE_ENDINGS:
        return None
    return h


def project_websites(src: Path) -> list[str]:
    """Distinct hosts of the token websites in the Etherscan-family labels (benign project sites)."""
    out = {}
    with open(src / DAWSBOT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if h := website_host(r["website"]):
                out.setdefault(h, None)
    return list(out)


def metamask_lists(src: Path) -> dict[str, list[str]]:
    cfg = json.loads((src / "metamask-eth-phishing-detect" / "config.json").read_text())
    return {k: [h for h in map(_host, cfg[k]) if h] for k in ("blacklist", "whitelist", "fuzzylist")}


def cryptoscamdb_hosts(src: Path) -> list[str]:
    with open(src / "cryptoscamdb" / "cryptoscamdb_entries.csv", newline="", encoding="utf-8") as fh:
        return list(dict.fromkeys(h for r in csv.DictReader(fh) if (h := _host(r["url"] or r["name"]))))


_APP_STORES = {"apps.apple.com", "play.google.com", "twitter.com", "x.com", "t.me"}


def sophos_hosts(src: Path) -> list[str]:
    """Hosts of Sophos X-Ops's domain and URL indicators (fake trading apps' sites, CryptoRom and DeFi-mining
    scam sites); a URL on an app store or social site names the app or account, not a scam host."""
    out = {}
    with open(src / "sophos-iocs" / "sophos_scam_iocs.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["indicator_type"] in ("domain", "url") and (h := _host(r["value"])) and h not in _APP_STORES:
                out.setdefault(h, None)
    return list(out)


_TAG_DOMAIN = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|io|org|net|finance|fi|xyz|app|exchange|money|"
                         r"network|co|ai|gg|so|cash|capital|market|trade|dev|tech|one|eth)\b")


_BAD = ("phish", "heist", "exploit", "scam", "blocked")


def name_tag_hosts(src: Path) -> list[str]:
    """Project websites named in the explorers' account name tags ("Curve.fi: Registry" -> curve.fi), both
    Etherscan-family label files, phishing/heist/exploit rows left out."""
    out = {}
    for path, col, lab in ((DAWSBOT, "name_tag", "label"), (BRIANLEECT, "name_tag", "labels")):
        with open(src / path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                tag = r[col].lower()
                if not tag or "phish" in tag or "hack" in tag or any(b in r[lab] for b in _BAD):
                    continue
                for m in _TAG_DOMAIN.findall(tag):
                    h = _host(m)
                    if h:
                        out.setdefault(h, None)
    return list(out)


def token_name_hosts(src: Path, tlds: list[str], sites: set[str]) -> list[str]:
    """Host names made of the names of labelled tokens ("SpaceX Safu" -> spacexsafu.<tld>), for tokens with no
    website or a website among ``sites`` (those fitted on); the top-level domain is drawn (by a hash of the name)
    from ``tlds``, the project websites' own. Benign names of the same kind as the project sites."""
    out = {}
    with open(src / DAWSBOT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["kind"] != "tokens" or not r["name_tag"]:
                continue
            if r["website"] and ((h := _host(r["website"])) is None or h not in sites):
                continue
            name = re.sub(r"[^a-z0-9]", "", r["name_tag"].lower())
            if not 4 <= len(name) <= 30 or "phish" in name:
                continue
            tld = tlds[hashlib.sha256(name.encode()).digest()[0] % len(tlds)]
            out.setdefault(f"{name}.{tld}", None)
    return list(out)
