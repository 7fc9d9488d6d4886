"""`pigtrace evaluate --labels`: score the warehouse's findings against a labels file (``labels_file``).

The scored population is the labelled addresses (restricted, with ``since``/``until``, to those whose
first appearance in ``transfers`` falls in [since, until); without a period, labelled addresses absent
from the ledger count too, as misses). Per role R of the five finding roles: a labelled address with a
finding R is a true positive when its label is R, else a false positive; an address labelled R without
a finding R is a false negative. Findings on addresses the file does not label are not scored; they are
counted per role as ``unlabelled_flagged`` (same chains as the file, same period), which tells how many
neighbours of the labelled addresses get flagged.

``scam_any``: any scam-side role (every role but ``victim``) against any scam-side label (every label but
``normal`` and ``victim``), one row per address; it is the row to read when the labels only say scam or
normal (phishing lists). ``all`` is the micro-average over the five roles. Findings scoring below
``min_score`` are left out. Everything is DuckDB SQL over temp tables; nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from pigtrace.evaluation.common import FIRST_SEEN, check_window, first_seen_table, latest_run, prf, window_sql
from pigtrace.evaluation.labels_file import TABLE, load_labels
from pigtrace.store.schema import ROLES

SCAM_ROLES = tuple(r for r in ROLES if r != "victim")
COUNTS = ("truth", "found", "tp", "fp", "fn", "unlabelled_flagged")


def evaluate_labels(con: duckdb.DuckDBPyConnection, path: str | Path, since: datetime | None = None,
                    until: datetime | None = None, min_score: float = 0.0, findings: str = "findings") -> dict:
    """Read the labels file and score; see the module docstring. ``findings`` names the relation holding
    (chain, address, role, score) rows (the warehouse's ``findings`` table unless a caller scores another
    set, such as a baseline's flags)."""
    check_window(since, until)
    labelled = load_labels(con, path)
    result = score_labels(con, since, until, min_score, findings)
    return {"labels": str(path), "labelled": labelled, **result}


def score_labels(con: duckdb.DuckDBPyConnection, since: datetime | None = None, until: datetime | None = None,
                 min_score: float = 0.0, findings: str = "findings") -> dict:
    """Score against the labels already loaded in ``pt_eval_labels`` (so a caller can score many finding
    sets or thresholds against one file)."""
    roles = ", ".join(f"'{r}'" for r in ROLES)
    scam_roles = ", ".join(f"'{r}'" for r in SCAM_ROLES)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_eval_found AS
            SELECT DISTINCT f.chain, f.address, f.role FROM {findings} f
            WHERE f.score >= ? AND f.role IN ({roles}) AND f.chain IN (SELECT DISTINCT chain FROM {TABLE})""",
        [min_score],
    )
    first_seen_table(con, f"(SELECT chain, address FROM {TABLE} UNION ALL SELECT chain, address FROM pt_eval_found)")
    window = window_sql("s.first_seen", since, until)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_eval_pop AS
            SELECT l.chain, l.address, l.label, s.first_seen FROM {TABLE} l
            JOIN {FIRST_SEEN} s ON s.chain = l.chain AND s.address = l.address WHERE {window}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_eval_unlabelled AS
            SELECT f.chain, f.address, f.role FROM pt_eval_found f
            JOIN {FIRST_SEEN} s ON s.chain = f.chain AND s.address = f.address
            WHERE {window} AND NOT EXISTS (SELECT 1 FROM {TABLE} l WHERE l.chain = f.chain AND l.address = f.address)"""
    )
    counts = {r: dict.fromkeys(COUNTS, 0) for r in (*ROLES, "scam_any")}
    for label, n in con.execute("SELECT label, count(*) FROM pt_eval_pop GROUP BY label").fetchall():
        if label in counts:
            counts[label]["truth"] = n
    counts["scam_any"]["truth"] = con.execute(
        f"SELECT count(*) FROM pt_eval_pop WHERE label IN ({scam_roles})").fetchone()[0]
    for role, found, tp in con.execute(
        """SELECT f.role, count(*), count(*) FILTER (WHERE p.label = f.role) FROM pt_eval_found f
           JOIN pt_eval_pop p ON p.chain = f.chain AND p.address = f.address GROUP BY f.role"""
    ).fetchall():
        counts[role].update(found=found, tp=tp)
    found, tp = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE p.label IN ({scam_roles})) FROM pt_eval_pop p
            WHERE EXISTS (SELECT 1 FROM pt_eval_found f WHERE f.chain = p.chain AND f.address = p.address
                          AND f.role IN ({scam_roles}))"""
    ).fetchone()
    counts["scam_any"].update(found=found, tp=tp)
    for role, n in con.execute("SELECT role, count(*) FROM pt_eval_unlabelled GROUP BY role").fetchall():
        counts[role]["unlabelled_flagged"] = n
    counts["scam_any"]["unlabelled_flagged"] = con.execute(
        f"SELECT count(DISTINCT (chain, address)) FROM pt_eval_unlabelled WHERE role IN ({scam_roles})").fetchone()[0]
    rows = []
    total = dict.fromkeys(COUNTS, 0)
    for role, c in counts.items():
        c["fp"], c["fn"] = c["found"] - c["tp"], c["truth"] - c["tp"]
        rows.append({"role": role, **c, **prf(c)})
        if role in ROLES:
            for k in COUNTS:
                total[k] += c[k]
    rows.append({"role": "all", **total, **prf(total)})
    scored, in_ledger, by_label = con.execute(
        "SELECT count(*), count(first_seen), histogram(label) FROM pt_eval_pop").fetchone()
    return {
        "since": since, "until": until, "min_score": min_score,
        "scored": scored, "scored_in_ledger": in_ledger, "scored_by_label": dict(sorted((by_label or {}).items())),
        "roles": rows,
        "findings": con.execute("SELECT count(*) FROM pt_eval_found").fetchone()[0],
        "analysis": latest_run(con) if findings == "findings" else None,
    }
