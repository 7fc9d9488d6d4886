"""Shared CLI plumbing: the --db and --format options, printing rows as a table, JSON or CSV, and
turning PigtraceError into a one-line message on stderr with a non-zero exit."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import wraps
from typing import Any, Callable, Iterable

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pigtrace.errors import PigtraceError
from pigtrace.store.warehouse import connect, db_path


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


DbOption = typer.Option(None, "--db", envvar="PIGTRACE_DB", help="Warehouse file (default ./pigtrace.duckdb).")
FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, json or csv.")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def friendly(fn: Callable) -> Callable:
    """Decorator for commands: PigtraceError (and DuckDB errors) become one actionable line on stderr."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PigtraceError as e:
            fail(str(e))
        except duckdb.IOException as e:
            fail(f"cannot use the warehouse: {str(e).splitlines()[0]}")

    return wrapper


def open_db(db: str | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return connect(db_path(db), read_only=read_only)


def _plain(v: Any) -> Any:
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, int) and abs(v) > 2**53:
        return str(v)
    if isinstance(v, Enum):
        return v.value
    return v


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return _plain(obj)


def emit(rows: Iterable[dict], fmt: Format, columns: list[str] | None = None, title: str | None = None) -> None:
    """Print ``rows`` in ``fmt``. JSON gets every key; table and CSV get ``columns`` (default: all keys)."""
    rows = list(rows)
    if fmt == Format.json:
        sys.stdout.write(json.dumps(to_jsonable(rows), indent=2) + "\n")
        return
    cols = columns or (list(rows[0].keys()) if rows else [])
    if fmt == Format.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in cols])
        return
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*["" if r.get(c) is None else str(_cell(r.get(c))) for c in cols])
    console.print(table)


def _cell(v: Any) -> Any:
    v = _plain(v)
    if isinstance(v, (list, dict)):
        return json.dumps(to_jsonable(v))
    if isinstance(v, float):
        return f"{v:.6g}"
    return v
