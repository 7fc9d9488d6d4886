"""STIX 2.1 bundles, built and validated with the ``stix2`` library (no custom properties): one case, or
all of the warehouse's findings with the labelled pig-butchering and drainer addresses and domains.

- ``identity``: pigtrace, the source every other object names in ``created_by_ref``;
- ``campaign``: the case (its ring), or each of analyze's rings;
- ``indicator``: one per address (pattern ``[cryptocurrency-wallet:value = '...']``, the observable type
  OpenCTI and others use for wallets; STIX 2.1 has no wallet object of its own) and per domain
  (``[domain-name:value = '...']``), with ``labels`` naming the concept (``pig-butchering``, ``drainer``,
  ``address-poisoning``, ``scam``) and the role, and the evidence or label source in the description;
- ``relationship``: each indicator ``indicates`` its campaign.
Victims are never indicators. Ids are derived from the content (uuid5), so an export made twice is the same.

Place in the flow: report/gather (a case) or the findings/labels tables -> **report/stix** -> a JSON file.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb

from pigtrace import __version__

NAMESPACE = uuid.UUID("5d1c7a52-52f4-4a55-9d7e-1b0c2b3f6a10")
DRAINER_TYPOLOGIES = {"approval_drain"}
CONCEPT_LABELS = {"pig_butchering": "pig-butchering", "approval_phishing": "drainer",
                  "address_poisoning": "address-poisoning", "collection_wallet": "pig-butchering",
                  "investment_scam": "pig-butchering"}
SCAM_ROLES = ("scam_collection", "scam_operator", "laundering", "cash_out")
DOMAIN_CONCEPTS = ("pig_butchering", "approval_phishing")


def _id(kind: str, *parts: Any) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(str(p) for p in parts))}"


def _stamp(t) -> datetime:
    if t is None:
        return datetime(2009, 1, 3, tzinfo=timezone.utc)
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    if not isinstance(t, datetime):
        t = datetime(t.year, t.month, t.day)
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t


def _quote(v: str) -> str:
    return v.replace("\\", "\\\\").replace("'", "\\'")


class _Bundle:
    def __init__(self, created: datetime):
        import stix2

        self.stix2 = stix2
        self.created = created
        self.identity = stix2.Identity(
            id=_id("identity", "pigtrace"), name="pigtrace", identity_class="system", created=created,
            modified=created,
            description=f"pigtrace {__version__}: open intelligence against pig-butchering crypto fraud; findings "
                        "computed from public blockchain data, labels from the packs named in each indicator")
        self.objects: list = [self.identity]
        self.seen: set[str] = set()

    def campaign(self, key: str, name: str, description: str, first=None, last=None) -> str:
        cid = _id("campaign", key)
        if cid not in self.seen:
            self.seen.add(cid)
            extra = {}
            if first is not None:
                extra["first_seen"] = _stamp(first)
            if last is not None and first is not None and _stamp(last) >= _stamp(first):
                extra["last_seen"] = _stamp(last)
            self.objects.append(self.stix2.Campaign(
                id=cid, name=name, description=description, created=self.created, modified=self.created,
                created_by_ref=self.identity.id, **extra))
        return cid

    def indicator(self, chain: str, value: str, kind: str, name: str, description: str, labels: list[str],
                  valid_from, campaign: str | None, types: list[str], refs: list[dict] | None = None) -> None:
        iid = _id("indicator", kind, chain, value)
        if iid not in self.seen:
            self.seen.add(iid)
            pattern = (f"[domain-name:value = '{_quote(value)}']" if kind == "domain"
                       else f"[cryptocurrency-wallet:value = '{_quote(value)}']")
            self.objects.append(self.stix2.Indicator(
                id=iid, name=name, description=description, pattern=pattern, pattern_type="stix",
                valid_from=_stamp(valid_from), indicator_types=types, labels=sorted(set(labels)),
                created=self.created, modified=self.created, created_by_ref=self.identity.id,
                external_references=refs or None))
        if campaign is not None:
            rid = _id("relationship", iid, campaign)
            if rid not in self.seen:
                self.seen.add(rid)
                self.objects.append(self.stix2.Relationship(
                    id=rid, relationship_type="indicates", source_ref=iid, target_ref=campaign,
                    created=self.created, modified=self.created, created_by_ref=self.identity.id))

    def bundle(self):
        return self.stix2.Bundle(objects=self.objects, id=_id("bundle", *sorted(self.seen)))


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def case_bundle(data: dict, created: datetime | None = None):
    """A case (``report_data``) as a STIX bundle: the case's campaign, an indicator per collection,
    laundering and operator wallet and per cash-out account."""
    case, s = data["case"], data["summary"]
    b = _Bundle(created or _now())
    chain = case["chain"]
    concept = "drainer" if any("transferFrom" in " ".join(r["marks"]) for r in data["timeline"]) else "pig-butchering"
    rings = f" (analyze's {', '.join(s['rings'])})" if s["rings"] else ""
    camp = b.campaign(f"case|{chain}|{case['subject']}|{case.get('id')}",
                      f"pigtrace case {case.get('id') or ''} on {chain}{rings}".replace("  ", " "),
                      f"The ring that took {s['loss_usd']:,.2f} USD from one victim ({s['payments']} payments); "
                      f"{s['co_victims']} other victims paid the same collection wallets.", s["first"], s["last"])
    first = s["first"]
    for r in case["collection_wallets"]:
        b.indicator(chain, r["address"], "wallet", f"collection wallet {r['address']}",
                    f"Collection wallet on {chain} ({r['found']}): {r['victim_payments']} victim payments, "
                    f"{r['usd']:,.2f} USD.", [concept, "collection-wallet"], first, camp, ["malicious-activity"])
    for r in case["laundering"]:
        b.indicator(chain, r["address"], "wallet", f"laundering wallet {r['address']}",
                    f"Laundering wallet on {chain}: {r['usd']:,.2f} USD of the ring's victims' money through it.",
                    [concept, "laundering"], first, camp, ["malicious-activity"])
    for r in case["operators"]:
        b.indicator(chain, r["address"], "wallet", f"operator wallet {r['address']}",
                    f"Operator wallet on {chain}: {r['why']}.", [concept, "operator"], first, camp,
                    ["malicious-activity"])
    for g in data["services"]:
        for a in g["accounts"]:
            b.indicator(chain, a["address"], "wallet", f"{a['kind'].replace('_', ' ')} {a['address']}",
                        f"Service account on {chain} ({g['name']}) where {a['usd']:,.2f} USD of this case's money "
                        f"and {a['ring_usd']:,.2f} USD of the ring's stopped.", [concept, "cash-out"],
                        a["first_time"], camp, ["attribution"])
    return b.bundle()


def findings_bundle(con: duckdb.DuckDBPyConnection, created: datetime | None = None, domains: bool = True,
                    role: str | None = None, min_score: float = 0.0):
    """All findings in a scam role (victims are not indicators) with their rings as campaigns, plus the
    labelled addresses and (``domains``) the shipped block-list domains with the pig-butchering and drainer
    concepts, each with its source."""
    b = _Bundle(created or _now())
    rings = {}
    for chain, ring, first, last, n in con.execute(
            """SELECT r.chain, r.ring, min(f.first_seen), max(f.last_seen), count(DISTINCT r.address) FROM rings r
               LEFT JOIN findings f ON f.chain = r.chain AND f.address = r.address GROUP BY ALL ORDER BY ALL""").fetchall():
        rings[(chain, ring)] = b.campaign(f"ring|{chain}|{ring}", f"pigtrace {ring} on {chain}",
                                          f"A ring found by pigtrace analyze: {n} wallets linked by shared "
                                          "consolidation wallets, gas funders or payers.", first, last)
    roles = [r for r in SCAM_ROLES if role in (None, r)]
    cur = con.execute(
        """SELECT chain, address, role, typology, score, first_seen, ring, reasons FROM findings
           WHERE role IN (SELECT unnest(?::VARCHAR[])) AND score >= ? ORDER BY chain, address, role""",
        [roles, min_score])
    for chain, address, role, typology, score, first, ring, reasons in cur.fetchall():
        concept = "drainer" if typology in DRAINER_TYPOLOGIES else \
            "address-poisoning" if typology == "poisoning" else "pig-butchering"
        why = "; ".join(json.loads(reasons or "[]")[:3])
        b.indicator(chain, address, "wallet", f"{role.replace('_', ' ')} {address}",
                    f"pigtrace finding on {chain}: {role} ({typology}), score {score:.2f}. {why}".strip(),
                    [concept, role.replace("_", "-")], first, rings.get((chain, ring)),
                    ["attribution"] if role == "cash_out" else ["malicious-activity"])
    for chain, address, label, concepts, source, lastmod, pack in con.execute(
            """SELECT chain, address, any_value(label), list_distinct(flatten(list(concepts))), any_value(source),
                      max(lastmod), any_value(pack)
               FROM labels WHERE list_has_any(concepts, ?::VARCHAR[]) GROUP BY chain, address ORDER BY ALL""",
            [["pig_butchering", "approval_phishing", "collection_wallet"]]).fetchall():
        tags = [CONCEPT_LABELS[c] for c in concepts if c in CONCEPT_LABELS]
        b.indicator(chain, address, "wallet", f"{label} ({chain})", f"Labelled in pack {pack}: {source}",
                    tags + ["labelled"], lastmod, None, ["malicious-activity"],
                    [{"source_name": pack, "description": str(source)[:500]}])
    if domains:
        for domain, concept, source, pack in _domains():
            b.indicator("web", domain, "domain", domain, f"Listed in {pack}: {source}",
                        [CONCEPT_LABELS[concept], "website"], None, None, ["malicious-activity"],
                        [{"source_name": pack, "description": str(source)[:500]}])
    return b.bundle()


def _domains() -> Iterable[tuple[str, str, str, str]]:
    from pigtrace.labels.packs import read_domains

    t = read_domains().to_pylist()
    seen = set()
    for row in sorted(t, key=lambda r: (r["domain"], r["pack"] or "")):
        if row["list"] != "block":
            continue
        for c in row.get("concepts") or []:
            if c in DOMAIN_CONCEPTS and row["domain"] not in seen:
                seen.add(row["domain"])
                yield row["domain"], c, row.get("source") or "", row.get("pack") or ""


def bundle_text(bundle) -> str:
    """The bundle as indented JSON (stix2's own ``pretty=True`` takes a minute on a thousand objects)."""
    return json.dumps(json.loads(bundle.serialize()), indent=2, ensure_ascii=False) + "\n"


def write_bundle(bundle, out: Path) -> Path:
    """Write ``bundle`` after checking that it parses back with ``stix2`` (no custom content allowed)."""
    import stix2

    text = bundle_text(bundle)
    stix2.parse(text, allow_custom=False)
    out.write_text(text, encoding="utf-8")
    return out
