"""Each detector's own findings in the warehouse (``detector_findings``, ``detector_runs``): written after a
detector runs, read back when ``analyze --only`` reuses a detector it does not run, and combined into
``findings`` by ``detect.run``.

A detector's stored rows are *fresh* for an analysis when they were made over the same chains (or all),
in the same mode (behaviour-only or not) and on the same inputs: ``inputs`` is a fingerprint of the ledger
(rows per ledger table, the latest ingest), the labels (every row's content) and the prices, so an ingest,
a label import or a price import makes every stored detector stale."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pyarrow as pa

from pigtrace.detect.base import Finding

ALL = "*"  # scope of a run over every chain


def inputs(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of what the detectors read from the warehouse."""
    parts = con.execute(
        """SELECT (SELECT count(*) FROM main.ledger_transfers), (SELECT count(*) FROM main.ledger_transactions),
                  (SELECT count(*) FROM main.ledger_approvals), (SELECT count(*) FROM main.ledger_swaps),
                  (SELECT count(*) FROM main.tokens), (SELECT max(id) FROM main.ingest_log),
                  (SELECT count(*) || ':' || coalesce(sum(hash(pack, chain, address, label, category, abuse,
                          concepts::VARCHAR, confidence, actor, origin)), 0) FROM main.labels),
                  (SELECT count(*) || ':' || coalesce(sum(hash(chain, token, day, usd, source)), 0) FROM main.prices)"""
    ).fetchone()
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:32]


def fresh(con: duckdb.DuckDBPyConnection, chain: str | None, behaviour_only: bool, fingerprint: str) -> set[str]:
    """Ids of the detectors whose stored findings cover ``chain`` (or all chains) and are current."""
    scopes = [ALL] + ([chain] if chain else [])
    return {r[0] for r in con.execute(
        f"""SELECT detector FROM detector_runs WHERE scope IN ({', '.join('?' * len(scopes))})
            AND behaviour_only IS NOT DISTINCT FROM ? AND inputs = ?""",
        [*scopes, behaviour_only, fingerprint]).fetchall()}


def stored(con: duckdb.DuckDBPyConnection, chain: str | None) -> set[str]:
    """Ids of the detectors with stored findings covering ``chain`` (or all chains), current or not."""
    scopes = [ALL] + ([chain] if chain else [])
    return {r[0] for r in con.execute(
        f"SELECT DISTINCT detector FROM detector_runs WHERE scope IN ({', '.join('?' * len(scopes))})", scopes
    ).fetchall()}


def load(con: duckdb.DuckDBPyConnection, detectors: list[str], chain: str | None) -> dict[str, list[Finding]]:
    """The stored findings of ``detectors`` (of ``chain`` only, when given), each in its detector's order."""
    out: dict[str, list[Finding]] = {d: [] for d in detectors}
    if not detectors:
        return out
    rows = con.execute(
        f"""SELECT detector, chain, address, role, typology, score, first_seen, last_seen, reasons, evidence, ring
            FROM detector_findings WHERE detector IN ({', '.join('?' * len(detectors))})
            {'AND chain = ?' if chain else ''} ORDER BY detector, chain, seq""",
        [*detectors, *([chain] if chain else [])],
    ).fetchall()
    for det, ch, address, role, typology, score, first, last, reasons, evidence, ring in rows:
        out[det].append(Finding(ch, address, role, typology, score, first, last, json.loads(reasons or "[]"),
                                json.loads(evidence or "[]"), ring))
    return out


# json.dumps(item, default=str), without building an encoder per item
_ITEM_JSON = json.JSONEncoder(default=str)


class EvidenceJson:
    """The JSON text of evidence lists (and of reasons, ``reasons``), each item encoded once: a combined finding's evidence holds the very
    items of its detectors' findings, so an analysis that stores both encodes each item once. The text is
    ``json.dumps(items, default=str)``'s. Items are kept referenced, so an id is never reused while the
    encoder lives (one per analysis)."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[dict, str]] = {}
        self._texts: dict[str, str] = {}

    def reasons(self, reasons: list[str]) -> str:
        """``json.dumps(reasons)``, each distinct text encoded once (detectors repeat their help text in every
        finding's reasons)."""
        parts = []
        for text in reasons:
            known = self._texts.get(text)
            if known is None:
                known = self._texts[text] = json.dumps(text)
            parts.append(known)
        return "[" + ", ".join(parts) + "]"

    def __call__(self, items: list[dict]) -> str:
        parts = []
        for item in items:
            known = self._items.get(id(item))
            if known is None:
                known = self._items[id(item)] = (item, _ITEM_JSON.encode(item))
            parts.append(known[1])
        return "[" + ", ".join(parts) + "]"


def findings_arrow(findings: list[Finding], run_id: int, detector: str | None = None,
                   evidence_json: EvidenceJson | None = None) -> pa.Table:
    """``findings`` as the columns of ``findings`` (or, with ``detector``, of ``detector_findings``);
    ``evidence_json``: an encoder shared by the calls of one analysis."""
    encode = evidence_json or EvidenceJson()
    columns = {
        "chain": pa.array([f.chain for f in findings], pa.string()),
        "address": pa.array([f.address for f in findings], pa.string()),
        "role": pa.array([f.role for f in findings], pa.string()),
        "typology": pa.array([f.typology for f in findings], pa.string()),
        "score": pa.array([f.score for f in findings], pa.float64()),
        "first_seen": pa.array([_naive(f.first_seen) for f in findings], pa.timestamp("us")),
        "last_seen": pa.array([_naive(f.last_seen) for f in findings], pa.timestamp("us")),
        "reasons": pa.array([encode.reasons(f.reasons) for f in findings], pa.string()),
        "evidence": pa.array([encode(f.evidence) for f in findings], pa.string()),
        "ring": pa.array([f.ring for f in findings], pa.string()),
        "run_id": pa.array([run_id] * len(findings), pa.int64()),
    }
    if detector is not None:
        columns = {"detector": pa.array([detector] * len(findings), pa.string()),
                   "seq": pa.array(range(len(findings)), pa.int32()), **columns}
    return pa.table(columns)


def _naive(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=None) if t is not None and t.tzinfo is not None else t


def save(con: duckdb.DuckDBPyConnection, detector: str, findings: list[Finding], run_id: int, chain: str | None,
         behaviour_only: bool, fingerprint: str, finished: datetime, evidence_json: EvidenceJson | None = None) -> None:
    """Replace ``detector``'s stored findings (of ``chain``, or all) and record the run (inside the caller's
    transaction); ``evidence_json`` as in ``findings_arrow``."""
    scope = chain or ALL
    con.execute("DELETE FROM detector_findings WHERE detector = ?" + (" AND chain = ?" if chain else ""),
                [detector, *([chain] if chain else [])])
    rows = [f for f in findings if chain is None or f.chain == chain]  # an analysis of one chain: its rows
    # in one order whatever order the detector's SQL happened to return them in: the same run stores the same rows
    rows.sort(key=lambda f: (f.chain, f.address, f.role, -f.score, f.typology, f.reasons))
    if rows:
        con.register("pt_detector_arrow", findings_arrow(rows, run_id, detector, evidence_json))
        con.execute("""INSERT INTO detector_findings
                       SELECT detector, seq, chain, address, role, typology, score, first_seen, last_seen,
                              reasons::JSON, evidence::JSON, ring, run_id FROM pt_detector_arrow""")
        con.unregister("pt_detector_arrow")
    if chain is None:
        con.execute("DELETE FROM detector_runs WHERE detector = ?", [detector])
    else:  # its rows of this chain are new: a run over all chains no longer describes them
        con.execute("DELETE FROM detector_runs WHERE detector = ? AND scope IN (?, ?)", [detector, scope, ALL])
    con.execute("INSERT INTO detector_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [detector, scope, run_id, finished, behaviour_only, fingerprint, len(rows)])
