"""Building the shipped label packs from the raw third-party files (``pigtrace labels build --from DIR``).

Reads the source folders (``ofac-sdn``, ``forta-labelled-datasets``, ``etherscan-labels-brianleect``,
``eth-labels-dawsbot``, ``sophos-iocs``, ``metamask-eth-phishing-detect``, ``cryptoscamdb``) and writes
compact Parquet packs plus ``manifest.json`` into ``src/pigtrace/data/labels/``. Address packs have the
``labels`` table's columns; ``domains.parquet`` holds the website block/allow/fuzzy lists. The same input
always gives the same rows in the same order. Personal data is never copied: no reporter names, no
free-text descriptions, no victims.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.labels import attribution
from pigtrace.labels.addressing import canonical, guess_network
from pigtrace.labels.ofac import ASSET_NETWORK, read_sdn_addresses
from pigtrace.labels.packs import DATA_DIR, DOMAIN_SCHEMA, LABEL_SCHEMA
from pigtrace.labels.brandset import (derive_brands, derive_project_domains, derive_project_names, write_brands,
                                      write_project_domains, write_project_names)
from pigtrace.labels.lexical_train import train as train_lexical
from pigtrace.labels.url_signals import project_domains, project_names, word_lists
from pigtrace.labels.urls import UrlChecker, brands, parse_host

SOURCES = ("ofac-sdn", "forta-labelled-datasets", "etherscan-labels-brianleect", "eth-labels-dawsbot",
           "sophos-iocs", "metamask-eth-phishing-detect", "cryptoscamdb")


def _label(chain, address, label, source, confidence, category, concepts, *, abuse=None, actor=None,
           tx_hash=None, lastmod=None, context=None, pack, cluster=False) -> dict:
    return {
        "chain": chain, "address": address, "label": label, "source": source, "confidence": confidence,
        "category": category, "abuse": abuse, "concepts": sorted(set(concepts)), "actor": actor,
        "tx_hash": tx_hash, "lastmod": lastmod, "is_cluster_definer": cluster,
        "context": json.dumps(context, sort_keys=True, ensure_ascii=False) if context else None,
        "pack": pack, "origin": "shipped",
    }


def _canon(address: str, chain: str) -> str | None:
    a = (address or "").strip()
    if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", a):
        return a.lower()  # explorer dumps mix checksummed and plain forms; the hex is what matters
    try:
        return canonical(a, chain)
    except InvalidAddress:
        return None


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


# --- address packs -------------------------------------------------------------------------------------

def build_ofac(src: Path) -> list[dict]:
    """OFAC SDN digital-currency addresses, read from OFAC's own advanced XML."""
    xml = src / "ofac-sdn" / "sdn_advanced.xml.bz2"
    rows, issued = read_sdn_addresses(xml)
    return ofac_rows(rows, issued, f"OFAC SDN list, sdn_advanced.xml issued {issued}")


def ofac_rows(rows, issued: str | None, source_note: str, pack: str = "ofac-sdn") -> list[dict]:
    merged: dict[tuple, dict] = {}
    for r in rows:
        chain = ASSET_NETWORK.get(r.asset)
        if chain is None or r.asset in ("ETH", "USDT", "USDC"):
            form = guess_network(r.address)
            chain = {"evm": "ethereum", None: chain or "unknown"}.get(form, form)
        if chain == "ethereum" and r.asset == "ETC":
            chain = "ethereum_classic"
        address = _canon(r.address, chain)
        if address is None:
            continue
        key = (chain, address, r.sdn_name)
        if key in merged:
            merged[key]["_assets"].add(r.asset)
            continue
        ctx = {"sdn_uid": r.sdn_uid, "programs": r.programs, "party_type": r.party_type,
               "entry_date": r.entry_date, "published_as": r.address}
        row = _label(chain, address, r.sdn_name,
                     f"{source_note}; https://sanctionssearch.ofac.treas.gov/Details.aspx?id={r.sdn_uid}",
                     "authority_data", "sanctioned", ["sanction"], abuse="sanction", actor=f"ofac-sdn-{r.sdn_uid}",
                     lastmod=date.fromisoformat(issued) if issued else None, context=ctx, pack=pack)
        row["_assets"] = {r.asset}
        merged[key] = row
    out = []
    for row in merged.values():
        ctx = json.loads(row["context"])
        ctx["assets"] = sorted(row.pop("_assets"))
        row["context"] = json.dumps(ctx, sort_keys=True, ensure_ascii=False)
        out.append(row)
    return out


_FORTA_KIND = {
    "phish-hack": ("scam", ["phishing", "scam"], "phishing"),
    "exploit": ("hacker", ["hacker"], "hacker"),
    "heist": ("hacker", ["hacker", "theft"], "theft"),
}


def _forta_kind(text: str) -> str | None:
    t = (text or "").lower()
    for k in _FORTA_KIND:
        if k in t:
            return k
    return None


def build_forta(src: Path) -> list[dict]:
    base = src / "forta-labelled-datasets" / "labels"
    pack, lastmod = "forta-etherscan-malicious", date(2023, 1, 26)
    note = "Forta labelled-datasets (MIT) of Etherscan's label cloud"
    rows: list[dict] = []

    def add(chain, address, tag, kind, file, **kw):
        a = _canon(address, chain)
        if a is None or kind is None:
            return
        category, concepts, abuse = _FORTA_KIND[kind]
        label = (tag or "").strip() or f"Etherscan {kind}"
        rows.append(_label(chain, a, label, f"{note}: {file}", "trusted_provider", category, concepts, abuse=abuse,
                           lastmod=lastmod, pack=pack, **kw))

    for r in _read_csv(base / "1" / "etherscan_malicious_labels.csv"):
        add("ethereum", r["banned_address"], r["wallet_tag"], _forta_kind(r["data_source"]),
            "labels/1/etherscan_malicious_labels.csv")
    for r in _read_csv(base / "1" / "phishing_scams.csv"):
        add("ethereum", r["address"], r["etherscan_tag"], _forta_kind(r["etherscan_labels"]) or "phish-hack",
            "labels/1/phishing_scams.csv", context={"is_contract": r["is_contract"] == "True"})
    for chain_id, chain in (("1", "ethereum"), ("10", "optimism")):
        for r in _read_csv(base / chain_id / "malicious_smart_contracts.csv"):
            kind = _forta_kind(r.get("contract_creator_etherscan_label", "")) or "exploit"
            file = f"labels/{chain_id}/malicious_smart_contracts.csv"
            add(chain, r["contract_address"], r["contract_tag"] or f"Malicious contract ({kind})", kind, file,
                tx_hash=(r.get("contract_creation_tx") or None), context={"is_contract": True})
            if r.get("contract_creator"):
                add(chain, r["contract_creator"], r.get("contract_creator_tag") or "Deployer of malicious contract",
                    kind, file, tx_hash=(r.get("contract_creation_tx") or None),
                    context={"deployed": r["contract_address"].lower()})
    return rows


def build_etherscan(src: Path) -> list[dict]:
    """Attribution (exchanges, bridges, DEXes, lending, mixers, issuers, issuer-blocked) and the risky
    explorer tags of the non-Ethereum chains, from the 2024 and 2023 explorer scrapes."""
    pack = "etherscan-attribution"
    rows: list[dict] = []
    dawsbot = src / "eth-labels-dawsbot" / "eth_labels_2024.csv"
    for r in _read_csv(dawsbot):
        if r["kind"] != "accounts":
            continue
        chain = attribution.EXPLORER_CHAIN.get(r["explorer"])
        rows += _etherscan_rows(chain, r["address"], r["name_tag"], [r["label"]], pack, date(2024, 6, 18),
                                f"Etherscan-family label cloud ({r['explorer']}, label '{r['label']}') via "
                                "dawsbot/eth-labels (MIT), 2024")
    brian = src / "etherscan-labels-brianleect" / "evm_explorer_labels_2023.csv"
    for r in _read_csv(brian):
        slugs = [s for s in r["labels"].split(";") if s]
        rows += _etherscan_rows(r["chain"], r["address"], r["name_tag"], slugs, pack, date(2023, 6, 18),
                                f"Etherscan-family label cloud ({r['chain']}, labels '{r['labels']}') via "
                                "brianleect/etherscan-labels (MIT), 2023")
    return rows


def _etherscan_rows(chain, address, name_tag, slugs, pack, lastmod, source) -> list[dict]:
    if chain is None:
        return []
    kind = attribution.classify(slugs, name_tag)
    if kind is None:
        return []
    a = _canon(address, chain)
    if a is None:
        return []
    category, concepts, actor, label = kind
    abuse = next((c for c in concepts if c in ("phishing", "hacker", "theft", "scam", "issuer_blocked",
                                               "mixing_service")), None)
    return [_label(chain, a, label, source, "trusted_provider", category, concepts, abuse=abuse, actor=actor,
                   lastmod=lastmod, pack=pack)]


SOPHOS_SZP = "https://news.sophos.com/en-us/2023/02/28/sour-grapes-stomping-on-a-cambodia-based-pig-butchering-scam/"


def build_sophos_addresses(src: Path) -> list[dict]:
    chains = {"ethereum_address": "ethereum", "tron_address": "tron", "bitcoin_address": "bitcoin"}
    rows = []
    for r in _read_csv(src / "sophos-iocs" / "sophos_scam_iocs.csv"):
        chain = chains.get(r["indicator_type"])
        if chain is None:
            continue
        a = _canon(r["value"], chain)
        if a is None:
            continue
        rows.append(_label(chain, a, "Sophos X-Ops: pig-butchering ring wallet",
                           f"Sophos X-Ops IOCs ({r['source_file']}); {r['report']}", "forensic", "scam",
                           ["pig_butchering", "scam", "collection_wallet"], abuse="pig_butchering",
                           actor="sophos-sour-grapes-ring", lastmod=date(2023, 3, 1), pack="sophos-pig-butchering",
                           context={"campaign": r["campaign"]}))
    return rows


_CSDB_COIN = {"ETH": "ethereum", "BTC": "bitcoin", "TRX": "tron", "LTC": "litecoin", "BCH": "bitcoin_cash",
              "XRP": "ripple", "DOGE": "dogecoin", "XMR": "monero", "ZEC": "zcash", "DASH": "dash", "BSC": "bsc",
              "BNB": "bsc", "USDT": None, "SOL": "solana"}


def _csdb_concepts(category: str, sub: str) -> list[str]:
    sub_l = sub.lower()
    if category == "Malware":
        return ["malware"]
    if category == "Phishing":
        return ["phishing", "scam"]
    if "trust-trading" in sub_l or "giveaway" in sub_l:
        return ["giveaway_scam", "scam"]
    if "invest" in sub_l:
        return ["investment_scam", "scam"]
    return ["scam"]


def build_cryptoscamdb(src: Path) -> list[dict]:
    rows = []
    for r in _read_csv(src / "cryptoscamdb" / "cryptoscamdb_entries.csv"):
        if not r["address"] or r["category"] == "Hacked":
            continue
        coin = r["coin"].upper()
        chain = _CSDB_COIN.get(coin)
        if chain is None:
            form = guess_network(r["address"])
            chain = {"evm": "ethereum"}.get(form, form) if coin in ("USDT", "UNKNOWN") else None
        if chain is None:
            continue
        a = _canon(r["address"], chain)
        if a is None:
            continue
        sub = r["subcategory"] or r["category"]
        rows.append(_label(chain, a, f"CryptoScamDB: {r['category'].lower()} ({sub})",
                           f"CryptoScamDB blacklist (urls.yaml): {r['url']}", "web_crawl",
                           "scam", _csdb_concepts(r["category"], sub), abuse=r["category"].lower(),
                           lastmod=date(2022, 6, 28), pack="cryptoscamdb", context={"site": r["name"]}))
    return rows


# --- domain lists --------------------------------------------------------------------------------------

_PLATFORM_HOSTS = {"apps.apple.com", "play.google.com", "twitter.com", "x.com", "t.me", "github.com", "medium.com",
                   "docs.google.com", "sites.google.com", "drive.google.com", "forms.gle", "bit.ly", "linktr.ee",
                   "instagram.com", "reddit.com", "discord.com", "discord.gg", "tiktok.com", "linkedin.com"}


def _platform_hosts(out: Path) -> set[str]:
    """Hosts whose listed URLs are matched whole, never by host: app stores, social sites, and every official
    domain in brands.csv (a scam page on t.me or youtube.com must not block the platform)."""
    return _PLATFORM_HOSTS | {d for b in brands(out) for d in b.domains}


def _host(value: str) -> str | None:
    try:
        return parse_host(value)[0]
    except PigtraceError:
        return None


def _domain(domain, lst, source, pack, category, concepts, note=None) -> dict:
    return {"domain": domain, "list": lst, "source": source, "pack": pack, "category": category,
            "concepts": sorted(set(concepts)), "note": note}


def build_domains(src: Path, out: Path = DATA_DIR) -> list[dict]:
    rows: list[dict] = []
    platforms = _platform_hosts(out)
    mm = json.loads((src / "metamask-eth-phishing-detect" / "config.json").read_text())
    mm_src = "MetaMask eth-phishing-detect config.json (2023-08-31, DBAD licence)"
    for lst, key in (("block", "blacklist"), ("allow", "whitelist"), ("fuzzy", "fuzzylist")):
        for d in mm[key]:
            h = _host(d)
            if h:
                rows.append(_domain(h, lst, mm_src, "metamask-phishing", "scam" if lst == "block" else None,
                                    ["phishing"] if lst == "block" else []))
    for r in _read_csv(src / "sophos-iocs" / "sophos_scam_iocs.csv"):
        t = r["indicator_type"]
        if t not in ("domain", "url", "ip", "url_path"):
            continue
        concepts = (["approval_phishing", "scam"] if "defi-mining" in r["source_file"]
                    else ["pig_butchering", "scam"])
        source = f"Sophos X-Ops IOCs ({r['source_file']}); {r['report']}"
        note = (r["note"] or "").strip() or None
        if t == "url_path":
            rows.append(_domain(r["value"].strip(), "path", source, "sophos-pig-butchering", "scam", concepts, note))
            continue
        h = _host(r["value"])
        if h is None:
            continue
        if t == "url" and h in platforms:
            rows.append(_domain(r["value"].strip(), "url", source, "sophos-pig-butchering", "scam", concepts, note))
        else:
            rows.append(_domain(h, "block", source, "sophos-pig-butchering", "scam", concepts, note))
    for r in _read_csv(src / "cryptoscamdb" / "cryptoscamdb_entries.csv"):
        h = _host(r["url"] or r["name"])
        if h:
            concepts = _csdb_concepts(r["category"], r["subcategory"] or r["category"])
            if h in platforms:
                rows.append(_domain(r["url"].strip(), "url", "CryptoScamDB blacklist (urls.yaml, 2017-2022)",
                                    "cryptoscamdb", "scam", concepts))
            else:
                rows.append(_domain(h, "block", "CryptoScamDB blacklist (urls.yaml, 2017-2022)", "cryptoscamdb",
                                    "scam", concepts))
    # one row per (domain, list, pack); the first source wins
    seen, out = set(), []
    for r in rows:
        k = (r["domain"], r["list"], r["pack"])
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


# --- writing ---------------------------------------------------------------------------------------------

PACK_BUILDERS = {
    "ofac-sdn": build_ofac,
    "forta-etherscan-malicious": build_forta,
    "etherscan-attribution": build_etherscan,
    "sophos-pig-butchering": build_sophos_addresses,
    "cryptoscamdb": build_cryptoscamdb,
}


def _dedupe(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        k = (r["pack"], r["chain"], r["address"], r["label"])
        if k not in seen:
            seen.add(k)
            out.append(r)
    return sorted(out, key=lambda r: (r["chain"], r["address"], r["label"]))


def _write(rows: list[dict], schema: pa.Schema, path: Path) -> str:
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, compression="zstd", compression_level=19, write_statistics=False,
                   store_schema=True)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_all(src: str | Path, out: str | Path) -> dict:
    """Build every pack from the source folder ``src`` into ``out``; returns the manifest."""
    src, out = Path(src), Path(out)
    missing = [s for s in SOURCES if not (src / s).is_dir()]
    if missing:
        raise PigtraceError(f"{src}: source folders missing: {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    packs = {}
    for name, builder in PACK_BUILDERS.items():
        rows = _dedupe(builder(src))
        digest = _write(rows, LABEL_SCHEMA, out / f"{name}.parquet")
        packs[name] = {"file": f"{name}.parquet", "rows": len(rows), "sha256": digest}
    if out.resolve() != DATA_DIR.resolve():
        shutil.copyfile(DATA_DIR / "brands.csv", out / "brands.csv")  # written by hand, not built
    with open(out / "brands.csv", newline="", encoding="utf-8") as fh:
        hand = {d for r in csv.DictReader(fh) for d in r["domains"].split()}
    write_brands(derive_brands(src, hand), out / "brands-derived.csv")
    lures = word_lists()
    projects = derive_project_names(src, lures["lure_words"] | lures["drainer_lures"])
    write_project_names(projects, out / "url-projects.txt")
    write_project_domains(derive_project_domains(src), out / "url-project-domains.txt")
    project_names.cache_clear()
    project_domains.cache_clear()
    brands.cache_clear()
    domains = sorted(build_domains(src, out), key=lambda r: (r["list"], r["domain"], r["pack"]))
    digest = _write(domains, DOMAIN_SCHEMA, out / "domains.parquet")
    (out / "manifest.json").write_text(json.dumps({"packs": packs, "domains": {"file": "domains.parquet"}}))  # read by UrlChecker
    model_info = train_lexical(src, out, UrlChecker(out))
    manifest = {
        "packs": packs,
        "domains": {"file": "domains.parquet", "rows": len(domains), "sha256": digest},
        "url_model": {"file": "url-model.npz", "sha256": hashlib.sha256((out / "url-model.npz").read_bytes()).hexdigest(),
                      **model_info},
    }
    manifest["version"] = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
