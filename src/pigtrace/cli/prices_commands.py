"""`pigtrace prices` (list the imported prices) and `pigtrace prices import FILE.csv` (chains.prices)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pigtrace.cli.common import DbOption, Format, FormatOption, emit, friendly, note, open_db, open_existing_db

prices_app = typer.Typer(
    rich_markup_mode="markdown", invoke_without_command=True,
    help="USD prices by asset and day: without a subcommand, list them; `prices import FILE.csv` adds them. "
         "Transfers of a priced asset on a priced day are valued at that price, others at the registry's "
         "reference price (stablecoins at par, coins at a static typical level).")


@prices_app.callback()
def prices_cmd(ctx: typer.Context, db: Optional[str] = DbOption, fmt: Format = FormatOption) -> None:
    """List the imported prices: date, asset as given, chain, token, usd, source file."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = db  # `prices --db X import FILE` writes to X
        return
    _list(db, fmt)


@friendly
def _list(db: Optional[str], fmt: Format) -> None:
    from pigtrace.chains.prices import list_prices

    rows = list_prices(open_db(db, read_only=True))
    if not rows and fmt == Format.table:
        note("no prices imported: USD values are the registry's reference prices (`pigtrace prices import FILE.csv`)")
    emit(rows, fmt, ["date", "asset", "chain", "token", "usd", "source"], title="prices")


@friendly
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV with a header and columns date (YYYY-MM-DD), asset (a registry "
                                "symbol such as ETH, WETH, TRX, or chain:token-address, chain:native for the "
                                "coin) and usd (the price of one unit that day); other columns are ignored."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Import USD prices by asset and day and re-value the ingested transfers of those assets on those days
    (their usd_source becomes `price file NAME`); later ingests value new transfers on those days the same
    way. All or nothing: the first bad line stops it with the file, line and field, and nothing changes.
    Importing the same file again changes nothing; a price for an asset and day already imported replaces
    it. Run `pigtrace analyze` afterwards: the detectors read the USD values."""
    from pigtrace.chains.prices import import_prices

    con = open_existing_db(db or ctx.obj)
    summary = import_prices(con, file)
    emit([{"file": str(file), **summary}], fmt, ["file", "prices", "assets", "days", "transfers_revalued"],
         title="imported prices")


def register(app: typer.Typer) -> None:
    prices_app.command("import")(import_cmd)
    app.add_typer(prices_app, name="prices")
