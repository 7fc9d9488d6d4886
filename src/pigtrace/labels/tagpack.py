"""GraphSense TagPack YAML: reading (with validation that names file, line, tag and field) and writing.

A TagPack is a header (``title``, ``creator``, ``description``, ``is_public``, ``tags``) whose other fields
are defaults every tag inherits. Tag fields: ``label``, ``address``, ``source``, ``currency``/``network``
(ticker codes such as ETH, TRX, BTC; see ``labels/addressing.NETWORK_CODES``), ``confidence`` (named level),
``category``, ``abuse``, ``concepts``, ``actor``, ``tx_hash``, ``lastmod``, ``is_cluster_definer``,
``context``. Reading gives rows of the ``labels`` table; writing hoists the fields all tags share into the
header, so a pack written and read back gives the same rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.labels.addressing import CODE_NETWORKS, NETWORK_CODES, canonical, guess_network
from pigtrace.labels.taxonomy import CATEGORIES, CONCEPTS, CONFIDENCE

_MULTI_CHAIN_TOKENS = {"USDT", "USDC"}
HEADER_FIELDS = {"title", "creator", "description", "is_public", "tags"}
TAG_FIELDS = {"label", "address", "source", "currency", "network", "confidence", "category", "abuse", "concepts",
              "actor", "tx_hash", "lastmod", "is_cluster_definer", "context"}
MANDATORY = ("label", "address", "source")
_TEXT_FIELDS = ("label", "source", "confidence", "category", "abuse", "actor", "tx_hash")

try:
    _BaseLoader, _Dumper = yaml.CSafeLoader, yaml.CSafeDumper
except AttributeError:  # PyYAML without libyaml
    _BaseLoader, _Dumper = yaml.SafeLoader, yaml.SafeDumper


class _Loader(_BaseLoader):
    """YAML 1.1 as PyYAML's safe loader reads it, except that ``0x...`` is text, not a hexadecimal integer:
    an unquoted EVM address or transaction hash stays what it says (other integers are read as before)."""


_INT_WITHOUT_HEX = re.compile(r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""", re.X)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, _INT_WITHOUT_HEX if tag == "tag:yaml.org,2002:int" else rx) for tag, rx in resolvers]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class TagPackError(PigtraceError):
    """A TagPack that does not validate; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        more = f" (and {len(errors) - 5} more problems)" if len(errors) > 5 else ""
        super().__init__("; ".join(errors[:5]) + more)


def chain_of(network: str) -> str | None:
    n = str(network).strip()
    if n.upper() in CODE_NETWORKS:
        return CODE_NETWORKS[n.upper()]
    if n.lower() in NETWORK_CODES:
        return n.lower()
    return None


def network_of(chain: str) -> str:
    return NETWORK_CODES.get(chain, chain)


def _tag_lines(text: str) -> list[int]:
    """1-based line of each tag, from the YAML node tree (for error messages)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for k, v in root.value:
        if getattr(k, "value", None) == "tags" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


@dataclass
class TagPackFile:
    """A TagPack as read: the pack name, its label rows, its header as written (title, creator, description,
    is_public and the tag defaults) and the file's text, so that an export can give back what was imported."""

    name: str
    rows: list[dict]
    header: dict
    text: str


def read_tagpack(path: str | Path, pack: str | None = None) -> tuple[str, list[dict]]:
    """(pack name, label rows) of a TagPack file; raises TagPackError listing every invalid field."""
    got = read_tagpack_file(path, pack)
    return got.name, got.rows


def read_tagpack_file(path: str | Path, pack: str | None = None) -> TagPackFile:
    """The TagPack file read whole (``TagPackFile``); raises TagPackError listing every invalid field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PigtraceError(f"{path}: cannot read ({e})") from None
    return parse_tagpack_text(text, str(path), pack)


def parse_tagpack_text(text: str, where: str, pack: str | None = None) -> TagPackFile:
    """A TagPack document's text (a file's, a request body's) read whole; errors name ``where`` and the line."""
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise TagPackError([f"{where}:{line}: not valid YAML ({getattr(e, 'problem', e)})"]) from None
    name, rows = parse_tagpack(doc, where, pack, _tag_lines(text))
    header = {k: v for k, v in doc.items() if k != "tags"}
    return TagPackFile(name, rows, header, text)


def load_yaml(text: str):
    """YAML text as a TagPack reader sees it (``0x...`` stays text)."""
    return yaml.load(text, Loader=_Loader)


def parse_tagpack(doc, where: str, pack: str | None = None, lines: list[int] | None = None) -> tuple[str, list[dict]]:
    if not isinstance(doc, dict):
        raise TagPackError([f"{where}: a TagPack is a mapping with title, creator and tags"])
    errors: list[str] = []
    for f in ("title", "creator", "tags"):
        if f not in doc:
            errors.append(f"{where}: header: field {f!r} is missing")
    unknown = set(doc) - HEADER_FIELDS - TAG_FIELDS
    for f in sorted(unknown):
        errors.append(f"{where}: header: field {f!r} is not a TagPack field")
    tags = doc.get("tags")
    if "tags" in doc and not isinstance(tags, list):
        errors.append(f"{where}: header: field 'tags' must be a list")
        tags = []
    if errors:
        raise TagPackError(errors)
    name = pack or str(doc["title"])
    defaults = {k: v for k, v in doc.items() if k in TAG_FIELDS}
    rows = []
    for i, tag in enumerate(tags or [], start=1):
        line = f" line {lines[i - 1]}" if lines and i - 1 < len(lines) else ""
        if not isinstance(tag, dict):
            errors.append(f"{where}:{line} tag {i}: a tag is a mapping of fields")
            continue
        merged = {**defaults, **tag}
        who = f"{where}:{line} tag {i} (label {merged.get('label')!r})"
        row = _tag_row(merged, tag, who, errors)
        if row is not None:
            row["pack"], row["origin"] = name, "user"
            rows.append(row)
    if errors:
        raise TagPackError(errors)
    return name, rows


def _tag_row(t: dict, own: dict, who: str, errors: list[str]) -> dict | None:
    bad = len(errors)
    for f in sorted(set(own) - TAG_FIELDS):
        errors.append(f"{who}: field {f!r} is not a TagPack tag field")
    for f in MANDATORY:
        if t.get(f) in (None, ""):
            errors.append(f"{who}: field {f!r} is missing")
    for f in _TEXT_FIELDS:
        if t.get(f) is not None and not isinstance(t[f], (str, int, float)):
            errors.append(f"{who}: field {f!r} must be text")
    net = t.get("network", t.get("currency"))
    chain = None
    if net in (None, ""):
        errors.append(f"{who}: field 'network' (or 'currency') is missing")
    else:
        chain = chain_of(net)
        if str(net).upper() in _MULTI_CHAIN_TOKENS and t.get("address"):
            form = guess_network(str(t["address"]))  # USDT/USDC live on several chains: the form decides
            chain = {"evm": "ethereum", None: chain}.get(form, form)
        if chain is None:
            field = "network" if "network" in t else "currency"
            known = ", ".join(sorted(CODE_NETWORKS))
            errors.append(f"{who}: field {field!r}: unknown network {net!r} (known: {known})")
    conf = t.get("confidence")
    if conf is not None and conf not in CONFIDENCE:
        errors.append(f"{who}: field 'confidence': unknown level {conf!r} (levels: {', '.join(CONFIDENCE)})")
    cat = t.get("category")
    if cat is not None and cat not in CATEGORIES:
        errors.append(f"{who}: field 'category': {cat!r} is not in the taxonomy (see data/labels/taxonomy.yaml)")
    abuse = t.get("abuse")
    if abuse is not None and abuse not in CONCEPTS:
        errors.append(f"{who}: field 'abuse': {abuse!r} is not a concept of the taxonomy")
    concepts = t.get("concepts")
    if concepts is not None:
        if not isinstance(concepts, list) or not all(isinstance(c, str) for c in concepts):
            errors.append(f"{who}: field 'concepts' must be a list of concept names")
            concepts = None
        else:
            for c in concepts:
                if c not in CONCEPTS:
                    errors.append(f"{who}: field 'concepts': {c!r} is not a concept of the taxonomy")
    lastmod = t.get("lastmod")
    if lastmod is not None:
        if isinstance(lastmod, datetime):
            lastmod = lastmod.date()
        elif isinstance(lastmod, str):
            try:
                lastmod = date.fromisoformat(lastmod.strip()[:10])
            except ValueError:
                errors.append(f"{who}: field 'lastmod': {t['lastmod']!r} is not a date (YYYY-MM-DD)")
        elif not isinstance(lastmod, date):
            errors.append(f"{who}: field 'lastmod': {lastmod!r} is not a date (YYYY-MM-DD)")
    icd = t.get("is_cluster_definer")
    if icd is not None and not isinstance(icd, bool):
        errors.append(f"{who}: field 'is_cluster_definer' must be true or false")
    context = t.get("context")
    if context is not None and not isinstance(context, str):
        context = json.dumps(context, sort_keys=True, ensure_ascii=False, default=str)
    address = None
    if isinstance(t.get("address"), (int, float)) and not isinstance(t.get("address"), bool):
        errors.append(f"{who}: field 'address': YAML read {t['address']!r} as a number; quote the address "
                      "(address: '...') so that it is read as written")
    elif chain is not None and t.get("address") not in (None, ""):
        try:
            address = canonical(str(t["address"]), chain)
        except InvalidAddress as e:
            errors.append(f"{who}: field 'address': {e}")
    if len(errors) > bad:
        return None
    return {
        "chain": chain, "address": address, "label": str(t["label"]), "source": str(t["source"]),
        "confidence": conf, "category": cat, "abuse": abuse, "concepts": concepts, "actor": t.get("actor"),
        "tx_hash": t.get("tx_hash"), "lastmod": lastmod, "is_cluster_definer": icd, "context": context,
    }


def _tag_dict(row: dict) -> dict:
    tag = {"label": row["label"], "address": row["address"], "network": network_of(row["chain"])}
    for f in ("source", "confidence", "category", "abuse", "concepts", "actor", "tx_hash", "lastmod",
              "is_cluster_definer", "context"):
        v = row.get(f)
        if v is not None:
            tag[f] = list(v) if f == "concepts" else v
    return tag


def tagpack_document(pack: str, rows: list[dict], creator: str = "pigtrace", description: str | None = None,
                     is_public: bool = False, title: str | None = None) -> dict:
    """A TagPack mapping for ``rows`` of one pack; fields every tag shares move to the header. ``title``:
    the title to write (default: the pack's name)."""
    tags = [_tag_dict(r) for r in rows]
    shared = {}
    if tags:
        for f in TAG_FIELDS - {"label", "address"}:
            vals = [t.get(f, _MISSING) for t in tags]
            if vals[0] is not _MISSING and all(v == vals[0] for v in vals):
                shared[f] = vals[0]
        for t in tags:
            for f in shared:
                t.pop(f, None)
    doc = {"title": title if title is not None else pack, "creator": creator}
    if description:
        doc["description"] = description
    doc["is_public"] = is_public
    doc.update(dict(sorted(shared.items())))
    doc["tags"] = tags
    return doc


_MISSING = object()


def tagpack_text(pack: str, rows: list[dict], **header) -> str:
    return yaml.dump(tagpack_document(pack, rows, **header), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=120)


def write_tagpack(path: str | Path, pack: str, rows: list[dict], **header) -> Path:
    path = Path(path)
    path.write_text(tagpack_text(pack, rows, **header), encoding="utf-8")
    return path


def exported_pack(con, pack: str, origin: str, where: str = "export") -> str:
    """The TagPack text ``labels export`` writes for ``pack``: the imported file itself while its labels are
    unchanged, else the labels under the imported header (title, creator, description, is_public), else (a
    pack never imported from a file) under pigtrace's own."""
    from pigtrace.labels.store import pack_rows, pack_source

    rows = pack_rows(con, pack)
    header, document = pack_source(con, pack)
    if document is not None and _same_rows(parse_tagpack(load_yaml(document), where, pack)[1], rows):
        return document
    if header is not None:
        return tagpack_text(pack, rows, creator=str(header.get("creator", "pigtrace")),
                            description=header.get("description"), is_public=bool(header.get("is_public", False)),
                            title=str(header.get("title", pack)))
    return tagpack_text(pack, rows, description=f"pigtrace export of pack '{pack}' ({origin})",
                        is_public=origin != "user")


def _same_rows(parsed: list[dict], stored: list[dict]) -> bool:
    """Whether a kept TagPack text still gives the pack's stored labels (by chain, address and label)."""
    keep = ("chain", "address", "label", "source", "confidence", "category", "abuse", "actor", "tx_hash", "lastmod",
            "is_cluster_definer", "context")

    def key(r: dict) -> tuple:
        return tuple(r.get(k) for k in keep) + (tuple(r.get("concepts") or ()),)

    return sorted(map(key, {(r["chain"], r["address"], r["label"]): r for r in parsed}.values())) == \
        sorted(map(key, stored))
