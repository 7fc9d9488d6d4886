"""`pigtrace evaluate`: score the warehouse's findings against a simulated world's truth."""

from __future__ import annotations

from pathlib import Path

import typer

from pigtrace.cli.common import (
    DbOption,
    Format,
    FormatOption,
    emit,
    friendly,
    open_db,
)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)


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
