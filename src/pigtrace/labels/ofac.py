"""Reading OFAC's SDN "advanced" XML: every digital-currency address with its SDN entry.

Used by the shipped-pack build and by ``pigtrace labels update --ofac sdn_advanced.xml``. Streams the
file (121 MB uncompressed; ``.bz2``/``.gz`` read directly) with ``iterparse`` and keeps only parties that
carry a "Digital Currency Address - XXX" feature, then attaches each party's programs and listing date
from its sanctions entry.
"""

from __future__ import annotations

import bz2
import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from pigtrace.errors import PigtraceError

_FEATURE_PREFIX = "Digital Currency Address - "

# OFAC ticker -> network, when the ticker alone says it; USDT/USDC/ETH-form assets are decided by form.
ASSET_NETWORK: dict[str, str] = {
    "XBT": "bitcoin", "ETH": "ethereum", "TRX": "tron", "LTC": "litecoin", "XMR": "monero", "BCH": "bitcoin_cash",
    "DASH": "dash", "ZEC": "zcash", "ETC": "ethereum_classic", "BSV": "bitcoin_sv", "BTG": "bitcoin_gold",
    "XRP": "ripple", "XVG": "verge", "SOL": "solana", "BNB": "bnb_beacon", "BSC": "bsc", "ARB": "arbitrum",
}


@dataclass
class SdnAddress:
    address: str
    asset: str
    sdn_uid: str
    sdn_name: str
    party_type: str
    programs: list[str] = field(default_factory=list)
    entry_date: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _open(path: Path):
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_sdn_addresses(path: str | Path) -> tuple[list[SdnAddress], str | None]:
    """(addresses, issue date 'YYYY-MM-DD') from an SDN advanced XML file."""
    path = Path(path)
    if not path.exists():
        raise PigtraceError(f"{path}: no such file")
    feature_asset: dict[str, str] = {}
    subtype_party: dict[str, str] = {}
    party_type_names: dict[str, str] = {}
    parties: dict[str, dict] = {}  # profile id -> {name, party_type, addresses}
    entries: dict[str, tuple[list[str], str | None]] = {}
    issued: list[str] = []
    saw_root = False
    try:
        with _open(path) as fh:
            for event, el in ET.iterparse(fh, events=("start", "end")):
                tag = _local(el.tag)
                if event == "start":
                    if not saw_root:
                        if tag != "Sanctions":
                            raise PigtraceError(f"{path}: not an OFAC SDN advanced XML file (root <{tag}>)")
                        saw_root = True
                    continue
                if tag == "DateOfIssue":
                    parts = {_local(c.tag): (c.text or "").strip() for c in el}
                    issued.append(f"{int(parts['Year']):04d}-{int(parts['Month']):02d}-{int(parts['Day']):02d}")
                elif tag == "FeatureType" and (el.text or "").startswith(_FEATURE_PREFIX):
                    feature_asset[el.get("ID")] = el.text[len(_FEATURE_PREFIX):].strip()
                elif tag == "PartyType":
                    party_type_names[el.get("ID")] = (el.text or "").strip()
                elif tag == "PartySubType":
                    subtype_party[el.get("ID")] = el.get("PartyTypeID")
                elif tag == "DistinctParty":
                    _read_party(el, feature_asset, subtype_party, party_type_names, parties)
                    el.clear()
                elif tag == "SanctionsEntry":
                    pid = el.get("ProfileID")
                    if pid in parties:
                        entries[pid] = _read_entry(el)
                    el.clear()
    except ET.ParseError as e:
        raise PigtraceError(f"{path}: not well-formed XML ({e})") from None
    except (OSError, EOFError) as e:
        raise PigtraceError(f"{path}: cannot read ({e})") from None
    if not saw_root:
        raise PigtraceError(f"{path}: empty file")
    out: list[SdnAddress] = []
    for pid, p in parties.items():
        programs, date = entries.get(pid, ([], None))
        for address, asset in p["addresses"]:
            out.append(SdnAddress(address, asset, pid, p["name"], p["party_type"], programs, date))
    return out, (issued[0] if issued else None)


def _read_party(el, feature_asset, subtype_party, party_type_names, parties) -> None:
    profile = next((c for c in el if _local(c.tag) == "Profile"), None)
    if profile is None:
        return
    addresses = []
    name = None
    for node in profile.iter():
        t = _local(node.tag)
        if t == "Feature" and node.get("FeatureTypeID") in feature_asset:
            asset = feature_asset[node.get("FeatureTypeID")]
            for vd in node.iter():
                if _local(vd.tag) == "VersionDetail" and (vd.text or "").strip():
                    addresses.append((vd.text.strip(), asset))
        elif t == "Alias" and node.get("Primary") == "true" and name is None:
            # the first documented name is the Latin-script one; others repeat it in native scripts
            doc = next((d for d in node.iter() if _local(d.tag) == "DocumentedName"), node)
            parts = [(v.text or "").strip() for v in doc.iter() if _local(v.tag) == "NamePartValue"]
            name = " ".join(p for p in parts if p)
    if addresses:
        pid = profile.get("ID")
        ptype = party_type_names.get(subtype_party.get(profile.get("PartySubTypeID"), ""), "")
        parties[pid] = {"name": name or f"SDN {pid}", "party_type": ptype, "addresses": addresses}


def _read_entry(el) -> tuple[list[str], str | None]:
    programs: list[str] = []
    date = None
    for node in el.iter():
        t = _local(node.tag)
        if t == "SanctionsMeasure" and node.get("SanctionsTypeID") == "1":
            c = next((x for x in node if _local(x.tag) == "Comment"), None)
            if c is not None and (c.text or "").strip():
                programs.append(c.text.strip())
        elif t == "EntryEvent" and date is None:
            d = next((x for x in node if _local(x.tag) == "Date"), None)
            if d is not None:
                parts = {_local(c.tag): (c.text or "").strip() for c in d}
                date = f"{int(parts['Year']):04d}-{int(parts['Month']):02d}-{int(parts['Day']):02d}"
    return programs, date
