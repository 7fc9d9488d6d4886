"""`pigtrace ingest etl|rpc|trongrid|parquet`, `pigtrace export parquet` and `pigtrace status`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional

import duckdb
import typer

from pigtrace.errors import PigtraceError
from pigtrace.store.warehouse import db_path
from pigtrace.cli.common import (
    DbOption,
    ForceOption,
    Format,
    FormatOption,
    console,
    emit,
    err_console,
    friendly,
    ignore_ctrl_c,
    note,
    open_db,
    refuse_existing,
    to_jsonable,
    working,
    writing,
)

ingest_app = typer.Typer(rich_markup_mode="markdown", help="Load chain data into the warehouse (idempotent, all or nothing).", no_args_is_help=True)
export_app = typer.Typer(rich_markup_mode="markdown", help="Write the warehouse's canonical tables out.", no_args_is_help=True)


def _all_or_nothing(con: duckdb.DuckDBPyConnection, ingest: Callable[[], dict]) -> dict:
    """Run one all-or-nothing ingest and return the rows it added. Once its data is committed it is
    reported as done: a Ctrl-C (or an error) landing after the COMMIT, even before ``ingest`` returns, gives
    the rows its ingest log entry recorded and a note, and Ctrl-C no longer stops the report."""
    last = _last_ingest_id(con)
    try:
        added = ingest()
    except BaseException:
        added = _committed_since(con, last)
        if added is None:
            raise
        note("the ingest was committed before it was stopped: its data is in the warehouse")
    ignore_ctrl_c()
    return added


def _last_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(id), 0) FROM ingest_log").fetchall()[0][0]  # fetched to the end: no result left open


def _committed_since(con: duckdb.DuckDBPyConnection, last: int) -> dict[str, int] | None:
    """Rows added by an ingest committed after ingest log entry ``last``, or None. Read on a connection of
    its own (a cursor), which sees committed data only, whatever state the ingest's transaction is in."""
    try:
        row = con.cursor().execute("SELECT rows_added FROM ingest_log WHERE id > ? ORDER BY id DESC LIMIT 1",
                                   [last]).fetchone()
    except duckdb.Error:
        return None
    return json.loads(row[0]) if row else None


def _report(added: dict[str, int], fmt: Format, what: str) -> None:
    if fmt == Format.table:
        console.print(f"[green]ingested[/] {what}")
    emit([{"table": t, "rows_added": n} for t, n in added.items()], fmt, ["table", "rows_added"])


@ingest_app.command("etl")
@friendly
def ingest_etl_cmd(
    folder: Path = typer.Argument(..., help="ethereum-etl export folder (blocks, transactions, logs, token_transfers, tokens; CSV or JSON-lines)."),
    chain: str = typer.Option("ethereum", help="EVM chain the export comes from (a known chain, or one declared in PIGTRACE_EVM_CHAINS)."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Ingest an ethereum-etl export folder. Transfers and approvals are decoded from the raw logs when present; token_transfers files are then not read (a note says so). Every value read is checked; a bad one stops the ingest with one line naming file, line and column, and nothing is written."""
    from pigtrace.ingest.etl import ingest_etl

    with writing(db) as opener:
        con = opener()
        with working("ingesting") as step:
            added = _all_or_nothing(con, lambda: ingest_etl(con, folder, chain=chain, progress=step))
        for text in getattr(added, "notes", []):
            err_console.print(f"note: {text}", highlight=False)
        _report(added, fmt, str(folder))


@ingest_app.command("rpc")
@friendly
def ingest_rpc_cmd(
    url: str = typer.Argument(..., help="EVM JSON-RPC endpoint, e.g. http://127.0.0.1:8545 (API keys in the URL are never stored)."),
    from_block: int = typer.Option(..., "--from-block", help="First block to ingest."),
    to_block: int = typer.Option(..., "--to-block", help="Last block to ingest (inclusive); at most the node's latest block."),
    chain: str = typer.Option("ethereum", help="Chain the node serves; must match the node's eth_chainId."),
    batch_size: int = typer.Option(50, "--batch-size", help="Blocks per chunk: one batched request and one transaction each."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Ingest blocks, transactions (with receipt status) and Transfer/Approval/ApprovalForAll/Permit2/
    TransferSingle/Swap logs from any EVM JSON-RPC node.

    The range is read in chunks of --batch-size blocks (eth_getBlockByNumber with full transactions,
    eth_getBlockReceipts or eth_getTransactionReceipt, eth_getLogs), batched. A node that refuses a wide
    eth_getLogs range gets halved ranges; connection resets, timeouts, HTTP 429/5xx and rate-limit errors
    are retried with backoff.

    Each chunk is written all or nothing together with a checkpoint. If a run stops (node down, error,
    Ctrl-C), the chunks already written stay, the failing chunk is not written, and the error names the
    block to resume at: run the same command again (same URL, --chain and range) to resume there. A
    finished range run again is read again and adds nothing."""
    from pigtrace.ingest.rpc import ingest_rpc

    progress = None
    if sys.stderr.isatty():
        progress = lambda last, added: err_console.print(f"blocks up to {last} of {to_block} committed", highlight=False)  # noqa: E731
    with writing(db) as opener:
        con = opener()
        _report(ingest_rpc(con, url, from_block, to_block, chain=chain, batch_size=batch_size, progress=progress), fmt, url)


@ingest_app.command("trongrid")
@friendly
def ingest_trongrid_cmd(
    path: Path = typer.Argument(..., help="TronGrid v1 JSON: a file, or a folder of .json/.jsonl files."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Ingest TronGrid v1 account pages: `/v1/accounts/{address}/transactions/trc20` (Transfer and Approval rows, with or without `detail`) and `/v1/accounts/{address}/transactions` (TRX transfers, contract calls with their signer, internal TRX transfers).

    A transfer listed in several accounts' pages, files or runs is stored once (identified by transaction, token, parties, value). Bare TRC-20 rows get their signer and block when their transaction is ingested, in this run or a later one. Swaps through pairs are recognised from the transfers. All or nothing: a bad row names its file, row and field and nothing is written."""
    from pigtrace.ingest.trongrid import ingest_trongrid

    with writing(db) as opener:
        con = opener()
        with working("ingesting") as step:
            added = _all_or_nothing(con, lambda: ingest_trongrid(con, path, progress=step))
        _report(added, fmt, str(path))


@ingest_app.command("parquet")
@friendly
def ingest_parquet_cmd(
    folder: Path = typer.Argument(..., help="Folder with <table>.parquet (or <table>/*.parquet) canonical tables."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Ingest canonical tables as Parquet (the exchange format with Spark and other engines)."""
    from pigtrace.ingest.parquet import ingest_parquet

    with writing(db) as opener:
        con = opener()
        with working("ingesting") as step:
            added = _all_or_nothing(con, lambda: ingest_parquet(con, folder, progress=step))
        _report(added, fmt, str(folder))


@export_app.command("parquet")
@friendly
def export_parquet_cmd(
    folder: Path = typer.Argument(..., help="Folder to write <table>.parquet files into (new or empty, unless --force)."),
    force: bool = ForceOption,
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Write the canonical tables as Parquet files, one per table, into a new or empty folder (--force: into
    any folder, replacing the table files), and beside them what analysis made: findings, saved cases and
    rings (JSON columns as text; `ingest parquet` reads only the canonical tables)."""
    from pigtrace.ingest.parquet import export_parquet

    refuse_existing(folder, force, folder=True)
    con = open_db(db, read_only=True)
    try:
        written = export_parquet(con, folder)
    except duckdb.IOException as e:  # COPY ... TO a file that cannot be written: name the output, not the warehouse
        raise PigtraceError(f"{folder}: cannot write the Parquet files: {str(e).strip().splitlines()[0]}") from None
    emit([{"table": t, "rows": n} for t, n in written.items()], fmt, ["table", "rows"], title=f"written to {folder}")


@friendly
def status_cmd(
    verify: bool = typer.Option(
        False, "--verify",
        help="Also read every value of every table, so a damaged block anywhere in the table data is found "
        "(about a second per million transfers). Without it only the file's header, its catalog and the "
        "columns status shows are read."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """What the warehouse holds: rows per chain and table with their time span, the ingests so far and the
    latest analysis; with --verify, whether all the table data can still be read.

    --format csv gives the rows per chain and table (chain,table,rows,from,to); --format json an object with
    `tables`, `ingests` (every ingest: source, location, chain, started, finished, rows added per table),
    `analyses` (every `pigtrace analyze` run) and, with --verify, `verified` (rows read per table). A
    damaged block gives one line naming the file and the table, and exit 1."""
    from pigtrace.ingest.summary import read_every_table, summarize

    con = open_db(db, read_only=True)
    verified = None
    if verify:
        with working("verifying") as step:
            verified = read_every_table(con, progress=step)
    tables = summarize(con)
    ingests = [dict(zip(("id", "source", "location", "chain", "started", "finished", "rows_added"), r)) for r in
               con.execute("SELECT id, source, location, chain, started, finished, rows_added FROM ingest_log "
                           "ORDER BY id").fetchall()]
    for i in ingests:
        i["rows_added"] = json.loads(i["rows_added"] or "{}")
    analyses = [dict(zip(("id", "started", "finished", "findings", "behaviour_only"), r)) for r in
                con.execute("SELECT id, started, finished, findings, behaviour_only FROM analysis_runs "
                            "ORDER BY id").fetchall()]
    if fmt == Format.json:
        found = {"tables": tables, "ingests": ingests, "analyses": analyses}
        sys.stdout.write(json.dumps(to_jsonable(found | ({"verified": verified} if verify else {})), indent=2) + "\n")
        return
    if fmt == Format.csv:
        emit(tables, fmt, ["chain", "table", "rows", "from", "to"])
        if verify:
            note(_verified(verified))
        return
    target = db_path(db)
    if verify:
        console.print(_verified(verified), highlight=False)
    if not tables and not ingests:
        note(f"{target}: the warehouse is empty: load data with `pigtrace ingest ...` (or try `pigtrace demo`)")
        return
    ledger = [{**t, "from": t["from"] and t["from"].date(), "to": t["to"] and t["to"].date()}
              for t in tables if t["table"] != "labels"]
    labels = [t for t in tables if t["table"] == "labels"]
    if labels:  # one line for the label packs, whatever their chains
        ledger.append({"chain": f"{len(labels)} chains", "table": "labels", "rows": sum(t["rows"] for t in labels)})
    emit(ledger, fmt, ["chain", "table", "rows", "from", "to"], title=f"warehouse {target}")
    if ingests:
        shown = ingests[-10:]
        rows = [{"id": i["id"], "source": i["source"], "chain": i["chain"], "finished": i["finished"],
                 "added": ", ".join(f"{k} {v:,}" for k, v in i["rows_added"].items() if v),
                 "location": i["location"]} for i in shown]
        more = f"; {len(ingests) - len(shown)} earlier in --format json" if len(ingests) > len(shown) else ""
        emit(rows, fmt, ["id", "source", "chain", "finished", "added", "location"], title=f"ingests{more}")
    else:
        note("no ingest recorded in this warehouse")
    if analyses:
        a = analyses[-1]
        mode = ", behaviour only" if a["behaviour_only"] else ""
        console.print(f"latest analysis: run {a['id']}, {a['findings']:,} findings, finished "
                      f"{a['finished']:%Y-%m-%d %H:%M}{mode}", highlight=False)
    else:
        note("no analysis has run yet: run `pigtrace analyze`")


@friendly
def upgrade_cmd(db: Optional[str] = DbOption) -> None:
    """Convert a warehouse written by an older pigtrace to the current storage. The new warehouse is written
    beside the old one and replaces it only when complete (so it needs that much free disk); other
    commands refuse an old warehouse and name this one. Nothing to do on a current warehouse."""
    from pigtrace.store.upgrade import upgrade_warehouse

    target = db_path(db)
    with working(f"upgrading {target}"):
        old, new = upgrade_warehouse(target)
    note(f"{target}: warehouse schema {new}" + (f" (converted from schema {old})" if old != new else ", already current"))


def _verified(rows_read: dict[str, int]) -> str:
    return (f"verified: every value of {len(rows_read)} tables read ({sum(rows_read.values()):,} rows), "
            "no damaged block")


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
    app.add_typer(export_app, name="export")
    app.command("status")(status_cmd)
    app.command("upgrade")(upgrade_cmd)
