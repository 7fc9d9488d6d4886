"""`pigtrace entities`: the services and service accounts of the warehouse (pigtrace.entities), listed, and
with ``--build`` rebuilt and stored."""

from __future__ import annotations

import json
from typing import Optional

import typer

from pigtrace.cli.common import DbOption, Format, FormatOption, emit, fail, friendly, note, open_db, open_existing_db, working
from pigtrace.entities import KINDS

COLUMNS = ["chain", "address", "kind", "entity", "source", "category", "score", "reasons"]


@friendly
def entities_cmd(
    kind: Optional[str] = typer.Option(None, "--kind", help=f"Only this kind ({', '.join(KINDS)})."),
    source: Optional[str] = typer.Option(None, "--source", help="Only entities from 'label' or 'behaviour'."),
    build: bool = typer.Option(
        False, "--build",
        help="Recompute the entities from the ledger and the service labels and store them (`pigtrace analyze` "
        "does this as its first step)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many rows."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Services and service accounts: exchange hot wallets and deposit accounts, OTC desks, bridges, DEX pools
    and routers, mixers, token contracts and other services, one row per address, each from a service label
    or recognised by behaviour (unlabelled hot wallets by the sweeps they collect and the customers they pay;
    deposit accounts by sweeping nearly all they send to one exchange), with a score and the reasons.

    Without --build it lists the stored table when it matches the ledger and labels; otherwise (data
    ingested or labels imported since, never built) it computes them for this listing without storing them.
    CSV columns: chain,address,kind,entity,source,category,score,reasons (a JSON list)."""
    from pigtrace.entities import table

    if kind is not None and kind not in KINDS:
        fail(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    if source is not None and source not in ("label", "behaviour"):
        fail(f"--source {source!r}: expected label or behaviour")
    if build:
        con = open_existing_db(db)
        with working("finding services") as step:
            table.build(con, step)
        rel = "entities"
    else:
        con = open_db(db, read_only=True)
        stored = table.is_current(con)
        if not stored:
            note("the entities table is not up to date with the ledger and labels: computed for this listing "
                 "(`pigtrace entities --build` or `pigtrace analyze` stores them)")
        rel = table.current(con)
    where, params = [], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if source:
        where.append("source = ?")
        params.append(source)
    sql = (f"SELECT {', '.join(COLUMNS)} FROM {rel}" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY kind, entity NULLS LAST, score DESC, chain, address" + (f" LIMIT {int(limit)}" if limit else ""))
    cur = con.execute(sql, params)
    rows = [dict(zip(COLUMNS, r)) for r in cur.fetchall()]
    con.close()
    for r in rows:
        reasons = json.loads(r["reasons"] or "[]")
        r["reasons"] = reasons if fmt == Format.json else json.dumps(reasons)
        r["score"] = round(r["score"], 4) if r["score"] is not None else None
    if fmt == Format.table:
        for r in rows:
            r["reason"] = (json.loads(r["reasons"]) or [""])[0]
        chains = {r["chain"] for r in rows}
        cols = (["chain"] if len(chains) > 1 else []) + ["address", "kind", "entity", "source", "score", "reason"]
        emit(rows, fmt, cols, title="entities (full addresses and reasons: --format csv or json)",
             empty="no entities (nothing ingested, or no service found)")
        return
    emit(rows, fmt, COLUMNS)


def register(app: typer.Typer) -> None:
    app.command("entities")(entities_cmd)
