"""`pigtrace trace ADDRESS|TXHASH`: where the money went, as a table, JSON (the trace contract) or CSV."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.markup import escape

from pigtrace.cli.common import DbOption, Format, FormatOption, console, emit, friendly, open_db, table_cell, \
    to_jsonable, working
from pigtrace.trace.run import DEFAULT_HOPS, DEFAULT_MIN_USD

CSV_COLUMNS = ["record", "address", "kind", "entity", "usd", "first_time", "last_time", "from", "to", "tx_hash",
               "time", "asset", "amount"]
TABLE_ROWS = 20  # endpoints and hops shown in the table (largest first); JSON and CSV carry all of them

_FOLLOWED = {"sent": "what it sent", "received": "what it received, onwards", "transaction": "what it moved"}


def print_trace(result, fmt: Format) -> None:
    data = result.as_dict()
    if fmt == Format.json:
        sys.stdout.write(json.dumps(to_jsonable(data), indent=2) + "\n")
        return
    if fmt == Format.csv:  # one table: the input, the unresolved rest, every endpoint, every hop
        rows = [{"record": "input", "address": data["source"], "kind": data["method"], "usd": data["input_usd"]},
                {"record": "unresolved", "usd": data["unresolved_usd"]}]
        rows += [{"record": "endpoint", **e} for e in data["endpoints"]]
        rows += [{"record": "hop", **h} for h in data["hops"]]
        emit([{**r, "usd": f"{r['usd']:.2f}"} for r in rows], fmt, CSV_COLUMNS)
        return
    reached = sum(e["usd"] for e in data["endpoints"])
    console.print(
        f"trace [bold]{escape(table_cell('source', data['source']))}[/] ({result.chain}), {data['method']}, "
        f"{_FOLLOWED.get(result.follow, result.follow)}\n"
        f"input {table_cell('usd', data['input_usd'])} USD: endpoints {table_cell('usd', reached)}, "
        f"unresolved {table_cell('usd', data['unresolved_usd'])}",
        highlight=False, soft_wrap=True,
    )
    ends = data["endpoints"][:TABLE_ROWS]
    title = f"endpoints (largest {len(ends)} of {len(data['endpoints'])})" if len(ends) < len(data["endpoints"]) \
        else "endpoints"
    emit(ends, fmt, ["kind", "entity", "address", "usd", "last_time"], title=title, empty="no endpoints: nothing traced")
    hops = sorted(data["hops"], key=lambda h: -h["usd"])[:TABLE_ROWS]
    hops.sort(key=lambda h: h["time"])
    total = max(result.hops_total, len(data["hops"]))
    title = f"hops (largest {len(hops)} of {total}; all in --format json or csv)" if total > len(hops) else "hops"
    emit(hops, fmt, ["time", "from", "to", "asset", "usd", "tx_hash"], title=title)


@friendly
def trace_cmd(
    source: str = typer.Argument(..., help="An address (EVM 0x..., Tron T...) or a transaction hash."),
    method: str = typer.Option(
        "fifo", "--method", "-m",
        help="How a wallet passes traced money on: fifo (receipts leave in the order they came), haircut "
        "(every payment carries the traced share of the balance), poison (traced money leaves first)."),
    hops: int = typer.Option(DEFAULT_HOPS, "--hops", help="Follow the money over at most this many transfers."),
    min_usd: float = typer.Option(
        DEFAULT_MIN_USD, "--min-usd",
        help="Do not follow a transfer carrying less traced money than this (USD); it counts as unresolved."),
    since: Optional[str] = typer.Option(
        None, "--since", help="Trace only the source's transfers on or after this ISO date (or date-time)."),
    until: Optional[str] = typer.Option(None, "--until", help="Trace only the source's transfers before this ISO date."),
    follow: str = typer.Option(
        "auto", "--follow",
        help="For an address: sent (trace what it paid out, as for a victim), received (trace what it received, "
        "onwards from it, as for a scam wallet) or auto (received when `pigtrace analyze` found it in a scam "
        "role and not as a victim, or a label calls it a scam; else sent)."),
    chain: Optional[str] = typer.Option(None, help="Chain of the address (default: the chain where it moved most)."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Follow money forward in time from an address or a transaction to where it stopped: exchange deposit
    accounts (with their exchange), exchanges, OTC desks, bridges, DEXes, mixers, wallets still holding it
    (held), or where the trace gave up (unknown: hop limit). A swap is followed into the token it bought.
    Endpoints plus unresolved add up to the input. The first trace of a warehouse state builds its flow
    store and keeps it beside the warehouse (its file name plus .flows.npz); later traces reuse it."""
    from pigtrace.evaluation.common import parse_date
    from pigtrace.trace.run import trace

    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    con = open_db(db, read_only=True)
    with working("tracing"):
        result = trace(con, source, method=method, hops=hops, min_usd=min_usd, since=start, until=end,
                       follow=follow, chain=chain, hop_rows=TABLE_ROWS if fmt == Format.table else None)
    print_trace(result, fmt)


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_cmd)
