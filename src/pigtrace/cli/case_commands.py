"""`pigtrace case ADDRESS` and `pigtrace demo` (simulate, ingest, analyze, score, show one case)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Optional

import duckdb
import typer
from rich.markup import escape

from pigtrace.cli.common import DbOption, Format, FormatOption, console, emit, friendly, note, open_db, table_cell, \
    to_jsonable, working
from pigtrace.trace.run import DEFAULT_HOPS, DEFAULT_MIN_USD
from pigtrace.errors import PigtraceError


CSV_COLUMNS = ["chain", "address", "role", "typology", "score", "first_seen", "last_seen", "evidence",
               "case_role", "case_usd"]
TABLE_ROWS = 12  # rows per section in the table; JSON and CSV carry all of them


def print_case(case: dict, fmt: Format, con=None) -> None:
    """Print a case (``Case.as_dict()`` or a saved one). CSV: one row per address, the findings columns
    (empty where analyze found nothing) plus what the address is in this case and its amount."""
    if fmt == Format.json:
        sys.stdout.write(json.dumps(to_jsonable(case), indent=2) + "\n")
        return
    if fmt == Format.csv:
        emit(_csv_rows(case, con), fmt, CSV_COLUMNS)
        return
    cash = sum(c["usd"] for c in case["cash_out"])
    saved = f"case {case['id']}: " if case.get("id") else ""
    console.print(
        f"{saved}[bold]{escape(table_cell('address', case['subject']))}[/] ({case['chain']}) as {case['subject_kind']}\n"
        f"{case['method']}, from the {case['basis'].replace('+', ' and ')}\n"
        f"loss {table_cell('usd', case['loss_usd'])} USD; {len(case['co_victims'])} co-victims\n"
        f"{len(case['collection_wallets'])} collection, {len(case['laundering'])} laundering wallets\n"
        f"cash-out {table_cell('usd', cash)} USD at {len(case['cash_out'])} accounts",
        highlight=False,
    )
    for line in case.get("notes", []):
        note(line)
    sections = [
        ("payments", ["time", "direction", "to", "usd", "tx_hash"], "the subject's payments"),
        ("collection_wallets", ["address", "found", "ring", "victim_payments", "usd"], "collection wallets"),
        ("co_victims", ["address", "paid_from", "entity", "payments", "usd", "last_paid"], "co-victims"),
        ("operators", ["address", "why"], "operators"),
        ("key_nodes", ["address", "role", "victim_usd"], "key nodes (victim money through them)"),
        ("cash_out", ["kind", "entity", "address", "usd", "ring_usd"], "cash-out (freeze / subpoena here)"),
    ]
    for key, cols, title in sections:
        rows = case[key]
        if rows:
            more = f" (largest {TABLE_ROWS} of {len(rows)})" if len(rows) > TABLE_ROWS else ""
            emit(rows[:TABLE_ROWS], fmt, cols, title=title + more)


def _csv_rows(case: dict, con) -> list[dict]:
    mine: dict[str, tuple[str, float]] = {case["subject"]: ("subject", case["loss_usd"])}
    for c in case["collection_wallets"]:
        mine.setdefault(c["address"], ("collection", c["usd"]))
    for r in case["laundering"]:
        mine.setdefault(r["address"], ("laundering", r["usd"]))
    for o in case["operators"]:
        mine.setdefault(o["address"], ("operator", None))
    for c in case["cash_out"]:
        mine.setdefault(c["address"], (f"cash_out:{c['kind']}", c["usd"]))
    for v in case["co_victims"]:
        got = mine.get(v["address"])
        mine[v["address"]] = ("co_victim", (got[1] or 0) + v["usd"]) if got and got[0] == "co_victim" else \
            got or ("co_victim", v["usd"])
    found: dict[str, list[dict]] = {}
    if con is not None and mine:
        cur = con.execute(
            """SELECT chain, address, role, typology, score, first_seen, last_seen, evidence FROM findings
               WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[])) ORDER BY address, role""",
            [case["chain"], list(mine)],
        )
        names = [d[0] for d in cur.description]
        for r in cur.fetchall():
            found.setdefault(r[1], []).append(dict(zip(names, r)))
    rows = []
    for address, (role, usd) in mine.items():
        base = found.get(address) or [{"chain": case["chain"], "address": address}]
        for f in base:
            rows.append({**f, "case_role": role, "case_usd": None if usd is None else f"{usd:.2f}"})
    return rows


@friendly
def case_cmd(
    address: str = typer.Argument(..., help="A reported victim's address, or a scam address (EVM 0x... or Tron T...)."),
    method: str = typer.Option("fifo", "--method", "-m", help="How traced money passes through a wallet: fifo, haircut or poison."),
    hops: int = typer.Option(DEFAULT_HOPS, "--hops", help="Follow the money over at most this many transfers."),
    min_usd: float = typer.Option(DEFAULT_MIN_USD, "--min-usd", help="Do not follow a transfer carrying less traced money (USD)."),
    payment: list[str] = typer.Option(
        [], "--payment",
        help="A transaction that paid the scam for this victim (repeatable): for a victim who paid from an exchange "
        "account, the exchange's withdrawal transactions."),
    since: Optional[str] = typer.Option(None, "--since", help="Only the subject's payments on or after this ISO date."),
    until: Optional[str] = typer.Option(None, "--until", help="Only the subject's payments before this ISO date."),
    as_: str = typer.Option(
        "auto", "--as",
        help="victim, scam, or auto (scam when `pigtrace analyze` found the address in a scam role and not as a victim, "
        "or a label calls it a scam)."),
    chain: Optional[str] = typer.Option(None, help="Chain of the address (default: the chain where it moved most)."),
    save: bool = typer.Option(True, "--save/--no-save", help="Keep the case in the warehouse's cases table."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """From one reported victim (self-custody, relay wallet, or exchange account with --payment) or one scam
    address: the victim's payments and loss, the ring's collection wallets, the other victims who paid them,
    its operators and laundering wallets, the key nodes by victim money through them, and the cash-out
    accounts with this case's traced amount (`usd`) and the whole ring's (`ring_usd`). Works before or
    without `pigtrace analyze` (then from the money alone, saying so). Saved cases: `pigtrace cases`."""
    from pigtrace.evaluation.common import parse_date
    from pigtrace.trace.case import build_case
    from pigtrace.trace.case_store import save_case

    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    con, why_not = open_db(db, read_only=True), None
    if save:
        try:
            con.close()
            con = open_db(db)
        except PigtraceError as e:  # read-only file or folder, or another process holds it: build, do not save
            con, why_not = open_db(db, read_only=True), str(e)
    with working("building the case"):
        case = build_case(con, address, chain=chain, method=method, hops=hops, min_usd=min_usd, payments=payment,
                          since=start, until=end, as_=as_)
    if save and why_not is None:
        save_case(con, case)
    elif save:
        note(f"the case is not saved: {why_not}")
    print_case(case.as_dict(), fmt, con)


@friendly
def cases_cmd(
    case_id: Optional[int] = typer.Argument(None, help="A saved case's id: print it as it was saved."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """The cases `pigtrace case` saved in this warehouse, or one of them, whole."""
    from pigtrace.trace.case_store import list_cases, load_case

    con = open_db(db, read_only=True)
    if case_id is None:
        emit(list_cases(con), fmt, empty="no saved cases (`pigtrace case ADDRESS` builds and saves one)")
        return
    print_case(load_case(con, case_id), fmt, con)


DEMO_MARK = ".pigtrace-demo"


def _clear_previous_demo(out: Path, db: Path, force: bool) -> None:
    """The demo recreates its folder and warehouse on each run, but never removes what it did not make: a
    folder without the demo's mark or a warehouse without its meta entry is refused unless ``force``."""
    if out.exists() and not force and not (out / DEMO_MARK).exists() and any(out.iterdir()):
        raise PigtraceError(f"{out}: not a folder an earlier `pigtrace demo` made; give another --out, or --force")
    if db.exists() and not force and not _made_by_demo(db):
        raise PigtraceError(f"{db}: not a warehouse an earlier `pigtrace demo` made; give another --db, or --force")
    if out.exists():
        shutil.rmtree(out)
    for path in (db, Path(f"{db}.wal")):
        path.unlink(missing_ok=True)


def _made_by_demo(db: Path) -> bool:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        return con.execute("SELECT count(*) FROM meta WHERE key = 'made_by' AND value = 'pigtrace demo'").fetchall()[0][0] > 0
    except duckdb.Error:
        return False
    finally:
        con.close()


@friendly
def demo_cmd(
    out: Path = typer.Option(Path("demo-world"), help="Folder for the simulated ethereum-etl export and truth.json."),
    db: Path = typer.Option(Path("pigtrace-demo.duckdb"), "--db", help="Warehouse for the demo (recreated each run)."),
    seed: int = typer.Option(7, help="Seed of the simulated world."),
    scale: str = typer.Option("small", help="World size: small, medium, large or a transfer count."),
    force: bool = typer.Option(False, "--force", help="Replace --out and --db even if an earlier demo did not make them."),
) -> None:
    """Simulate a small world with scams and benign look-alikes, ingest it with the TagPack the world brings
    (a share of its exchange hot wallets), analyze it, score the findings against the ground truth, and show
    the top findings and one traced case. The world's rings draw every structural choice at random
    (`pigtrace simulate --list-knobs`), so the scores are an honest, not a flattering, figure."""
    from pigtrace.detect.run import analyze
    from pigtrace.ingest.etl import ingest_etl
    from pigtrace.labels.store import replace_pack
    from pigtrace.labels.tagpack import read_tagpack
    from pigtrace.simulate.evaluate import evaluate, load_truth
    from pigtrace.simulate.world import simulate
    from pigtrace.trace.case import build_case

    t0 = time.perf_counter()
    _clear_previous_demo(out, db, force)
    with console.status("simulating a world..."):
        world = simulate(out, seed=seed, scale=scale)
    (out / DEMO_MARK).write_text("made by `pigtrace demo`; the next demo run replaces this folder\n")
    console.print(f"[green]simulated[/] {out}: " + ", ".join(f"{k} {v}" for k, v in world.items() if isinstance(v, (int, float))))
    con = open_db(str(db))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('made_by', 'pigtrace demo')")
    with console.status("ingesting the ethereum-etl export..."):
        added = ingest_etl(con, out)
    labelled = replace_pack(con, *read_tagpack(out / "tagpack.yaml"))
    console.print(f"[green]ingested[/] {added['transfers']:,} transfers, {added['approvals']:,} approvals, {added['swaps']:,} swaps; "
                  f"{labelled} service labels from {out / 'tagpack.yaml'} ({world['labelled_hot_wallets']} hot wallets labelled)")
    with console.status("analyzing..."):
        summary = analyze(con)
    console.print(f"[green]analyzed[/] {summary['findings']} findings: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["by_role"].items())))
    scores = evaluate(con, load_truth(out / "truth.json"))
    emit(scores["roles"], Format.table, ["role", "truth", "found", "tp", "fp", "fn", "precision", "recall", "f1"],
         title="findings vs ground truth (pigtrace evaluate)")
    top = con.execute(
        """SELECT address, role, typology, round(score, 3) AS score, first_seen, last_seen FROM findings
           ORDER BY score DESC, address LIMIT 15"""
    ).fetchall()
    emit([dict(zip(["address", "role", "typology", "score", "first_seen", "last_seen"], r)) for r in top],
         Format.table, title="top findings (pigtrace findings)")
    victim = con.execute(
        """SELECT f.address FROM findings f JOIN transfers t ON t.from_address = f.address AND t.chain = f.chain
           WHERE f.role = 'victim' GROUP BY f.address ORDER BY max(f.score) DESC, sum(t.usd) DESC NULLS LAST LIMIT 1"""
    ).fetchone()
    if victim:
        console.print(f"\none traced case: [bold]pigtrace case {victim[0]} --db {db}[/]")
        print_case(build_case(con, victim[0]).as_dict(), Format.table, con)
    console.print(f"\ndemo finished in {time.perf_counter() - t0:.1f} s; warehouse {db}; try `pigtrace findings --db {db}`")


def register(app: typer.Typer) -> None:
    app.command("case")(case_cmd)
    app.command("cases")(cases_cmd)
    app.command("demo")(demo_cmd)
