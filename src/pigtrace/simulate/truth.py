"""Ground truth of a simulated world as the JSON document ``truth.json`` (shape in the package docstring):
entity ids become the chain's canonical address text, each ring's victims are merged per address and
token, and an address holds one place only — a role if it is scam-related, else a service, else a
benign actor kind.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.addressbook import hash32_ascii
from pigtrace.simulate.context import World
from pigtrace.simulate.ledger import Frozen


def tx_hashes(w: World, frozen: Frozen, salt: int, ids) -> list[str]:
    """Written hashes of transactions given by id: 0x-hex on EVM chains, bare hex (TronGrid's form) on Tron."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return []
    text = [h.decode() for h in hash32_ascii(frozen.position[ids], salt).view("S64").ravel()]
    return text if w.chain == "tron" else ["0x" + h for h in text]


def build_truth(w: World, seed: int, frozen: Frozen) -> dict:
    addr = lazy_address_text(w)
    roles = [{"address": addr(e), "role": role, "ring": ring, "typology": typ} for e, (role, ring, typ) in w.roles.items()]
    services = [{"address": addr(e), "kind": kind, "name": name} for e, (kind, name) in w.services.items()
                if e not in w.roles]
    benign = [{"address": addr(e), "kind": kind} for e, kind in w.benign.items() if e not in w.roles]
    rings = []
    for r in w.rings:
        merged: dict[tuple[int, str], dict] = {}
        for v in r["victims"]:
            key = (v["address"], v["token"])
            if key in merged:
                m = merged[key]
                m["lost_raw"] = str(int(m["lost_raw"]) + int(v["lost_raw"]))
                m["lost_usd"] = round(m["lost_usd"] + v["lost_usd"], 2)
                m["payments"] = m["payments"] + v["payments"]
                m["refunds"] = m["refunds"] + v["refunds"]
            else:
                merged[key] = dict(v)
        victims = [{**v, "address": addr(v["address"]), "token": _token_text(w, v),
                    "payments": tx_hashes(w, frozen, seed, v["payments"]),
                    "refunds": tx_hashes(w, frozen, seed, v["refunds"])} for v in merged.values()]
        entry = {"id": r["id"], "typology": r["typology"], "params": r["params"], "knobs": r.get("knobs", {}),
                 "victims": victims,
                 "cash_out": [{**c, "address": addr(c["address"])} for c in r["cash_out"]]}
        if "targets" in r:
            entry["poisoning_targets"] = r["targets"]
        rings.append(entry)
    return {"seed": seed, "chain": w.chain, "params": getattr(w, "params", {}), "roles": roles, "rings": rings,
            "services": services, "benign": benign}


def _token_text(w: World, victim: dict) -> str:
    return w.tokens[victim["symbol"]].address


def lazy_address_text(w: World):
    """Entity -> canonical address text, one at a time (for small lookups)."""
    if w.chain != "tron":
        return w.book.hex
    from pigtrace.chains.addresses import tron_hex_to_base58

    return lambda e: tron_hex_to_base58("41" + w.book.hex(e)[2:])
