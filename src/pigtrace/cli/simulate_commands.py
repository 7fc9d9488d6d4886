"""`pigtrace simulate`: a synthetic world with ground truth."""

from __future__ import annotations

import textwrap
from pathlib import Path

import typer

from pigtrace.cli.common import (
    ForceOption,
    Format,
    FormatOption,
    console,
    emit,
    fail,
    friendly,
    refuse_existing,
    working,
)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)


@friendly
def simulate_cmd(
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder to write the world into: a new or empty one "
                                    "(created if missing), unless --force."),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed and options give byte-identical files."),
    users: int | None = typer.Option(None, "--users", help="Retail users (default: from --scale, 300 to 200,000)."),
    days: int = typer.Option(90, "--days", help="Days of activity (at least 14)."),
    scale: str = typer.Option("small", "--scale", help="small (~30k transfers), medium (~1M), large (~10M), or a number of transfers."),
    chain: str = typer.Option("ethereum", "--chain", help="ethereum (ethereum-etl CSV export) or tron (TronGrid v1 JSON)."),
    vary: list[str] | None = typer.Option(
        None, "--vary",
        help="KNOB=VALUE, repeatable: hold one structural choice for every ring and exchange "
        "(`--list-knobs` names them; e.g. --vary style=fixed --vary paybacks=none)."),
    style: str | None = typer.Option(
        None, "--style", help="random (default: every ring draws every structural choice) or fixed (the "
        "simulator as it was before knobs); the same as --vary style=VALUE."),
    list_knobs: bool = typer.Option(False, "--list-knobs", help="List the knobs (name, values, default, what it changes) and exit."),
    force: bool = ForceOption,
    fmt: Format = FormatOption,
) -> None:
    """Write a synthetic world with complete ground truth.

    ethereum: blocks.csv, transactions.csv, logs.csv, token_transfers.csv, tokens.csv in ethereum-etl's format (load with `pigtrace ingest etl OUT`). tron: a per-account TronGrid crawl, trongrid/trc20_*.json (Transfer and Approval rows, a share with `detail`) and trongrid/transactions_*.json (account histories: TRX transfers, contract calls), shaped by the knobs tron_detail, tron_account_history and crawl_overlap (load with `pigtrace ingest trongrid OUT/trongrid`).

    Every world also gets OUT/tagpack.yaml, a TagPack of the services an investigator would have labelled: a share of the world's exchange hot wallets (knob labelled_hot_wallets, default 0.6) and its DEX and bridge contracts (load with `pigtrace labels import OUT/tagpack.yaml`). The simulator uses none of pigtrace's shipped labels or prices: its exchanges, services and native-coin price are its own.

    And OUT/truth.json: every scam address's role, each ring's victims with the exact amount each lost (and the transactions that prove it), where each ring's money was cashed out, the knob values each ring drew, the services and the benign actors.

    By default (style=random) every ring draws each structural choice from its whole range; style=fixed gives the simulator as it was before knobs."""
    from pigtrace.simulate.knobs import knob_rows, parse_vary

    if list_knobs:
        rows = knob_rows()
        if fmt != Format.table:
            emit(rows, fmt, ["name", "values", "default", "fixed", "help"], title="simulate knobs")
            return
        for r in rows:  # a knob's help is a sentence: one block per knob reads better than a table
            console.print(f"[bold]{r['name']}[/]  {r['values']}  (default {r['default']}; style=fixed: {r['fixed']})",
                          highlight=False)
            console.print(textwrap.fill(r["help"], width=max(40, console.width - 1), initial_indent="    ",
                                        subsequent_indent="    "), highlight=False)
        return
    if out is None:
        fail("--out: required (the folder to write the world into)")
    if style is not None and style not in ("fixed", "random"):
        fail(f"--style {style!r}: expected fixed or random")
    refuse_existing(out, force, folder=True)
    from pigtrace.simulate.world import simulate

    with working(f"simulating a {scale} world") as step:
        summary = simulate(out, seed=seed, users=users, days=days, scale=int(scale) if scale.isdigit() else scale,
                           chain=chain, vary=parse_vary((vary or []) + ([f"style={style}"] if style else [])),
                           progress=step)
    if fmt == Format.table:
        console.print(f"[green]simulated[/] {summary['out']}")
    flat = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    flat.update({f"rings_{k}": v for k, v in summary["rings"].items()})
    flat.update({f"knob_{k}": v for k, v in summary["knobs"].items()})
    if fmt == Format.json:
        emit([summary], fmt)
    else:
        emit([{"field": k, "value": v} for k, v in flat.items()], fmt, ["field", "value"])
