"""`pigtrace analyze`: run the registered detectors over the warehouse, merge their findings per
(chain, address, role), resolve contradictory roles of one address, and replace the ``findings`` table
in one transaction (one columnar insert through Arrow). Its first step rebuilds the ``entities`` table
(services and exchange accounts, pigtrace.entities) the detectors read. ``behaviour_only`` hides every scam, phishing
and sanction label from the detectors (``AnalysisContext.labels``); the ``analysis_runs`` row says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from pigtrace.detect.base import AnalysisContext, Finding
from pigtrace.detect.registry import DETECTORS, get
from pigtrace.entities import table as entities
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import atomic

MAX_EVIDENCE = 30
ANALYZE_MEMORY = "4GB"  # DuckDB's share; the goal is the whole analysis under 8 GB at 10M transfers


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (chain, address, role): scores combine as independent evidence (1 - prod(1 - s)),
    reasons and evidence are pooled, the strongest typology names the row."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        key = (f.chain, f.address, f.role)
        m = merged.get(key)
        if m is None:
            merged[key] = Finding(**{**f.__dict__, "reasons": list(f.reasons), "evidence": list(f.evidence)})
            continue
        if f.score > m.score:
            m.typology, m.ring = f.typology, f.ring or m.ring
        m.score = 1 - (1 - m.score) * (1 - f.score)
        m.first_seen = min(filter(None, [m.first_seen, f.first_seen]), default=None)
        m.last_seen = max(filter(None, [m.last_seen, f.last_seen]), default=None)
        m.reasons += [r for r in f.reasons if r not in m.reasons]
        m.evidence += f.evidence
    for m in merged.values():
        m.evidence = m.evidence[:MAX_EVIDENCE]
    return sorted(merged.values(), key=lambda f: (-f.score, f.address))


# Roles that cannot describe the same address: the key role wins over each role listed after it.
# A scam wallet is never also its own victim; a collection wallet, operator or cash-out point is not a
# mere laundering hop; a collection wallet is not a cash-out point. Collection and operator may coexist
# (a drainer that both sends the transferFrom and receives the money).
OVERRIDES: dict[str, tuple[str, ...]] = {
    "scam_collection": ("victim", "laundering", "cash_out"),
    "scam_operator": ("victim", "laundering"),
    "cash_out": ("victim", "laundering"),
    "laundering": ("victim",),
}


def resolve_roles(findings: list[Finding]) -> list[Finding]:
    """Drop the weaker of contradictory roles per (chain, address); the winner notes what was dropped."""
    by_addr: dict[tuple[str, str], dict[str, Finding]] = {}
    for f in findings:
        by_addr.setdefault((f.chain, f.address), {})[f.role] = f
    keep: list[Finding] = []
    for roles in by_addr.values():
        dropped: set[str] = set()
        for role in roles:
            dropped.update(r for r in OVERRIDES.get(role, ()) if r in roles)
        for role, f in roles.items():
            if role in dropped:
                continue
            lost = sorted(r for r in dropped if role in _winners(r, roles))
            if lost:
                f.reasons.append(f"also matched {', '.join(lost)}; {role} takes precedence")
            keep.append(f)
    return sorted(keep, key=lambda f: (-f.score, f.address))


def _winners(role: str, present: dict[str, Finding]) -> list[str]:
    return [w for w in present if role in OVERRIDES.get(w, ())]


def _ensure_labels(con: duckdb.DuckDBPyConnection) -> None:
    """The shipped label packs (exchange hot wallets, DEXes, bridges, known scams) must be loaded: the
    detectors tell services from findings with them."""
    from pigtrace.labels.shipped import ensure_loaded

    ensure_loaded(con)


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Detectors keep their intermediate results in temp tables (and views) named pt_*; free them."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'pt_')"
    ).fetchall()
    for (name,) in names:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'pt_')"
    ).fetchall()
    for (name,) in views:
        con.execute(f'DROP VIEW IF EXISTS "{name}"')


def _findings_table(final: list[Finding], run_id: int) -> pa.Table:
    return pa.table({
        "chain": pa.array([f.chain for f in final], pa.string()),
        "address": pa.array([f.address for f in final], pa.string()),
        "role": pa.array([f.role for f in final], pa.string()),
        "typology": pa.array([f.typology for f in final], pa.string()),
        "score": pa.array([f.score for f in final], pa.float64()),
        "first_seen": pa.array([f.first_seen for f in final], pa.timestamp("us")),
        "last_seen": pa.array([f.last_seen for f in final], pa.timestamp("us")),
        "reasons": pa.array([json.dumps(f.reasons) for f in final], pa.string()),
        "evidence": pa.array([json.dumps(f.evidence, default=str) for f in final], pa.string()),
        "ring": pa.array([f.ring for f in final], pa.string()),
        "run_id": pa.array([run_id] * len(final), pa.int64()),
    })


def analyze(con: duckdb.DuckDBPyConnection, only: list[str] | None = None, chain: str | None = None,
            behaviour_only: bool = False, progress: Progress = quiet) -> dict:
    """Run the detectors (``only``: these ids, plus what they need) and replace the findings table;
    returns the run id, the number of findings and the count per role. ``behaviour_only``: no scam,
    phishing or sanction label is read (service attributions still are). ``progress`` hears "loading label
    packs", "services and exchange accounts", "reading the ledger", "detector <id>" for each detector run, "combining findings" and "writing findings"."""
    started = _now()
    progress("loading label packs")
    _ensure_labels(con)
    previous = _limit_memory(con)
    try:
        entities.build(con, progress)  # services and exchange accounts: the ground every detector reads
        progress("reading the ledger")
        _read_ledger_once(con)
        return _analyze(con, only, chain, started, behaviour_only, progress)
    finally:
        for table in LEDGER_VIEWS:
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        for name, value in previous.items():
            con.execute(f"SET {name} = '{value}'")


LEDGER_VIEWS = ("transfers", "transactions", "approvals", "swaps")


# Where the ledger does not say who signed (bare TronGrid TRC-20 rows whose transaction was never
# ingested), the analysis takes the sender as the signer: true of every plain transfer() and approve(), so
# payments still count as payments; a transferFrom sent by a spender then looks like the owner's own
# payment, and drains and zero-value poisoning pulls stay hidden until the transactions are ingested.
_SIGNER_ASSUMED = {"transfers": "coalesce(initiator, from_address)", "approvals": "coalesce(initiator, owner)"}


def _read_ledger_once(con: duckdb.DuckDBPyConnection) -> None:
    """The ledger views join integer refs back to text on every read (store.compact) and the detectors
    read them dozens of times: an analysis reads each once into a temp table of the same name, which
    shadows the view for this connection until the analysis ends."""
    for table in LEDGER_VIEWS:
        columns = f"* REPLACE ({_SIGNER_ASSUMED[table]} AS initiator)" if table in _SIGNER_ASSUMED else "*"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {columns} FROM main.{table}")


def _limit_memory(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Cap DuckDB's working memory for the analysis (it spills to disk beyond) and let it reorder rows
    freely; returns the settings to restore."""
    names = ("memory_limit", "preserve_insertion_order")
    previous = {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names}
    con.execute(f"SET memory_limit = '{ANALYZE_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    return previous


def _analyze(con: duckdb.DuckDBPyConnection, only: list[str] | None, chain: str | None, started: datetime,
             behaviour_only: bool, progress: Progress) -> dict:
    detectors = [get(i) for i in only] if only else DETECTORS
    wanted = {d.id for d in detectors}
    needed = set(wanted)
    for d in reversed(DETECTORS):  # a need's own needs come earlier in the registry
        if d.id in needed:
            needed.update(d.needs)
    ctx = AnalysisContext(con=con, chain=chain, behaviour_only=behaviour_only)
    keep: list[Finding] = []
    for cls in DETECTORS if only else detectors:
        if cls.id in needed:
            progress(f"detector {cls.id}")
            found = cls().detect(ctx)
            ctx.findings.extend(found)
            if cls.id in wanted:  # findings of detectors run only because another needs them are not written
                keep.extend(found)
    progress("combining findings")
    final = resolve_roles(merge(keep))
    _drop_scratch(con)
    progress("writing findings")
    with atomic(con):
        run_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM analysis_runs").fetchone()[0]
        con.execute("DELETE FROM findings" + (" WHERE chain = ?" if chain else ""), [chain] if chain else [])
        if final:
            con.register("pt_findings_arrow", _findings_table(final, run_id))
            con.execute(
                """INSERT INTO findings SELECT chain, address, role, typology, score, first_seen, last_seen,
                          reasons::JSON, evidence::JSON, ring, run_id FROM pt_findings_arrow"""
            )
            con.unregister("pt_findings_arrow")
        con.execute(
            "INSERT INTO analysis_runs (id, started, finished, detectors, findings, behaviour_only) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, started, _now(), json.dumps([d.id for d in detectors]), len(final), behaviour_only],
        )
    by_role: dict[str, int] = {}
    for f in final:
        by_role[f.role] = by_role.get(f.role, 0) + 1
    return {"run_id": run_id, "findings": len(final), "by_role": by_role, "behaviour_only": behaviour_only}
