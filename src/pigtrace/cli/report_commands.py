"""`pigtrace report CASE --format html|pdf|stix|graphml|tagpack|packets --out PATH`: a case as something to
hand over. Thin: the case comes from trace/case_store (or trace/case, built and saved first), the files
from report/build."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from pigtrace.cli.common import DbOption, ForceOption, console, friendly, note, open_db, open_existing_db, refuse_existing, \
    working
from pigtrace.errors import PigtraceError
from pigtrace.trace.run import DEFAULT_HOPS, DEFAULT_MIN_USD


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    stix = "stix"
    graphml = "graphml"
    tagpack = "tagpack"
    packets = "packets"


@friendly
def report_cmd(
    case_ref: str = typer.Argument(..., metavar="CASE", help="A saved case's id (`pigtrace cases`), or an address: "
                                   "its case is built as `pigtrace case ADDRESS` would and saved first."),
    fmt: ReportFormat = typer.Option(..., "--format", "-f", help="html, pdf, stix, graphml, tagpack or packets."),
    out: Path = typer.Option(..., "--out", "-o", help="The file to write (a folder for packets): new or empty, "
                             "unless --force."),
    method: str = typer.Option("fifo", "--method", "-m", help="For an address: how traced money passes through a "
                               "wallet (fifo, haircut or poison)."),
    hops: int = typer.Option(DEFAULT_HOPS, "--hops", help="For an address: follow the money over at most this many transfers."),
    min_usd: float = typer.Option(DEFAULT_MIN_USD, "--min-usd", help="For an address: do not follow a transfer carrying "
                                  "less traced money (USD)."),
    chain: Optional[str] = typer.Option(None, help="For an address: its chain (default: the chain where it moved most)."),
    force: bool = ForceOption,
    db: Optional[str] = DbOption,
) -> None:
    """Write a case as something to hand over.

    html: one self-contained file (pictures and a small script inside, nothing fetched): summary (victim, loss,
    ring, dates, method), the victim's timeline, a Sankey of the traced money and the ring's flow graph
    (hover, click to highlight, zoom and pan), cash-out per exchange with this case's and the ring's amounts,
    key nodes, the evidence table (every transaction with block-explorer links), how it was traced (method,
    hops, minimum, prices) and the provenance of every label on the case's addresses. pdf: the same, laid
    out for print (A4, the evidence table in landscape). packets: a folder per exchange or service that
    received traced money (packet.pdf, accounts.csv, transactions.csv with the hops from the victim's payment,
    cover-letter.txt to fill in), packets.csv and co-victims.csv (addresses and amounts only). stix: a STIX 2.1
    bundle (validated with stix2). graphml: the case's flow graph. tagpack: the ring's wallets and the cash-out
    accounts as a TagPack (victims left out)."""
    from pigtrace.report.build import render
    from pigtrace.trace.case_store import load_case, save_case

    refuse_existing(out, force, folder=fmt == ReportFormat.packets)
    if fmt != ReportFormat.packets and out.is_dir():
        raise PigtraceError(f"{out}: is a folder; --format {fmt.value} writes one file")
    if case_ref.strip().isdigit():
        con = open_db(db, read_only=True)
        case = load_case(con, int(case_ref))
    else:
        from pigtrace.trace.case import build_case

        try:
            con = open_existing_db(db)  # never starts an empty warehouse
            writable = True
        except PigtraceError as e:
            con, writable = open_db(db, read_only=True), False
            note(f"the case is not saved: {e}")
        with working("building the case"):
            built = build_case(con, case_ref, chain=chain, method=method, hops=hops, min_usd=min_usd)
        if writable:
            save_case(con, built)
            note(f"saved as case {built.id} (`pigtrace cases {built.id}`)")
        case = built.as_dict()
        case["created"] = built.created
    with working(f"writing the {fmt.value} report"):
        written = render(con, case, fmt.value, out)
    shown = out if fmt == ReportFormat.packets else written[0]
    console.print(f"{shown}: {fmt.value} report of case {case.get('id') or '(unsaved)'} "
                  f"({len(written)} file{'s' if len(written) != 1 else ''})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
