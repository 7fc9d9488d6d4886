"""Score `pigtrace case` against a simulated world's ``truth.json``: from one victim of a ring, are the
other victims found, and does the victim's money reach the accounts where the ring really cashed out?

For each ring, up to ``per_ring`` of its victims (drawn with a fixed seed) are taken as the reported
victim. A victim who paid from an exchange account is given its payments as an investigator would have
them from the exchange (``--payment``: the withdrawal transactions, listed in the truth).

- **co-victim recall**: of the ring's other victims, the share the case lists: by address, or, for one who
  paid from an exchange, by a payment transaction the case names;
- **co-victim precision**: of the case's co-victim entries, the share that are the ring's victims (an
  entry by address: the address; a service-paid entry: its transaction is one of the ring's payments);
- the same two for the **confirmed** co-victims only (wallets analyze's findings also call victims);
- **loss right**: the share of cases whose loss is within 5% of what the truth says the victim lost;
- **loss share to the true cash-out**: of the victim's payments (USD), the part the case traces to the
  ring's cash-out accounts in the truth (exchange deposit accounts and OTC desks that took its money).
Recall and precision are averaged per ring (each ring's cases first), then over rings; the share is
pooled over all cases (dollar-weighted). Reads only the warehouse, through `build_case`, and the truth.
"""

from __future__ import annotations

import random

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.graph.flows import load_flows
from pigtrace.trace.case import build_case


def score_cases(con: duckdb.DuckDBPyConnection, truth: dict, per_ring: int = 2, method: str = "fifo",
                seed: int = 0, reported: bool = False) -> dict:
    """``reported``: every victim hands over its payments to the scam (as a victim reporting to the police
    would); otherwise only exchange-paid ones do, and the case leans on the warehouse's findings."""
    store = load_flows(con)
    rng = random.Random(seed)
    rings, paid_total, reached_total, cases, loss_right = [], 0.0, 0.0, 0, 0
    for ring in truth["rings"]:
        victims = ring["victims"]
        if len(victims) < 2:
            continue
        by_address = {v["address"]: v for v in victims}
        ring_txs = {h.lower() for v in victims for h in v.get("payments", [])}
        cash = {c["address"] for c in ring["cash_out"]}
        recalls, precisions, c_recalls, c_precisions = [], [], [], []
        for v in rng.sample(victims, min(per_ring, len(victims))):
            given = v.get("payments", []) if reported or v.get("paid_from") == "exchange" else []
            try:
                case = build_case(con, v["address"], chain=truth["chain"], method=method, payments=given,
                                  as_="victim", store=store)
            except PigtraceError:  # the victim or its payments are not in this warehouse: nothing found
                recalls.append(0.0)
                continue
            cases += 1
            loss_right += abs(case.loss_usd - v["lost_usd"]) <= 0.05 * v["lost_usd"]
            listed = {c["address"] for c in case.co_victims if c["paid_from"] == "wallet"}
            listed_tx = {(c["tx_hash"] or "").lower() for c in case.co_victims if c["paid_from"] != "wallet"}
            others = [o for a, o in by_address.items() if a != v["address"]]
            found = sum(1 for o in others if o["address"] in listed or listed_tx & {h.lower() for h in o.get("payments", [])})
            recalls.append(found / len(others) if others else 1.0)
            confirmed = {c["address"] for c in case.co_victims if c["confirmed"]}
            c_recalls.append(sum(1 for o in others if o["address"] in confirmed) / len(others) if others else 1.0)
            if confirmed:
                c_precisions.append(len(confirmed & set(by_address)) / len(confirmed))
            right = sum(1 for c in case.co_victims
                        if (c["address"] in by_address if c["paid_from"] == "wallet"
                            else (c["tx_hash"] or "").lower() in ring_txs))
            if case.co_victims:
                precisions.append(right / len(case.co_victims))
            paid = sum(p["usd"] for p in case.payments if p["direction"] == "paid")
            paid_total += paid
            reached_total += sum(c["usd"] for c in case.cash_out if c["address"] in cash)
        rings.append({"ring": ring["id"], "typology": ring.get("typology", "?"), "victims": len(victims),
                      "recall": sum(recalls) / len(recalls) if recalls else None,
                      "precision": sum(precisions) / len(precisions) if precisions else None,
                      "confirmed_recall": sum(c_recalls) / len(c_recalls) if c_recalls else None,
                      "confirmed_precision": sum(c_precisions) / len(c_precisions) if c_precisions else None})
    scored_r = [r["recall"] for r in rings if r["recall"] is not None]
    scored_p = [r["precision"] for r in rings if r["precision"] is not None]
    conf_r = [r["confirmed_recall"] for r in rings if r["confirmed_recall"] is not None]
    conf_p = [r["confirmed_precision"] for r in rings if r["confirmed_precision"] is not None]
    return {
        "method": method, "reported": reported, "cases": cases, "rings": len(rings),
        "co_victim_recall": round(sum(scored_r) / len(scored_r), 4) if scored_r else None,
        "co_victim_precision": round(sum(scored_p) / len(scored_p), 4) if scored_p else None,
        "confirmed_recall": round(sum(conf_r) / len(conf_r), 4) if conf_r else None,
        "confirmed_precision": round(sum(conf_p) / len(conf_p), 4) if conf_p else None,
        "loss_right": round(loss_right / cases, 4) if cases else None,
        "loss_to_true_cash_out": round(reached_total / paid_total, 4) if paid_total else None,
        "paid_usd": round(paid_total, 2), "reached_usd": round(reached_total, 2), "by_ring": rings,
    }
