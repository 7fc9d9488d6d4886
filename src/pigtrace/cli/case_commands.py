"""`pigtrace case ADDRESS` and `pigtrace demo` (simulate, ingest, analyze, score, show one case)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Optional

import duckdb
import typer
from rich.markup import escape
from rich.panel import Panel

from pigtrace.cli.common import DbOption, Format, FormatOption, console, emit, friendly, open_db, table_cell, to_jsonable
from pigtrace.errors import PigtraceError


def print_case(case, fmt: Format) -> None:
    if fmt != Format.table:
        emit([to_jsonable(case.as_dict())], fmt) if fmt == Format.json else emit(case.path, fmt)
        return
    s = case.summary
    console.print(Panel.fit(
        f"victim [bold]{case.victim}[/] ({case.chain}) roles: {', '.join(case.victim_roles) or 'not flagged'}\n"
        + "  ".join(f"{k}: [bold]{escape(table_cell(k, v))}[/]" for k, v in s.items()),
        title="case",
    ))
    if case.payments:
        emit(case.payments[:15], fmt, ["time", "to", "to_role", "usd", "tx_hash"], title="the victim's payments to scam wallets")
    if case.co_victims:
        emit(case.co_victims[:10], fmt, ["address", "payments", "paid_usd", "first_paid", "last_paid"],
             title=f"co-victims paying the same wallets ({len(case.co_victims)})")
    if case.path:
        emit(case.path[:20], fmt, ["hop", "from", "to", "to_role", "usd", "tx_hashes"], title="where the money went")
    if case.cash_out:
        emit(case.cash_out, fmt, ["address", "received_usd", "forwards_to", "score"], title="cash-out accounts (freeze / subpoena here)")


@friendly
def case_cmd(
    address: str = typer.Argument(..., help="A reported victim's address (EVM 0x... or Tron T...)."),
    chain: Optional[str] = typer.Option(None, help="Chain of the address (guessed from its form when omitted)."),
    hops: int = typer.Option(6, help="How many laundering hops to follow from the scam wallets."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """From one reported victim: the scam wallets they paid, co-victims, the laundering path and the cash-out
    accounts, from the latest `pigtrace analyze`, with the transactions behind each step."""
    from pigtrace.trace.case import build_case

    con = open_db(db, read_only=True)
    print_case(build_case(con, address, chain=chain, hops=hops), fmt)


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
    emit(scores["roles"], Format.table, title="findings vs ground truth (pigtrace evaluate)")
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
        print_case(build_case(con, victim[0]), Format.table)
    console.print(f"\ndemo finished in {time.perf_counter() - t0:.1f} s; warehouse {db}; try `pigtrace findings --db {db}`")


def register(app: typer.Typer) -> None:
    app.command("case")(case_cmd)
    app.command("demo")(demo_cmd)
