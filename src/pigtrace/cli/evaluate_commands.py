"""`pigtrace evaluate`: score the warehouse's findings against a simulated world's truth (``--truth``) or
against a labels file someone else made (``--labels``)."""

from __future__ import annotations

from pathlib import Path

import typer

from pigtrace.cli.common import (
    DbOption,
    Format,
    FormatOption,
    emit,
    fail,
    friendly,
    open_db,
)

ROLE_COLUMNS = ["role", "truth", "found", "tp", "fp", "fn", "precision", "recall", "f1"]


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)


@friendly
def evaluate_cmd(
    truth: Path | None = typer.Option(None, "--truth", "-t", help="truth.json written by `pigtrace simulate`."),
    labels: Path | None = typer.Option(
        None, "--labels", "-l",
        help="CSV with columns address,label (and optionally chain); label is victim, scam_collection, "
        "scam_operator, laundering, cash_out or normal. Without a chain the address form decides "
        "(0x + 40 hex digits: ethereum; T... base58 or 41 + 40 hex digits: tron)."),
    since: str | None = typer.Option(
        None, "--since", help="Score only addresses first seen in the warehouse's transfers on or after this "
        "ISO date (YYYY-MM-DD, UTC)."),
    until: str | None = typer.Option(
        None, "--until", help="Score only addresses first seen in the warehouse's transfers before this ISO date."),
    min_score: float = typer.Option(0.0, "--min-score", help="Count only findings scoring at least this (0..1)."),
    cases: int = typer.Option(
        2, "--cases",
        help="With --truth: also build `pigtrace case` from this many victims per ring and score it (co-victim "
        "recall and precision, share of the victim's payments traced to the ring's true cash-out accounts, "
        "with fifo and haircut); 0 skips it."),
    db: str | None = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Score the warehouse's findings against a simulated world's truth (--truth) or a labels file (--labels); give exactly one.

    --truth: per role, a finding (address, role) is a true positive when truth.json gives the address that role, else a false positive (benign, service and unknown addresses included); a truth address with no finding of its role is a false negative, unless no transfer, transaction or approval in the warehouse names it (counted as unseen: a Tron gas funder when only TRC-20 pages were ingested). Prints precision, recall and F1 per role, and 'all' (micro-average). Value traced to the right cash-out: for each ring, S = the USD its victims lost, F = the USD of the ring's money received by those of its truth cash-out addresses that have a cash_out finding; share = sum(min(F, S)) / sum(S), also per typology.

    --labels: only the labelled addresses are scored. A labelled address with a finding of role R is a true positive when its label is R, else a false positive; an address labelled R without a finding R is a false negative (also when it is not in the warehouse at all). Findings on addresses the file does not label are not scored but counted per role (unlabelled_flagged, on the file's chains). scam_any: flagged with any role but victim, against labelled with any role but victim (normal is the negative). 'all' is the micro-average over the five roles.

    --since/--until keep the addresses (labelled, truth or flagged) whose first appearance in the warehouse's transfers falls in [since, until); the value traced is not restricted."""
    from pigtrace.evaluation.common import parse_date

    if (truth is None) == (labels is None):
        fail("give exactly one of --truth FILE (a simulated world's truth.json) or --labels FILE.csv")
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    if labels is not None:
        _labels(labels, start, end, min_score, db, fmt)
        return
    from pigtrace.simulate.evaluate import evaluate, load_truth

    t = load_truth(truth)
    con = open_db(db, read_only=True)
    result = evaluate(con, t, since=start, until=end, min_score=min_score)
    if cases > 0:
        from pigtrace.evaluation.case_score import score_cases

        result["cases"] = [score_cases(con, t, per_ring=cases, method=m) for m in ("fifo", "haircut")]
    if fmt == Format.json:
        emit([result], fmt)
        return
    tv = result["traced_value"]
    if fmt == Format.csv:
        rows = [dict(r) for r in result["roles"]]
        for r in rows:
            r["value_traced_share"] = tv["share"] if r["role"] == "all" else None
        emit(rows, fmt, ROLE_COLUMNS + ["unseen", "value_traced_share"])
        return
    unseen = next(r["unseen"] for r in result["roles"] if r["role"] == "all")
    left_out = f"; {unseen} truth address(es) no transfer, transaction or approval shows left out" if unseen else ""
    emit(result["roles"], fmt, ROLE_COLUMNS,
         title=f"findings vs truth ({result['findings']} findings{_scope(result)}{left_out})")
    emit([{"typology": k, **v} for k, v in tv["by_typology"].items()] + [{"typology": "all", **{k: tv[k] for k in ("stolen_usd", "traced_usd", "share")}}],
         fmt, ["typology", "stolen_usd", "traced_usd", "share"], title="stolen value traced to the right cash-out")
    if result.get("cases"):
        emit([{"method": c["method"], "cases": c["cases"], "recall": c["co_victim_recall"],
               "prec": c["co_victim_precision"], "c_recall": c["confirmed_recall"],
               "c_prec": c["confirmed_precision"], "loss_ok": c["loss_right"],
               "to_cash": c["loss_to_true_cash_out"]}
              for c in result["cases"]],
             fmt, title="cases from one victim: co-victims (c_: confirmed by analyze), loss within 5%, "
             "share of the paid USD at the true cash-out")


def _labels(path: Path, since, until, min_score: float, db: str | None, fmt: Format) -> None:
    from pigtrace.evaluation.labels_score import evaluate_labels

    con = open_db(db, read_only=True)
    result = evaluate_labels(con, path, since=since, until=until, min_score=min_score)
    if fmt == Format.json:
        emit([result], fmt)
        return
    cols = ROLE_COLUMNS + ["unlabelled_flagged"]
    title = (f"findings vs {path.name} ({result['scored']} of {result['labelled']} labelled addresses scored, "
             f"{result['scored_in_ledger']} of them in the ledger{_scope(result)})")
    emit(result["roles"], fmt, cols, title=title if fmt == Format.table else None)


def _scope(result: dict) -> str:
    parts = []
    if result.get("since") or result.get("until"):
        lo = result["since"].date().isoformat() if result.get("since") else "start"
        hi = result["until"].date().isoformat() if result.get("until") else "end"
        parts.append(f"first seen {lo} .. {hi}")
    if result.get("min_score"):
        parts.append(f"score >= {result['min_score']:g}")
    run = result.get("analysis")
    if run and run.get("behaviour_only"):
        parts.append(f"analysis run {run['run_id']} behaviour-only")
    elif run:
        parts.append(f"analysis run {run['run_id']}")
    return "; " + "; ".join(parts) if parts else ""
