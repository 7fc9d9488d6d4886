"""`pigtrace evaluate`: score the warehouse's ``findings`` against a simulated world's ``truth.json``.

Per role R (the DESIGN.md vocabulary): a finding (address, R) is a true positive when the truth gives that
address role R, otherwise a false positive (addresses absent from the truth's roles — benign actors,
services, unknown addresses — are false positives for every role they are flagged with); a truth address
with role R and no finding (address, R) is a false negative. Precision, recall and F1 follow; "all" is
the micro-average over the five roles.

Value traced to the right cash-out: for ring r with stolen value S_r (sum of its victims' ``lost_usd``)
and truth cash-out addresses C_r (each with the USD of this ring's money it received), found_r is the sum
of ``received_usd`` over the addresses of C_r that have a ``cash_out`` finding. The share is
sum_r min(found_r, S_r) / sum_r S_r, also given per typology.

A truth address that appears nowhere in the warehouse (no transfer, transaction or approval names it: a Tron
ring's gas funder moves only TRX, which TRC-20 pages without the account histories do not show) cannot be
found from that data: it is counted under ``unseen``, not as a false negative (as the simulator gives no role
to an exchange-paid victim that no transfer ties to its ring); the result lists them (``unseen_addresses``).

``since``/``until`` restrict the role scores to addresses (truth and flagged alike) whose first
appearance in ``transfers`` falls in [since, until) (evaluation/common.py); the value traced covers
every ring. ``min_score`` leaves out findings scoring below it.
"""

from __future__ import annotations

import json
from pathlib import Path

from datetime import datetime

import duckdb
import pyarrow as pa

from pigtrace.errors import PigtraceError
from pigtrace.evaluation.common import FIRST_SEEN, check_window, first_seen_table, latest_run, prf, window_sql
from pigtrace.store.schema import ROLES


def load_truth(path: str | Path) -> dict:
    p = Path(path)
    try:
        truth = json.loads(p.read_text())
    except OSError as e:
        raise PigtraceError(f"{p}: cannot read the truth file: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise PigtraceError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
    check_truth(truth, str(p))
    return truth


def check_truth(truth: dict, where: str = "truth") -> None:
    if not isinstance(truth, dict):
        raise PigtraceError(f"{where}: expected a JSON object with 'chain', 'roles' and 'rings'")
    for key in ("chain", "roles", "rings"):
        if key not in truth:
            raise PigtraceError(f"{where}: missing field '{key}' (is this a pigtrace simulate truth.json?)")
    for i, r in enumerate(truth["roles"]):
        if not isinstance(r, dict) or "address" not in r or "role" not in r:
            raise PigtraceError(f"{where}: roles[{i}]: needs 'address' and 'role'")
        if r["role"] not in ROLES:
            raise PigtraceError(f"{where}: roles[{i}]: role {r['role']!r} is not one of {', '.join(ROLES)}")
    for i, ring in enumerate(truth["rings"]):
        for field in ("id", "victims", "cash_out"):
            if field not in ring:
                raise PigtraceError(f"{where}: rings[{i}]: missing field '{field}'")


def _key(address: str, chain: str) -> str:
    return address if chain == "tron" else address.lower()


def evaluate(con: duckdb.DuckDBPyConnection, truth: dict, since: datetime | None = None,
             until: datetime | None = None, min_score: float = 0.0) -> dict:
    """Scores as a dict: ``roles`` (one row per role plus 'all'), ``traced_value``, ``findings``."""
    check_truth(truth)
    check_window(since, until)
    chain = truth["chain"]
    true_role = {_key(r["address"], chain): r["role"] for r in truth["roles"]}
    found = con.execute("SELECT address, role FROM findings WHERE chain = ? AND score >= ?", [chain, min_score]).fetchall()
    found_set = {(_key(a, chain), r) for a, r in found}
    cash_found = {a for a, r in found_set if r == "cash_out"}  # the value traced is not restricted to the period
    if since is not None or until is not None:
        keep = _in_window(con, chain, set(true_role) | {a for a, _ in found_set}, since, until)
        true_role = {a: r for a, r in true_role.items() if a in keep}
        found_set = {(a, r) for a, r in found_set if a in keep}
    seen = _in_warehouse(con, chain, set(true_role))
    rows = []
    tot = {"truth": 0, "found": 0, "tp": 0, "fp": 0, "fn": 0, "unseen": 0}
    for role in ROLES:
        named = {a for a, r in true_role.items() if r == role}
        truth_addrs = named & seen
        flagged = {a for a, r in found_set if r == role}
        tp = len(truth_addrs & flagged)
        row = {"role": role, "truth": len(truth_addrs), "found": len(flagged), "tp": tp, "fp": len(flagged) - tp,
               "fn": len(truth_addrs) - tp, "unseen": len(named - seen)}
        rows.append({**row, **prf(row)})
        for k in tot:
            tot[k] += row[k]
    rows.append({"role": "all", **tot, **prf(tot)})
    by_typ: dict[str, list[float]] = {}
    for ring in truth["rings"]:
        stolen = sum(float(v.get("lost_usd", 0)) for v in ring["victims"])
        got = sum(float(c.get("received_usd", 0)) for c in ring["cash_out"] if _key(c["address"], chain) in cash_found)
        acc = by_typ.setdefault(ring.get("typology", "?"), [0.0, 0.0])
        acc[0] += stolen
        acc[1] += min(got, stolen)
    stolen = sum(v[0] for v in by_typ.values())
    traced = sum(v[1] for v in by_typ.values())
    return {
        "chain": chain,
        "roles": rows,
        "traced_value": {
            "stolen_usd": round(stolen, 2), "traced_usd": round(traced, 2),
            "share": round(traced / stolen, 4) if stolen else None,
            "by_typology": {t: {"stolen_usd": round(s, 2), "traced_usd": round(g, 2),
                                "share": round(g / s, 4) if s else None} for t, (s, g) in sorted(by_typ.items())},
        },
        "unseen_addresses": sorted(set(true_role) - seen),
        "findings": len(found),
        "findings_with_unknown_role": sum(1 for _, r in found if r not in ROLES),
        "since": since, "until": until, "min_score": min_score,
        "analysis": latest_run(con),
    }


def _in_warehouse(con: duckdb.DuckDBPyConnection, chain: str, keys: set[str]) -> set[str]:
    """The addresses of ``keys`` that some transfer, transaction or approval of the warehouse names."""
    con.register("pt_eval_named_arrow", pa.table({"address": pa.array(sorted(keys), pa.string())}))
    try:
        cols = (("transfers", ("from_address", "to_address", "initiator")), ("transactions", ("from_address", "to_address")),
                ("approvals", ("owner", "spender", "initiator")))
        # each column probes the few truth addresses (the ledger's columns scanned, not hashed)
        named = " UNION ".join(f"""SELECT x.{c} AS address FROM {t} x
                                    WHERE x.chain = $chain AND x.{c} IN (SELECT address FROM pt_eval_named_arrow)"""
                               for t, cs in cols for c in cs)
        rows = con.execute(named, {"chain": chain}).fetchall()
    finally:
        con.unregister("pt_eval_named_arrow")
    return {a for (a,) in rows}


def _in_window(con: duckdb.DuckDBPyConnection, chain: str, keys: set[str], since: datetime | None,
               until: datetime | None) -> set[str]:
    """The addresses of ``keys`` first seen in ``transfers`` within [since, until)."""
    con.register("pt_eval_keys_arrow", pa.table({"chain": pa.array([chain] * len(keys), pa.string()),
                                                  "address": pa.array(sorted(keys), pa.string())}))
    try:
        first_seen_table(con, "pt_eval_keys_arrow")
    finally:
        con.unregister("pt_eval_keys_arrow")
    rows = con.execute(f"SELECT address FROM {FIRST_SEEN} s WHERE {window_sql('s.first_seen', since, until)}").fetchall()
    return {a for (a,) in rows}
