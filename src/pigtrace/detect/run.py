"""`pigtrace analyze`: run the registered stages over the warehouse in the order their declared reads and
writes give (``detect.plan``), store each detector's own findings (``detect.stored``), then combine all
detectors' rows per (chain, address, role), resolve contradictory roles of one address, and replace the
``findings`` table, all in one transaction (columnar inserts through Arrow). Its first step
rebuilds the ``entities`` table (services and exchange accounts, pigtrace.entities) the detectors read.

``only``: run these detectors and replace only their rows. A detector they read findings from is reused
from its stored rows when those are fresh (same inputs, chains and mode), else run and its rows replaced
too. Other detectors' rows are kept as they are (stale ones are named in the result). A warehouse whose
findings an older pigtrace wrote (no rows per detector) gets every detector run once.

``behaviour_only`` hides every scam, phishing and sanction label from the detectors
(``AnalysisContext.labels``); the ``analysis_runs`` and ``detector_runs`` rows say so."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from pigtrace.detect import calibration, stored
from pigtrace.detect.base import BEHAVIOUR_LABELS, AnalysisContext, Detector, Finding, Stage, findings_table
from pigtrace.detect.plan import check_order, outputs, plan
from pigtrace.detect.registry import DETECTORS, STAGES, get
from pigtrace.errors import PigtraceError
from pigtrace.entities import table as entities
from pigtrace.progress import Progress, quiet
from pigtrace.store.compact import select_sql
from pigtrace.store.schema import TABLES
from pigtrace.store.warehouse import atomic

MAX_EVIDENCE = 30
# DuckDB's share; the goal is the whole analysis under 8 GB at 10M transfers. At 10.74M transfers: 4GB gave
# 213 s and a 5.5 GB peak (its temp tables spilled to disk), 5GB 195 s and 6.5 GB. At 10.67M transfers with
# today's detectors, 5GB 157.5 s and 6.6 GB, 6GB 143.0 s and 7.3 GB (less spilled). Once the value transfers
# were a view and the collection features' copy kept refs only: 6GB 125.5 s and 7.0 GB, 6500MB 117.7 s and
# 6.9 GB, 7GB 117.2 s and 7.2 GB.
ANALYZE_MEMORY = "6500MB"


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
        # rounded, ties to the smaller typology: DuckDB's threads sum in varying order, and a last-bit difference
        # between two detectors' scores must not decide which typology names the row
        if (round(f.score, 9), m.typology or "") > (round(m.score, 9), f.typology or ""):
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
        if len(roles) == 1:
            keep.extend(roles.values())
            continue
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


def _drop_scratch(con: duckdb.DuckDBPyConnection, keep: frozenset[str] = frozenset()) -> None:
    """Stages keep their intermediate results in temp tables (and views) named pt_*; free them, except
    those named in ``keep``."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'pt_')"
    ).fetchall()
    for (name,) in names:
        if name not in keep:
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'pt_')"
    ).fetchall()
    for (name,) in views:
        if name not in keep:
            con.execute(f'DROP VIEW IF EXISTS "{name}"')


def _drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temp table or view ``name`` if there is one."""
    is_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?", [name]).fetchone()[0]
    con.execute(f"DROP {'VIEW' if is_view else 'TABLE'} IF EXISTS temp.{name}")


# What stays between stages: the shared stages' declared tables and the behaviour-only label view. A
# detector's other temp tables are its scratch, dropped when it finishes, so no other stage can read them.
SHARED = frozenset(t for s in STAGES for t in outputs(s) if t.startswith("pt_")) | {BEHAVIOUR_LABELS}


def analyze(con: duckdb.DuckDBPyConnection, only: list[str] | None = None, chain: str | None = None,
            behaviour_only: bool = False, progress: Progress = quiet,
            order: Sequence[str] | None = None) -> dict:
    """Run the detectors (``only``: these ids, plus what they read that is not stored fresh; see the module
    docstring), store their findings and combine ``findings`` again; returns the run id, the number of
    findings, the count per role, the detectors run, reused and stale. ``behaviour_only``: no scam,
    phishing or sanction label is read (service attributions still are). ``order``: stage ids in another
    valid order than the plan's (checked; for tests). ``progress`` hears "loading label packs", "services and
    exchange accounts", "reading the ledger", "stage <id>" / "detector <id>" for each stage run, "combining findings" and "writing findings"."""
    started = _now()
    with _ground(con, progress):
        return _analyze(con, only, chain, started, behaviour_only, progress, order)


@contextmanager
def stage_tables(con: duckdb.DuckDBPyConnection, stage_id: str,
                 behaviour_only: bool = False) -> Iterator[AnalysisContext]:
    """The shared stage ``stage_id`` and the stages it reads, run as ``analyze`` runs them (labels loaded,
    entities built, the ledger read once): its tables are there until the block ends. For scripts that
    read a stage's tables, such as the collection model's training."""
    shared = [s for s in STAGES if not issubclass(s, Detector)]
    wanted = [s for s in shared if s.id == stage_id]
    if not wanted:
        raise PigtraceError(f"no shared stage {stage_id!r}; the shared stages are {', '.join(s.id for s in shared)}")
    with _ground(con, quiet):
        ctx = AnalysisContext(con=con, behaviour_only=behaviour_only)
        try:
            for stage in plan(STAGES, wanted=wanted):
                stage().run(ctx)
            yield ctx
        finally:
            _drop_scratch(con)


@contextmanager
def _ground(con: duckdb.DuckDBPyConnection, progress: Progress) -> Iterator[None]:
    """What every stage stands on: the shipped labels, the entities (services and exchange accounts) and
    the ledger read once, with the analysis' memory settings; the ledger copies and settings undone after."""
    progress("loading label packs")
    _ensure_labels(con)
    previous = _limit_memory(con)
    try:
        entities.build(con, progress)  # services and exchange accounts: the ground every detector reads
        progress("reading the ledger")
        _read_ledger_once(con)
        yield
    finally:
        for table in LEDGER_VIEWS:
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        for name, value in previous.items():
            con.execute(f"SET {name} = '{value}'")


# The ledger views an analysis reads into temp tables; ``transactions`` is read only for its signers and
# callees, which the readers take from the compact tables by ref (drain_services, drain_sql).
LEDGER_VIEWS = ("transfers", "approvals", "swaps")


# Where the ledger does not say who signed (bare TronGrid TRC-20 rows whose transaction was never
# ingested), the analysis takes the sender as the signer: true of every plain transfer() and approve(), so
# payments still count as payments; a transferFrom sent by a spender then looks like the owner's own
# payment, and drains and zero-value poisoning pulls stay hidden until the transactions are ingested.
_SIGNER_ASSUMED = {"transfers": "coalesce(initiator, from_address)", "approvals": "coalesce(initiator, owner)"}


# Columns no stage reads, left out of the analysis' copy (at 10M transfers the copy is the largest temp table)
_UNREAD = {"transfers": ("token_id", "usd_source")}
# Address columns whose integer refs the copy keeps too (``from_ref``, ``to_ref``): the hottest joins and
# groups over value transfers (collection_features) key on them instead of (chain, address text).
_REFS = {"transfers": ("from_address", "to_address")}


def _read_ledger_once(con: duckdb.DuckDBPyConnection) -> None:
    """The ledger views join integer refs back to text on every read (store.compact) and the detectors
    read them dozens of times: an analysis reads each once into a temp table of the same name, which
    shadows the view for this connection until the analysis ends."""
    for table in LEDGER_VIEWS:
        columns = "*" + (f" EXCLUDE ({', '.join(_UNREAD[table])})" if table in _UNREAD else "")
        if table in _SIGNER_ASSUMED:
            columns += f" REPLACE ({_SIGNER_ASSUMED[table]} AS initiator)"
        source = f"({select_sql(table, TABLES[table], _REFS[table])})" if table in _REFS else f"main.{table}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {columns} FROM {source}")


def _limit_memory(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Cap DuckDB's working memory for the analysis (it spills to disk beyond) and let it reorder rows
    freely; returns the settings to restore."""
    names = ("memory_limit", "preserve_insertion_order")
    previous = {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names}
    con.execute(f"SET memory_limit = '{ANALYZE_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    return previous


def _analyze(con: duckdb.DuckDBPyConnection, only: list[str] | None, chain: str | None, started: datetime,
             behaviour_only: bool, progress: Progress, order: Sequence[str] | None) -> dict:
    fingerprint = stored.inputs(con)
    run: list[type[Detector]] = [get(i) for i in only] if only else list(DETECTORS)
    reused: list[str] = []
    stale: list[str] = []
    if only:
        fresh = stored.fresh(con, chain, behaviour_only, fingerprint)
        kept = stored.stored(con, chain)
        if not kept and con.execute("SELECT count(*) FROM findings").fetchone()[0]:
            # findings of an older pigtrace, not kept per detector: only a full run can replace them
            run = list(DETECTORS)
        # what the detectors run read: reuse the fresh ones, run (and store) the others
        todo = list(run)
        while todo:
            d = todo.pop()
            for other in DETECTORS:
                if findings_table(other.id) in d.reads and other not in run and other.id not in reused:
                    if other.id in fresh:
                        reused.append(other.id)
                    else:
                        run.append(other)
                        todo.append(other)
        stale = [d.id for d in DETECTORS if d not in run and d.id not in fresh and d.id in kept]
    available = [findings_table(i) for i in reused]
    stages = plan(STAGES, wanted=run, available=available)
    if order is not None:
        by_id = {s.id: s for s in STAGES}
        ordered = [by_id[i] for i in order if by_id[i] in stages]
        if len(set(ordered)) != len(stages):
            raise PigtraceError(f"order {list(order)} does not hold each planned stage once: "
                                f"{[s.id for s in stages]}")
        check_order(ordered, STAGES, available)
        stages = ordered
    results: dict[str, list[Finding]] = stored.load(con, reused, chain)
    ctx = AnalysisContext(con=con, chain=chain, behaviour_only=behaviour_only)
    last = last_readers(stages)
    for i, stage in enumerate(stages):
        _run_stage(stage, ctx, results, progress)
        for table in last.get(i, ()):
            _drop_temp(con, table)
    _drop_scratch(con)
    ran = [d.id for d in DETECTORS if d.id in results and d.id not in reused]
    progress("combining findings")
    with atomic(con):
        run_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM analysis_runs").fetchone()[0]
        finished = _now()
        evidence_json = stored.EvidenceJson()
        for d in ran:
            stored.save(con, d, results[d], run_id, chain, behaviour_only, fingerprint, finished, evidence_json)
        results.update(stored.load(con, [d.id for d in DETECTORS if d.id not in results], chain))
        final = calibrated(resolve_roles(merge([f for d in DETECTORS for f in results[d.id]])))
        progress("writing findings")
        con.execute("DELETE FROM findings" + (" WHERE chain = ?" if chain else ""), [chain] if chain else [])
        if final:
            con.register("pt_findings_arrow", stored.findings_arrow(final, run_id, evidence_json=evidence_json))
            con.execute(
                """INSERT INTO findings SELECT chain, address, role, typology, score, first_seen, last_seen,
                          reasons::JSON, evidence::JSON, ring, run_id FROM pt_findings_arrow"""
            )
            con.unregister("pt_findings_arrow")
        if "collection_evidence" in ran:
            _store_rings(con, ctx.rings, run_id, chain)
        con.execute(
            "INSERT INTO analysis_runs (id, started, finished, detectors, findings, behaviour_only) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, started, _now(), json.dumps(ran), len(final), behaviour_only],
        )
    by_role: dict[str, int] = {}
    for f in final:
        by_role[f.role] = by_role.get(f.role, 0) + 1
    return {"run_id": run_id, "findings": len(final), "by_role": by_role, "behaviour_only": behaviour_only,
            "ran": ran, "reused": sorted(reused), "stale": stale}


def last_readers(stages: Sequence[type[Stage]]) -> dict[int, list[str]]:
    """Position in ``stages`` -> the tables of stages marked ``freed_after_readers`` that no later stage
    reads: the runner drops them after that position (a table no planned stage reads, after its writer)."""
    freed = {t: i for i, s in enumerate(stages) if s.freed_after_readers for t in outputs(s)}
    for i, s in enumerate(stages):
        for t in s.reads:
            if t in freed:
                freed[t] = max(freed[t], i)
    out: dict[int, list[str]] = {}
    for t, i in freed.items():
        out.setdefault(i, []).append(t)
    return out


def calibrated(findings: list[Finding]) -> list[Finding]:
    """Each finding's combined score mapped to the share of such findings that were right on simulated
    worlds (detect/calibration); the combined score is kept in the reasons."""
    for f in findings:
        raw = f.score
        f.score = calibration.calibrate(f.role, raw, f.chain)
        if f.score != raw:
            f.reasons.append(f"score {f.score:.2f}: calibrated from the detectors' combined {raw:.2f} "
                             "(the share of such findings that were right on simulated worlds)")
    return sorted(findings, key=lambda f: (-f.score, f.address))


def _store_rings(con: duckdb.DuckDBPyConnection, rings: list[tuple], run_id: int, chain: str | None) -> None:
    """Replace the ``rings`` table (of ``chain``, or all) with the memberships the detectors found."""
    con.execute("DELETE FROM rings" + (" WHERE chain = ?" if chain else ""), [chain] if chain else [])
    rows = sorted({(c, r, a, role): link for c, r, a, role, link in rings if chain is None or c == chain}.items())
    if rows:
        con.register("pt_rings_arrow", pa.table({
            "chain": [k[0] for k, _ in rows], "ring": [k[1] for k, _ in rows], "address": [k[2] for k, _ in rows],
            "role": [k[3] for k, _ in rows], "link": [v for _, v in rows]}))
        con.execute(f"INSERT INTO rings SELECT chain, ring, address, role, link, {int(run_id)} FROM pt_rings_arrow")
        con.unregister("pt_rings_arrow")


def _run_stage(stage: type[Stage], ctx: AnalysisContext, results: dict[str, list[Finding]],
               progress: Progress) -> None:
    """Run one stage. A detector sees the findings of exactly the detectors it declares it reads, in registry
    order; its findings go to ``results`` and its scratch tables are dropped."""
    if not issubclass(stage, Detector):
        progress(f"stage {stage.id}")
        stage().run(ctx)
        return
    progress(f"detector {stage.id}")
    ctx.findings_of = {d.id: results[d.id] for d in DETECTORS if findings_table(d.id) in stage.reads}
    ctx.findings = [f for found in ctx.findings_of.values() for f in found]
    before = _temp_tables(ctx.con) & SHARED
    results[stage.id] = stage().detect(ctx)
    ctx.findings, ctx.findings_of = [], {}
    built = sorted((_temp_tables(ctx.con) & SHARED) - before)
    if built:  # it built a shared stage's table itself: it reads it without declaring it
        raise PigtraceError(f"detector {stage.id!r} built {', '.join(built)} itself: a shared stage writes "
                            "it, so the detector must declare it among its reads")
    _drop_scratch(ctx.con, SHARED)


def _temp_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
