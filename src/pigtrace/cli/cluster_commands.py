"""`pigtrace cluster` (build the clusters table) and `pigtrace cluster show ADDRESS` (one address's cluster)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from pigtrace.cli.common import (
    DbOption,
    Format,
    FormatOption,
    console,
    emit,
    friendly,
    note,
    open_db,
    open_existing_db,
    to_jsonable,
    working,
)
from pigtrace.cluster.registry import HEURISTICS, NAMES

HEURISTIC_COLUMNS = ["heuristic", "links", "kept", "refused", "addresses", "clusters"]
MEMBER_COLUMNS = ["cluster_id", "chain", "address", "heuristic", "joined_via", "label"]

cluster_app = typer.Typer(
    help="Group addresses one owner controls (a person, a ring, a service) and store them as the clusters table.",
    add_completion=False,
    subcommand_metavar="[show ADDRESS | heuristics]",
)


CLUSTER_HELP = (
    "Cluster the warehouse's addresses and replace the `clusters` table (one transaction): each address some "
    "heuristic linked to another, with the heuristic that joined it and the address it was linked to. Prints "
    "the links each heuristic found, kept and lost to the size cap, the addresses it joined and the clusters "
    "they are in, then the largest clusters. `--format csv`: the per-heuristic rows only; `--format json`: "
    "everything. No behavioural heuristic links a service (labelled exchanges, DEXes, bridges, OTC desks, "
    "mixers, token contracts, pools, routers); only a TagPack definer can group a service's own addresses. "
    "`pigtrace cluster show ADDRESS` lists one address's cluster.\n\n"
    "The heuristics, applied in this order (what each refuses to link: `pigtrace cluster heuristics`):\n\n"
    + "\n".join(f"- `{h.id}`: {h.help}" for h in HEURISTICS)
)


@cluster_app.callback(invoke_without_command=True, help=CLUSTER_HELP,
                      short_help="Group the addresses one owner controls (clusters table); show one address's cluster.")
@friendly
def cluster_cmd(
    ctx: typer.Context,
    heuristic: Optional[list[str]] = typer.Option(
        None, "--heuristic", help=f"Run only this heuristic (repeatable): {', '.join(NAMES)}. Default: all."),
    without: Optional[list[str]] = typer.Option(
        None, "--without", help="Leave this heuristic out (repeatable)."),
    max_size: int = typer.Option(
        1000, "--max-size", min=2,
        help="Size cap: a behavioural heuristic whose links would make a cluster larger than this many "
        "addresses loses those links (reported as refused); TagPack definers are exempt."),
    top: int = typer.Option(10, "--top", min=0, help="How many of the largest clusters to list (table and json)."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    if ctx.invoked_subcommand:
        return
    from pigtrace.cluster.build import build_clusters
    from pigtrace.cluster.store import largest

    with open_existing_db(db) as con:
        with working("clustering") as step:
            summary = build_clusters(con, only=heuristic, without=without, max_size=max_size, progress=step)
        summary["largest"] = largest(con, top)
    if fmt == Format.json:
        sys.stdout.write(json.dumps(to_jsonable(summary), indent=2) + "\n")
        return
    if fmt == Format.csv:
        emit(summary["heuristics"], fmt, HEURISTIC_COLUMNS)
        return
    console.print(f"{summary['clusters']:,} clusters of {summary['addresses']:,} addresses "
                  f"(size cap {max_size:,}; {summary['seconds']:.1f} s)")
    emit(summary["heuristics"], fmt, HEURISTIC_COLUMNS, title="links per heuristic")
    for r in summary["refused"]:
        note(f"{r['heuristic']}: {r['links']:,} links refused: they would have made {r['clusters']} cluster(s) "
             f"larger than {max_size:,} addresses (the largest {r['largest']:,})")
    emit(summary["largest"], fmt, ["cluster_id", "size", "joined_by", "address", "label"],
         title="largest clusters (members: pigtrace cluster show ADDRESS)")


@cluster_app.command("show")
@friendly
def show_cmd(
    address: str = typer.Argument(..., help="An address (EVM 0x... or Tron T...)."),
    chain: Optional[str] = typer.Option(None, help="Its chain, when the same address is on several."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """The cluster of ADDRESS from the latest `pigtrace cluster`: every member, the heuristic that joined it,
    the address it was linked to, and its labels. An address no heuristic linked is a cluster of its own
    (nothing is listed); one the warehouse does not hold is an error."""
    from pigtrace.cluster.store import members, require_built, resolve

    with open_db(db, read_only=True) as con:
        run = require_built(con)
        chain, text = resolve(con, address, chain)
        rows = members(con, chain, text)
    if not rows and fmt == Format.table:
        note(f"{text} is in no cluster: no heuristic linked it to another address "
             f"(run with {', '.join(run['heuristics'])})")
        return
    if fmt != Format.table:
        emit(rows, fmt, MEMBER_COLUMNS)
        return
    emit(rows, fmt, ["address", "heuristic", "joined_via", "label"],
         title=f"cluster {rows[0]['cluster_id']}: {len(rows)} addresses on {chain} "
               f"(built {run['built']}; full addresses: --format csv)")


@cluster_app.command("heuristics")
@friendly
def heuristics_cmd(fmt: Format = FormatOption) -> None:
    """The clustering heuristics in the order their links are applied: what each links and what its guard
    refuses to link."""
    rows = [{"heuristic": h.id, "rule": h.help, "guard": h.guard} for h in HEURISTICS]
    if fmt == Format.table:  # one line each; the full rule and guard in --format json or csv
        emit([{**r, "rule": r["rule"].split(": ", 1)[-1]} for r in rows], fmt, ["heuristic", "rule"],
             title="clustering heuristics (rules and guards in full: --format json)")
        return
    emit(rows, fmt, ["heuristic", "rule", "guard"])


def register(app: typer.Typer) -> None:
    app.add_typer(cluster_app, name="cluster")
