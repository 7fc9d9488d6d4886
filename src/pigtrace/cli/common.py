"""Shared CLI plumbing: the --db and --format options, printing rows as a table, JSON or CSV, and
turning PigtraceError into a one-line message on stderr with a non-zero exit."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import duckdb
import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as RichProgress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pigtrace.errors import PigtraceError
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import connect, db_path


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


DbOption = typer.Option(None, "--db", envvar="PIGTRACE_DB", help="Warehouse file (default ./pigtrace.duckdb).")
FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, json or csv.")

ForceOption = typer.Option(False, "--force", help="Write even where the output already exists (a folder that "
                           "is not empty, a file), replacing files of the same name.")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """A hint on stderr (stdout stays clean for scripts)."""
    err_console.print(f"[yellow]note:[/] {escape(message)}", highlight=False, soft_wrap=True)


INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _os_message(e: OSError) -> str:
    where = e.filename if e.filename is not None else "file"
    why = e.strerror or _first_line(e)
    if isinstance(e, FileExistsError):
        return f"{where}: a file is in the way where a folder is needed ({why}); give another path or remove it"
    if isinstance(e, NotADirectoryError):
        return f"{where}: part of this path is a file, not a folder ({why})"
    if isinstance(e, IsADirectoryError):
        return f"{where}: is a folder where a file is needed ({why})"
    if isinstance(e, PermissionError):
        return f"{where}: permission denied (cannot write or read here)"
    if isinstance(e, FileNotFoundError):
        return f"{where}: no such file or folder, or its parent folder cannot be created ({why})"
    return f"{where}: {why}"


def _duckdb_message(e: duckdb.Error, db: str | None) -> str:
    line = _first_line(e)
    where = db_path(db)
    if "Corrupt database file" in line or "checksum" in line.lower():
        return (f"{where}: the warehouse file is damaged ({line}); restore it from a copy or build it again "
                "(`pigtrace ingest ...`)")
    if isinstance(e, duckdb.IOException):
        return f"{where}: cannot use the warehouse: {line}"
    return f"{where}: {line}"


def friendly(fn: Callable) -> Callable:
    """Decorator for commands: errors become one actionable line on stderr with a non-zero exit.

    PigtraceError: its message (exit 1). OSError (an output path that is a file, unwritable, missing):
    the path and the reason (exit 1). DuckDB errors (a damaged, truncated, locked or read-only warehouse):
    the warehouse file and DuckDB's first line (exit 1). Ctrl-C: 'interrupted' (exit 130); whatever the
    command was writing is rolled back by its transaction. PIGTRACE_DEBUG=1 shows the traceback instead."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        interrupted: list[bool] = []

        def on_sigint(signum, frame):  # DuckDB turns the KeyboardInterrupt into its own error; remember it
            interrupted.append(True)
            raise KeyboardInterrupt

        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
        db = kwargs.get("db")
        db = str(db) if db is not None else None
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted()
        except PigtraceError as e:
            if interrupted:
                _interrupted()
            _debug()
            fail(str(e))
        except OSError as e:
            if interrupted:
                _interrupted()
            _debug()
            fail(_os_message(e))
        except (duckdb.Error, RuntimeError) as e:
            if interrupted or "interrupt" in str(e).lower():
                _interrupted()
            if not isinstance(e, duckdb.Error):
                raise
            _debug()
            fail(_duckdb_message(e, db))
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous)

    return wrapper


def refuse_existing(path: Path, force: bool, folder: bool) -> None:
    """Stop with one line before writing over someone's work: ``path`` as an output ``folder`` that holds
    anything, or as an output file that is not empty; ``force`` lets the command write anyway. (Something
    of the other kind in the way is reported when the command tries to write.)"""
    if force:
        return
    if folder and path.is_dir() and any(path.iterdir()):
        fail(f"{path}: the folder is not empty; give an empty or new folder, or --force to write into it "
             "(files of the same name are replaced)")
    if not folder and path.is_file() and path.stat().st_size > 0:
        fail(f"{path}: the file exists; give another path, or --force to replace it")


@contextmanager
def working(message: str) -> Iterator[Progress]:
    """While a long command runs: one line on stderr with a spinner, the time elapsed, ``message`` and the
    step the command is at (keep them short: the line is cut at the terminal's width), only when stderr is
    a terminal; it disappears when done. Yields the progress callback to hand to the library function (one
    that shows nothing when stderr is piped or redirected)."""
    if not err_console.is_terminal:
        yield quiet
        return
    line = RichProgress(SpinnerColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
                        console=err_console, transient=True)
    with line:
        task = line.add_task(f"{escape(message)} (Ctrl-C stops)")

        def step(text: str) -> None:
            line.update(task, description=f"{escape(message)}: {escape(text)} (Ctrl-C stops)")

        yield step


def ignore_ctrl_c() -> None:
    """From here on Ctrl-C does not stop the command (what it wrote is committed; it only reports now).
    ``friendly`` puts the previous handler back when the command ends."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupted() -> None:
    fail("interrupted (Ctrl-C); what the command was writing was rolled back (an `ingest rpc` run keeps the "
         "chunks it finished and resumes when run again)", INTERRUPTED)


def _debug() -> None:
    if os.environ.get("PIGTRACE_DEBUG"):
        raise


def open_db(db: str | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return connect(db_path(db), read_only=read_only)


def open_existing_db(db: str | None) -> duckdb.DuckDBPyConnection:
    """The warehouse, for writing, of a command that works on what is there and never starts one (analyze):
    a missing file is an error, as for the reading commands, and none is created."""
    target = db_path(db)
    if target != ":memory:" and not Path(target).exists():
        raise PigtraceError(f"{target}: no warehouse here yet (run `pigtrace ingest ...` or `pigtrace demo` first)")
    return connect(target)


@contextmanager
def writing(db: str | None) -> Iterator[Callable[[], duckdb.DuckDBPyConnection]]:
    """Yields an opener for the warehouse a writing command (ingest) uses. When the command fails or is
    interrupted and the warehouse file did not exist before it and holds nothing, the file is removed: a
    failed first ingest leaves no empty warehouse behind."""
    target = db_path(db)
    existed = target == ":memory:" or Path(target).exists()
    opened: list[duckdb.DuckDBPyConnection] = []

    def opener() -> duckdb.DuckDBPyConnection:
        con = connect(target)
        opened.append(con)
        return con

    try:
        yield opener
    except BaseException:
        if not existed and Path(target).exists():
            empty = True
            for con in opened:
                try:
                    empty = empty and _holds_nothing(con)
                except duckdb.Error:
                    empty = False
                con.close()
            if empty:
                for path in (Path(target), Path(f"{target}.wal")):
                    path.unlink(missing_ok=True)
        raise


def _holds_nothing(con: duckdb.DuckDBPyConnection) -> bool:
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND table_name <> 'meta'").fetchall()]
    return all(con.execute(f'SELECT count(*) = 0 FROM (SELECT 1 FROM "{t}" LIMIT 1)').fetchone()[0] for t in tables)


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


def emit(rows: Iterable[dict], fmt: Format, columns: list[str] | None = None, title: str | None = None,
         empty: str | None = None) -> None:
    """Print ``rows`` in ``fmt``. JSON gets every key; table and CSV get ``columns`` (default: all keys).

    Tables are for reading at a terminal: addresses and hashes shortened (0x1234…abcd; full in JSON and
    CSV), USD amounts with thousands separators and 2 decimals, scores rounded, times to the minute, one
    line per row with long text cut to fit the terminal. ``empty``: what to say (on stderr) when there are
    no rows; a table prints nothing then."""
    rows = list(rows)
    if fmt == Format.json:
        sys.stdout.write(json.dumps(to_jsonable(rows), indent=2) + "\n")
        return
    cols = columns or (list(rows[0].keys()) if rows else [])
    if fmt == Format.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else _cell(c, r.get(c)) for c in cols])
        return
    if not rows:
        if empty:
            note(empty)
        return
    console.print(table(rows, cols, title))


_ID = re.compile(r"\b0x[0-9a-fA-F]{64}\b|\b0x[0-9a-fA-F]{40}\b|\bT[1-9A-HJ-NP-Za-km-z]{33}\b"
                 r"|\b(?:bc1|ltc1)[0-9a-z]{30,60}\b")
_PLAIN_INT_COLUMNS = ("block", "id", "number", "hop", "year", "nonce", "index")


def short_id(text: str) -> str:
    """Addresses and hashes inside ``text`` shortened to their first and last characters."""
    def cut(m: re.Match) -> str:
        v = m.group(0)
        head = 10 if len(v) == 66 else 6
        return f"{v[:head]}…{v[-4:]}"
    return _ID.sub(cut, text)


def table_cell(column: str, v: Any) -> str:
    """One value as a table shows it (see ``emit``)."""
    if v is None:
        return ""
    if isinstance(v, Enum):
        v = v.value
    if isinstance(v, bool):
        return "yes" if v else "no"
    money = "usd" in column.lower()
    if isinstance(v, (int, float, Decimal)) and money:
        return f"{float(v):,.2f}"
    if isinstance(v, int):
        plain = any(k in column.lower() for k in _PLAIN_INT_COLUMNS)
        return str(v) if plain else f"{v:,}"
    if isinstance(v, (float, Decimal)):
        v = float(v)
        if v != v:  # NaN
            return ""
        if abs(v) >= 1000:
            return f"{v:,.2f}"
        text = f"{v:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        items = [table_cell(column, x) for x in v]
        if len(items) > 1 and all(_ID.fullmatch(str(x)) for x in v):
            return f"{items[0]} +{len(items) - 1}"
        return ", ".join(items)
    if isinstance(v, dict):
        return short_id(json.dumps(to_jsonable(v)))
    return short_id(" ".join(str(v).split()))


def table(rows: list[dict], cols: list[str], title: str | None = None) -> Table:
    """A table that fits the terminal: each column as wide as its longest cell, and the columns of long
    text (wider than 24 characters) share what is left, cut with '…'; one line per row."""
    cells = [[table_cell(c, r.get(c)) for c in cols] for r in rows]
    natural = [max([cell_len(c)] + [cell_len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    flex = [i for i, n in enumerate(natural) if n > 24]
    n = len(cols)
    pad = [2 - (i == 0) - (i == n - 1) for i in range(n)]  # cell padding, none at the table's outer edges
    room = console.width - (n - 1) - sum(pad) - sum(w for i, w in enumerate(natural) if i not in flex) - 2
    widths: dict[int, int] = {}
    if flex:  # each long column gets up to 12 characters first, then a share of what is left
        alloc = {i: min(natural[i], 12) for i in flex}
        rest = room - sum(alloc.values())
        if rest < 0:
            alloc = {i: max(4, room // len(flex)) for i in flex}
        else:
            want = sum(natural[i] - alloc[i] for i in flex) or 1
            for i in flex:
                alloc[i] += min(natural[i] - alloc[i], rest * (natural[i] - alloc[i]) // want)
        for i in flex:  # Rich's max_width counts the padding
            widths[i] = alloc[i] + pad[i]
    t = Table(title=title, show_lines=False, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
              pad_edge=False)
    for i, c in enumerate(cols):
        numeric = all(isinstance(r.get(c), (int, float, Decimal)) and not isinstance(r.get(c), bool)
                      for r in rows if r.get(c) is not None) and any(r.get(c) is not None for r in rows)
        t.add_column(c, no_wrap=True, overflow="ellipsis", max_width=widths.get(i),
                     justify="right" if numeric else "left")
    for row in cells:
        t.add_row(*[escape(x) for x in row])
    return t


def _cell(column: str, v: Any) -> Any:
    """One value as CSV carries it: lists and objects as JSON, numbers in full as plain decimals."""
    v = _plain(v)
    if isinstance(v, (list, dict)):
        return json.dumps(to_jsonable(v))
    if isinstance(v, float):
        return csv_float(column, v)
    return v


_FRACTION_COLUMNS = ("score", "precision", "recall", "f1", "share")


def csv_float(column: str, v: float) -> str:
    """A float for CSV, never with an exponent: money (a column naming usd) with every digit the float
    holds, scores and other fractions to 4 decimals, anything else to 6."""
    if v != v:  # NaN
        return ""
    name = column.lower()
    if "usd" not in name:
        v = round(v, 4 if any(k in name for k in _FRACTION_COLUMNS) else 6)
    return format(Decimal(repr(v)), "f")  # repr: the shortest text that reads back as the same float
