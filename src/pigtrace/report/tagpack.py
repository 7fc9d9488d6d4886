"""A case's addresses as a GraphSense TagPack: the ring's collection, laundering and operator wallets and the
service accounts where its money stopped, each tag saying what the case found (role, USD, the case id in
``context``). Victims (the subject and the co-victims) are left out: a TagPack is shared, and a victim's
address is theirs.

Place in the flow: report/gather (a case) -> **report/tagpack** -> labels/tagpack.write_tagpack (YAML).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from pigtrace.labels.tagpack import write_tagpack


def case_rows(data: dict) -> list[dict]:
    case = data["case"]
    chain, cid = case["chain"], case.get("id")
    created = case.get("created") or data["generated"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    lastmod = created.date() if isinstance(created, datetime) else created if isinstance(created, date) else None
    source = f"pigtrace case {cid if cid is not None else '(unsaved)'} on {chain}, built {created:%Y-%m-%d}: " \
             f"traced from {case['subject_kind']} payments ({case['method']})"
    rows: list[dict] = []

    def add(address: str, label: str, category: str, concepts: list[str], abuse: str | None, **context) -> None:
        rows.append({"chain": chain, "address": address, "label": label, "source": source, "confidence": "forensic",
                     "category": category, "abuse": abuse, "concepts": concepts, "actor": None, "tx_hash": None,
                     "lastmod": lastmod, "is_cluster_definer": None,
                     "context": json.dumps({"case": cid, **context}, sort_keys=True)})

    for r in case["collection_wallets"]:
        add(r["address"], "pig-butchering collection wallet", "scam", ["pig_butchering", "collection_wallet"],
            "pig_butchering", role="collection", usd=r["usd"], ring=r.get("ring"))
    for r in case["laundering"]:
        add(r["address"], "pig-butchering laundering wallet", "scam", ["pig_butchering"], "pig_butchering",
            role="laundering", usd=r["usd"])
    for r in case["operators"]:
        add(r["address"], "pig-butchering operator wallet", "scam", ["pig_butchering"], "pig_butchering",
            role="operator", why=r["why"])
    for g in data["services"]:
        for a in g["accounts"]:
            category = {"exchange_deposit": "exchange", "exchange": "exchange", "otc": "otc_desk",
                        "bridge": "bridge", "dex": "defi_dex", "mixer": "mixing_service"}[a["kind"]]
            add(a["address"], f"{g['name']}: {a['kind'].replace('_', ' ')} that received pig-butchering proceeds",
                category, [category], None, role="cash_out", usd=a["usd"], ring_usd=a["ring_usd"])
    seen, out = set(), []
    for r in rows:  # an address in two roles keeps the first (the ring's own role before the cash-out)
        if r["address"] not in seen:
            seen.add(r["address"])
            out.append(r)
    return out


def write_case_tagpack(data: dict, out: Path) -> Path:
    case = data["case"]
    title = f"pigtrace-case-{case.get('id') or 'unsaved'}"
    return write_tagpack(out, title, case_rows(data), creator=f"pigtrace {data['version']}",
                         description=f"Addresses of pigtrace case {case.get('id') or '(unsaved)'} on {case['chain']}: "
                                     "the ring's wallets and the service accounts its money reached (victims left out)",
                         is_public=False)
