"""A deliberately simple rule baseline: the floor pigtrace is measured against (tracker issue 8).

About 60 lines of rule logic in DuckDB SQL over the ingested warehouse (tables ``transfers``, ``approvals``,
``labels``, ``tokens``; never ``findings``, never truth.json). The thresholds were written down before the
first run and are NOT tuned to pigtrace's simulator; they are what a first-day analyst would write:

- service    = a labelled exchange / DEX / lending / bridge / wallet service / issuer / OTC desk, or a token contract
- value move = a transfer worth >= 1 USD between two different addresses
- scam_collection = a non-service wallet that >= 3 distinct non-service payers paid and that paid less than
                    20% of it back to them; also a look-alike address that its target later paid
- victim     = a non-service payer of a collection wallet; an owner whose tokens an operator pulled
- scam_operator = the sender (tx.from) of transfers that moved value from >= 2 owners to addresses other
                  than itself; look-alike addresses (same first 3 and last 4 characters as a counterparty of
                  the recipient, not the counterparty itself) sending zero-value or any transfer to that
                  recipient, and the senders of those transactions
- laundering = a non-service wallet receiving >= 50% of its inflow from scam wallets (collection or
               laundering, repeated until nothing changes) that passed >= 80% of it on, the first time within
               7 days of its first scam inflow, and did not send most of its outflow to an exchange
- cash_out   = a non-service wallet receiving from collection/laundering wallets that sent >= 50% of its
               outflow to a labelled exchange
One role per address; precedence operator > collection > cash_out > laundering > victim.

Usage: python bench/baseline_rules60.py WAREHOUSE.duckdb [--chain ethereum] [--truth truth.json]
       (prints {address: role} as JSON, or the scores against truth.json with --truth)
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb

ROLES = ("victim", "scam_collection", "scam_operator", "laundering", "cash_out")
SERVICE_CATEGORIES = ("exchange", "defi_dex", "defi_lending", "defi", "bridge", "wallet_service", "stablecoin_issuer",
                      "otc_desk", "mixing_service", "payment_processor")


def baseline(con: duckdb.DuckDBPyConnection, chain: str | None = None) -> dict[str, str]:
    """{address: role} for one chain (all chains when None) of the warehouse ``con``."""
    chain_filter = "TRUE" if chain is None else f"chain = '{chain}'"
    cats = ", ".join(f"'{c}'" for c in SERVICE_CATEGORIES)
    q = con.execute
    # ---- rule logic starts here ----
    q(f"""CREATE OR REPLACE TEMP TABLE b_svc AS SELECT DISTINCT address a FROM labels WHERE category IN ({cats})
          UNION SELECT address FROM tokens""")
    q("CREATE OR REPLACE TEMP TABLE b_xch AS SELECT DISTINCT address a FROM labels WHERE category = 'exchange'")
    q(f"""CREATE OR REPLACE TEMP TABLE b_vt AS SELECT from_address f, to_address t, usd, time, initiator i
          FROM transfers WHERE {chain_filter} AND usd >= 1 AND from_address <> to_address""")
    q(f"""CREATE OR REPLACE TEMP TABLE b_all AS SELECT from_address f, to_address t, time, initiator i,
          coalesce(amount, 1) = 0 AS zero FROM transfers WHERE {chain_filter} AND from_address <> to_address""")
    # collection: >= 3 distinct non-service payers, < 20% paid back to them
    q("""CREATE OR REPLACE TEMP TABLE b_coll AS
         WITH pin AS (SELECT t w, f p, sum(usd) usd FROM b_vt WHERE t NOT IN (SELECT a FROM b_svc)
                      AND f NOT IN (SELECT a FROM b_svc) GROUP BY ALL),
              back AS (SELECT f w, t p, sum(usd) usd FROM b_vt GROUP BY ALL)
         SELECT pin.w a FROM pin LEFT JOIN back USING (w, p)
         GROUP BY pin.w HAVING count(*) >= 3 AND coalesce(sum(back.usd), 0) < 0.2 * sum(pin.usd)""")
    # operators: pullers from >= 2 owners to others than themselves
    q("""CREATE OR REPLACE TEMP TABLE b_op AS SELECT i a FROM b_vt WHERE i <> f AND i <> t
         AND f NOT IN (SELECT a FROM b_svc) AND i NOT IN (SELECT a FROM b_svc) GROUP BY i HAVING count(DISTINCT f) >= 2""")
    q("""CREATE OR REPLACE TEMP TABLE b_pulled AS SELECT DISTINCT f a FROM b_vt WHERE i IN (SELECT a FROM b_op)
         AND i <> f AND f NOT IN (SELECT a FROM b_svc)""")
    # look-alikes: L sends to V, V has a counterparty R <> L with the same first 3 / last 4 characters
    q("""CREATE OR REPLACE TEMP TABLE b_look AS
         WITH cp AS (SELECT f v, t r FROM b_vt UNION SELECT t, f FROM b_vt),
              key AS (SELECT *, lower(substr(r, 1, 5)) || lower(right(r, 4)) k FROM cp)
         SELECT DISTINCT x.f la, x.t v, x.i s FROM b_all x JOIN key ON key.v = x.t AND key.r <> x.f
           AND key.k = lower(substr(x.f, 1, 5)) || lower(right(x.f, 4))
         WHERE x.f NOT IN (SELECT a FROM b_svc)""")
    q("""INSERT INTO b_op SELECT la FROM b_look UNION SELECT s FROM b_look WHERE s <> v AND s <> la""")
    q("""INSERT INTO b_coll SELECT DISTINCT l.la FROM b_look l JOIN b_vt ON b_vt.f = l.v AND b_vt.t = l.la""")
    # cash-out: non-service wallets sending >= 50% of their outflow to a labelled exchange
    q("""CREATE OR REPLACE TEMP TABLE b_toxch AS SELECT f a FROM b_vt WHERE f NOT IN (SELECT a FROM b_svc) GROUP BY f
         HAVING sum(usd) FILTER (WHERE t IN (SELECT a FROM b_xch)) >= 0.5 * sum(usd)""")
    # laundering: grow from the collection wallets until nothing changes
    q("CREATE OR REPLACE TEMP TABLE b_laund (a VARCHAR)")
    while True:
        added = q("""INSERT INTO b_laund
            WITH src AS (SELECT a FROM b_coll UNION SELECT a FROM b_laund),
                 inflow AS (SELECT t w, sum(usd) tot, sum(usd) FILTER (WHERE f IN (SELECT a FROM src)) scam,
                                   min(time) FILTER (WHERE f IN (SELECT a FROM src)) first_in FROM b_vt GROUP BY t),
                 outflow AS (SELECT f w, sum(usd) tot, min(time) first_out FROM b_vt GROUP BY f)
            SELECT i.w FROM inflow i JOIN outflow o USING (w)
            WHERE i.scam >= 0.5 * i.tot AND o.tot >= 0.8 * i.tot AND o.first_out <= i.first_in + INTERVAL 7 DAY
              AND i.w NOT IN (SELECT a FROM src) AND i.w NOT IN (SELECT a FROM b_svc)
              AND i.w NOT IN (SELECT a FROM b_toxch) AND i.w NOT IN (SELECT a FROM b_op)""").fetchone()[0]
        if not added:
            break
    q("""CREATE OR REPLACE TEMP TABLE b_cash AS SELECT DISTINCT t a FROM b_vt
         WHERE f IN (SELECT a FROM b_coll UNION SELECT a FROM b_laund) AND t IN (SELECT a FROM b_toxch)""")
    q("""CREATE OR REPLACE TEMP TABLE b_vict AS SELECT DISTINCT f a FROM b_vt WHERE t IN (SELECT a FROM b_coll)
         AND f NOT IN (SELECT a FROM b_svc) UNION SELECT a FROM b_pulled""")
    out: dict[str, str] = {}
    for table, role in (("b_vict", "victim"), ("b_laund", "laundering"), ("b_cash", "cash_out"),
                        ("b_coll", "scam_collection"), ("b_op", "scam_operator")):  # later wins
        for (a,) in q(f"SELECT DISTINCT a FROM {table} WHERE a IS NOT NULL").fetchall():
            out[a] = role
    # ---- rule logic ends here ----
    return out


def score(found, truth: dict, unseen=()) -> dict:
    """Per-role TP/FP/FN, P/R/F1 and the value share of ``found`` ({address: role} or (address, role) pairs),
    with `pigtrace evaluate`'s definitions (src/pigtrace/simulate/evaluate.py): a flagged address not given
    that role in truth is a false positive; a truth address in ``unseen`` (`pigtrace evaluate`'s
    ``unseen_addresses``: no data in the warehouse names it) is no false negative."""
    chain = truth["chain"]
    key = (lambda a: a) if chain == "tron" else str.lower
    true_role = {key(r["address"]): r["role"] for r in truth["roles"]}
    hidden = {key(a) for a in unseen}
    found_set = {(key(a), r) for a, r in (found.items() if isinstance(found, dict) else found)}
    rows, tot = [], {"truth": 0, "found": 0, "tp": 0, "fp": 0, "fn": 0, "unseen": 0}
    for role in ROLES:
        named = {a for a, r in true_role.items() if r == role}
        t = named - hidden
        f = {a for a, r in found_set if r == role}
        row = {"role": role, "truth": len(t), "found": len(f), "tp": len(t & f), "fp": len(f - t), "fn": len(t - f),
               "unseen": len(named - t)}
        rows.append({**row, **prf(row)})
        for k in tot:
            tot[k] += row[k]
    rows.append({"role": "all", **tot, **prf(tot)})
    cash = {a for a, r in found_set if r == "cash_out"}
    stolen = traced = 0.0
    for ring in truth["rings"]:
        s = sum(float(v.get("lost_usd", 0)) for v in ring["victims"])
        g = sum(float(c.get("received_usd", 0)) for c in ring["cash_out"] if key(c["address"]) in cash)
        stolen, traced = stolen + s, traced + min(g, s)
    return {"chain": chain, "roles": rows, "traced_value": {"stolen_usd": round(stolen, 2), "traced_usd": round(traced, 2),
            "share": round(traced / stolen, 4) if stolen else None}, "findings": len(found_set)}


def prf(row: dict) -> dict:
    tp, fp, fn = row["tp"], row["fp"], row["fn"]
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {k: (round(v, 4) if v is not None else None) for k, v in (("precision", p), ("recall", r), ("f1", f1))}


def run(db: str, chain: str | None = None) -> dict[str, str]:
    con = duckdb.connect(db, read_only=True)
    try:
        return baseline(con, chain)
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--chain", default=None)
    ap.add_argument("--truth", default=None, help="score against this truth.json instead of printing the roles")
    a = ap.parse_args()
    truth = json.loads(open(a.truth).read()) if a.truth else None
    found = run(a.db, a.chain or (truth or {}).get("chain"))
    json.dump(score(found, truth) if truth else found, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
