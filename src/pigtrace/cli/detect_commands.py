"""`pigtrace detectors`, `pigtrace analyze` and `pigtrace findings`."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from pigtrace.cli.common import (
    DbOption,
    ForceOption,
    Format,
    FormatOption,
    console,
    emit,
    fail,
    friendly,
    note,
    open_db,
    open_existing_db,
    refuse_existing,
    working,
)
from pigtrace.store.schema import ROLES

FINDINGS_COLUMNS = ["chain", "address", "role", "typology", "score", "first_seen", "last_seen", "evidence"]


@friendly
def detectors_cmd(fmt: Format = FormatOption) -> None:
    """List the detectors and the shared stages in the order `pigtrace analyze` runs them, with what each looks
    for and the tables it reads and writes (`findings:ID` is detector ID's findings; the table shows the
    findings each reads, --format json or csv every table and the full help)."""
    from pigtrace.detect.base import Detector
    from pigtrace.detect.plan import outputs, plan
    from pigtrace.detect.registry import STAGES

    order = {s: i + 1 for i, s in enumerate(plan(STAGES))}
    rows = []
    for s in sorted(STAGES, key=order.__getitem__):
        detector = issubclass(s, Detector)
        rows.append({
            "id": s.id, "kind": "detector" if detector else "stage", "step": order[s],
            "concept": s.concept if detector else "", "roles": ",".join(s.roles) if detector else "",
            "severity": s.severity if detector else "", "confidence": s.confidence if detector else "",
            "reads": ",".join(s.reads), "writes": ",".join(outputs(s)), "help": s.help})
    if fmt == Format.table:  # one line each; every table read and written, and the full help: json or csv
        rows = [{**r, "looks_for": r["help"].split(". ")[0],
                 "findings_read": ",".join(t.removeprefix("findings:") for t in r["reads"].split(",")
                                           if t.startswith("findings:")) or "-"} for r in rows]
        emit(rows, fmt, ["id", "step", "findings_read", "looks_for"],
             title="stages in run order (all tables read and written: --format json)")
        emit(_calibration_rows(), fmt, ["chain", "role", "0.5-0.7", "0.7-0.9", "0.9-1.0", "below 0.5"],
             title="what a score means: share of findings right on simulated check worlds, per score band")
        return
    emit(rows, fmt, title="detectors")


def _calibration_rows() -> list[dict]:
    """Per chain table and role, the precision (and count) of findings in each calibrated score band on the
    check worlds the shipped calibration table records (detect/calibration): the default table (Ethereum's
    worlds; every chain without a table of its own) and each chain's own."""
    from pigtrace.detect.calibration import table

    t = table()
    tables = [("default", t)] + sorted(t.get("chains", {}).items())
    out = []
    for chain, part in tables:
        check = part.get("info", {}).get("check", {})
        for role in ROLES:
            bands = check.get(role, {})
            row = {"chain": chain, "role": role}
            for key, col in (("0.5", "0.5-0.7"), ("0.7", "0.7-0.9"), ("0.9", "0.9-1.0"), ("below 0.5", "below 0.5")):
                b = bands.get(key) or {}
                row[col] = f"{b['precision']:.2f} of {b['findings']}" if b.get("precision") is not None else "-"
            out.append(row)
    return out


@friendly
def analyze_cmd(
    only: list[str] | None = typer.Option(
        None, "--only",
        help="Run this detector again and replace only its findings (repeatable; ids from `pigtrace "
        "detectors`); `findings` is then combined again from every detector's stored findings. The findings "
        "it reads (laundering and cash-out walk from the collection wallets the scam detectors found) are "
        "taken as stored when current; a detector whose stored findings are missing or stale (an ingest, "
        "label or price import since) runs again too and its findings are replaced."),
    chain: str | None = typer.Option(None, help="Analyze one chain only."),
    behaviour_only: bool = typer.Option(
        False, "--behaviour-only",
        help="Read no scam, phishing, sanction or other abuse label (so screening_hits finds nothing and no "
        "finding rests on a public list); service labels (exchanges, DEXes, bridges, mixers, OTC desks, "
        "stablecoin issuers) are still used. The run is recorded as behaviour-only."),
    profile: bool = typer.Option(
        False, "--profile",
        help="Print the wall and CPU seconds each step took (services, reading the ledger, each stage and "
        "detector, writing findings), largest CPU first, on stderr."),
    db: str | None = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Run the detectors over the whole warehouse, in the order the tables they read and write give, store
    each detector's findings and replace the findings table with their combination. The warehouse must exist
    (`pigtrace ingest ...` makes one)."""
    from pigtrace.detect.run import analyze
    from pigtrace.detect.timing import StepTimer

    con = open_existing_db(db)
    with working("analyzing") as step:
        timer = StepTimer(step)
        summary = analyze(con, only=only, chain=chain, behaviour_only=behaviour_only, progress=timer)
    if profile:
        for r in timer.stop():
            print(f"{r['seconds']:8.2f} s {r['cpu']:8.2f} CPU s  {r['step']}", file=sys.stderr)
    rows = [{"role": r, "findings": summary["by_role"].get(r, 0)} for r in ROLES]
    if fmt == Format.table:
        mode = " (behaviour only: no scam or sanction labels read)" if behaviour_only else ""
        console.print(f"analysis run {summary['run_id']}: {summary['findings']} findings{mode}")
    if only and summary["stale"]:
        note(f"stored findings of {', '.join(summary['stale'])} predate the latest ingest, label or price "
             "import: `pigtrace analyze` runs them again")
    emit(rows, fmt, ["role", "findings"])


class FindingsFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    stix = "stix"


@friendly
def findings_cmd(
    role: str | None = typer.Option(None, "--role", help=f"Only this role ({', '.join(ROLES)})."),
    min_score: float = typer.Option(0.0, "--min-score", help="Only findings scoring at least this (0..1)."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many rows (highest score first)."),
    out: Path | None = typer.Option(None, "--out", help="With --format stix: write the bundle to this file "
                                    "(new, unless --force) instead of stdout."),
    force: bool = ForceOption,
    db: str | None = DbOption,
    fmt: FindingsFormat = typer.Option(FindingsFormat.table, "--format", "-f", help="Output format: table, json, "
                                       "csv or stix."),
) -> None:
    """Findings: every detector's latest findings combined, one row per (address, role), highest score first.

    CSV columns: chain,address,role,typology,score,first_seen,last_seen,evidence (transaction hashes);
    JSON adds the full reasons and evidence lists. STIX: a STIX 2.1 bundle (validated with the stix2
    library) of the findings in scam roles (victims are never indicators; --role and --min-score apply, --limit
    does not) as indicators with analyze's rings as campaigns, plus the labelled addresses and the shipped
    block-list domains with the pig-butchering and drainer concepts, each naming its source."""
    if role is not None and role not in ROLES:
        fail(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    con = open_db(db, read_only=True)
    if fmt == FindingsFormat.stix:
        from pigtrace.report.stix import bundle_text, findings_bundle, write_bundle

        bundle = findings_bundle(con, role=role, min_score=min_score)
        if out is None:
            sys.stdout.write(bundle_text(bundle))
        else:
            refuse_existing(out, force, folder=False)
            write_bundle(bundle, out)
            note(f"{out}: STIX 2.1 bundle of {len(bundle.objects)} objects")
        return
    fmt = Format(fmt.value)
    sql = "SELECT * FROM findings WHERE score >= ?" + (" AND role = ?" if role else "") + " ORDER BY score DESC, address"
    params: list = [min_score] + ([role] if role else [])
    if limit:
        sql += f" LIMIT {int(limit)}"
    if not con.execute("SELECT count(*) FROM analysis_runs").fetchone()[0]:
        note("no analysis has run yet: run `pigtrace analyze`")
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    rows = []
    for rec in cur.fetchall():
        r = dict(zip(names, rec))
        evidence = json.loads(r["evidence"] or "[]")
        reasons = json.loads(r["reasons"] or "[]")
        if fmt == Format.json:
            r["evidence"], r["reasons"] = evidence, reasons
        else:
            hashes = list(dict.fromkeys(e["tx_hash"] for e in evidence if e.get("tx_hash")))
            r["evidence"] = " ".join(hashes)
            r["score"] = round(r["score"], 4)
        rows.append(r)
    if fmt == Format.table:
        for r in rows:
            r["reason"] = _short_reason(json.loads(r["reasons"] or "[]"))
        chains = {r["chain"] for r in rows}
        cols = (["chain"] if len(chains) > 1 else []) + ["address", "role", "typology", "score", "reason"]
        emit(rows, fmt, cols, title="findings (full addresses, times and evidence: --format csv or json)")
        return
    emit(rows, fmt, FINDINGS_COLUMNS + (["reasons", "ring"] if fmt == Format.json else []), title="findings")


@friendly
def rings_cmd(
    ring: str | None = typer.Argument(None, help="One ring's members (a ring id such as ring-3); all rings when omitted."),
    db: str | None = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Rings from the latest analysis: wallets one operation runs, grouped by what ties them (a shared
    consolidation wallet, gas funder or payer), with their victims. Without RING: one row per ring with
    its collection wallets and victims counted; with RING: its members, their roles and the link that
    joined each."""
    con = open_db(db, read_only=True)
    if ring is None:
        rows = con.execute(
            """SELECT chain, ring, count(*) FILTER (WHERE role = 'scam_collection') AS collection_wallets,
                      count(*) FILTER (WHERE role = 'victim') AS victims,
                      min(link) FILTER (WHERE role = 'scam_collection') AS a_link
               FROM rings GROUP BY ALL ORDER BY collection_wallets DESC, victims DESC, chain, ring""").fetchall()
        emit([dict(zip(["chain", "ring", "collection_wallets", "victims", "a_link"], r)) for r in rows], fmt,
             ["chain", "ring", "collection_wallets", "victims", "a_link"], title="rings")
        return
    rows = con.execute("SELECT chain, address, role, link FROM rings WHERE ring = ? ORDER BY role, address",
                       [ring]).fetchall()
    if not rows:
        fail(f"no ring {ring!r} in the latest analysis; `pigtrace rings` lists them")
    emit([dict(zip(["chain", "address", "role", "link"], r)) for r in rows], fmt, ["chain", "address", "role", "link"],
         title=ring)


def _short_reason(reasons: list[str]) -> str:
    """The first specific reason: detectors put their typology's general explanation (long) first."""
    specific = [r for r in reasons if len(r) < 600]
    return (specific or reasons or [""])[0]


def register(app: typer.Typer) -> None:
    app.command("detectors")(detectors_cmd)
    app.command("analyze")(analyze_cmd)
    app.command("findings")(findings_cmd)
    app.command("rings")(rings_cmd)
