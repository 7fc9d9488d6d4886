"""`pigtrace simulate` (a synthetic world with ground truth) and `pigtrace evaluate` (findings vs truth)."""

from __future__ import annotations

from pathlib import Path

import typer

from pigtrace.cli.common import (
    DbOption,
    Format,
    FormatOption,
    console,
    emit,
    friendly,
    open_db,
)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("evaluate")(evaluate_cmd)


@friendly
def simulate_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the world into (created if missing)."),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed and options give byte-identical files."),
    users: int | None = typer.Option(None, "--users", help="Retail users (default: from --scale, 300 to 200,000)."),
    days: int = typer.Option(90, "--days", help="Days of activity (at least 14)."),
    scale: str = typer.Option("small", "--scale", help="small (~30k transfers), medium (~1M), large (~10M), or a number of transfers."),
    chain: str = typer.Option("ethereum", "--chain", help="ethereum (ethereum-etl CSV export) or tron (TronGrid v1 JSON)."),
    fmt: Format = FormatOption,
) -> None:
    """Write a synthetic world with complete ground truth.

    ethereum: blocks.csv, transactions.csv, logs.csv, token_transfers.csv, tokens.csv in ethereum-etl's format (load with `pigtrace ingest etl OUT`). tron: trongrid/page_*.json TRC-20 transfer pages (load with `pigtrace ingest trongrid OUT/trongrid`), and OUT/exchange-hot-wallets.yaml, a TagPack of its synthetic exchange hot wallets (the shipped labels hold no Tron ones; load with `pigtrace labels import`).

    Both get OUT/truth.json: every scam address's role, each ring's victims with the exact amount each lost (and the transactions that prove it), where each ring's money was cashed out, the services and the benign actors."""
    from pigtrace.simulate.world import simulate

    summary = simulate(out, seed=seed, users=users, days=days, scale=int(scale) if scale.isdigit() else scale, chain=chain)
    if fmt == Format.table:
        console.print(f"[green]simulated[/] {summary['out']}")
    flat = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    flat.update({f"rings_{k}": v for k, v in summary["rings"].items()})
    if fmt == Format.json:
        emit([summary], fmt)
    else:
        emit([{"field": k, "value": v} for k, v in flat.items()], fmt, ["field", "value"])


@friendly
def evaluate_cmd(
    truth: Path = typer.Option(..., "--truth", "-t", help="truth.json written by `pigtrace simulate`."),
    db: str | None = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Score the warehouse's findings against a simulated world's truth.

    Per role: a finding (address, role) is a true positive when truth.json gives the address that role, else a false positive (benign, service and unknown addresses included); a truth address with no finding of its role is a false negative. Prints precision, recall and F1 per role, and 'all' (micro-average).

    Value traced to the right cash-out: for each ring, S = the USD its victims lost, F = the USD of the ring's money received by those of its truth cash-out addresses that have a cash_out finding; share = sum(min(F, S)) / sum(S), also per typology."""
    from pigtrace.simulate.evaluate import evaluate, load_truth

    t = load_truth(truth)
    con = open_db(db, read_only=True)
    result = evaluate(con, t)
    if fmt == Format.json:
        emit([result], fmt)
        return
    cols = ["role", "truth", "found", "tp", "fp", "fn", "precision", "recall", "f1"]
    tv = result["traced_value"]
    if fmt == Format.csv:
        rows = [dict(r) for r in result["roles"]]
        for r in rows:
            r["value_traced_share"] = tv["share"] if r["role"] == "all" else None
        emit(rows, fmt, cols + ["value_traced_share"])
        return
    emit(result["roles"], fmt, cols, title=f"findings vs truth ({result['findings']} findings)")
    emit([{"typology": k, **v} for k, v in tv["by_typology"].items()] + [{"typology": "all", **{k: tv[k] for k in ("stolen_usd", "traced_usd", "share")}}],
         fmt, ["typology", "stolen_usd", "traced_usd", "share"], title="stolen value traced to the right cash-out")
