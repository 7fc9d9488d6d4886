"""Reading the labels file of `pigtrace evaluate --labels FILE.csv` into the temp table
``pt_eval_labels(chain, address, label)``, one row per (chain, address).

The file is CSV with a header naming ``address`` and ``label`` (any order, any case; other columns are
ignored) and optionally ``chain``. ``label`` is a finding role (store/schema.py ``ROLES``) or ``normal``.
Without a chain (column absent or cell empty) the chain follows the address form: ``0x`` + 40 hex is
``ethereum``, ``T...`` base58check or ``41`` + 40 hex is ``tron``. Addresses become the warehouse's
canonical text (EVM lower case, Tron base58check; a mixed-case EVM address must carry a valid EIP-55
checksum). The same address twice with the same label is one row; with different labels, an error.

DuckDB reads and checks the whole file set-wise; only when a row is bad is the file read again to name
its line. Every error is one line naming the file, the line and the field.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from pigtrace.chains.addresses import normalize
from pigtrace.chains.registry import chains, get_chain
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.store.schema import ROLES

LABELS = ("normal",) + ROLES
TABLE = "pt_eval_labels"
_RAW = "pt_eval_labels_raw"
_EVM = "^(0x|0X)?[0-9a-fA-F]{40}$"
_EVM_GUESS = "^(0x|0X)[0-9a-fA-F]{40}$"
_TRON = "^(T[1-9A-HJ-NP-Za-km-z]{33}|(0x|0X)?41[0-9a-fA-F]{40})$"


def load_labels(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Create ``pt_eval_labels`` from the file; returns the number of labelled addresses."""
    p = Path(path)
    cols = _header(p)
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(cols)))
    pick = {name: f"c{cols.index(name)}" for name in ("address", "label", "chain") if name in cols}
    src = str(p).replace("'", "''")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_RAW} AS
                SELECT row_number() OVER () AS rn, nullif(trim({pick['address']}), '') AS address,
                       lower(trim({pick['label']})) AS label,
                       {f"nullif(lower(trim({pick['chain']})), '')" if 'chain' in pick else 'NULL::VARCHAR'} AS chain
                FROM read_csv('{src}', header=true, auto_detect=false, delim=',', quote='"', escape='"',
                              strict_mode=true, null_padding=false, hive_partitioning=false, columns={{{spec}}})"""
        )
    except duckdb.Error as e:
        raise PigtraceError(f"{p}: not a readable CSV labels file: {_first_line(e)}") from None
    if not con.execute(f"SELECT count(*) FROM {_RAW}").fetchone()[0]:
        raise PigtraceError(f"{p}: no labelled addresses after the header line")
    _check(con, p)
    _resolve(con, p)
    con.execute(f"DROP TABLE {_RAW}")
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def _header(p: Path) -> list[str]:
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), None)
    except OSError as e:
        raise PigtraceError(f"{p}: cannot read the labels file: {e.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise PigtraceError(f"{p}: line 1: not a CSV header: {e}") from None
    cols = [h.strip().lower() for h in header or []]
    for need in ("address", "label"):
        if need not in cols:
            raise PigtraceError(f"{p}: line 1: missing column '{need}' (a labels file has the columns "
                                f"address,label and optionally chain; found: {','.join(cols) or 'nothing'})")
    for name in ("address", "label", "chain"):
        if cols.count(name) > 1:
            raise PigtraceError(f"{p}: line 1: column '{name}' appears twice")
    return cols


def _check(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    """Empty addresses, unknown labels and unknown chains, first offending row first."""
    labels = ", ".join(f"'{v}'" for v in LABELS)
    bad = con.execute(
        f"""SELECT rn, CASE WHEN address IS NULL THEN 'address' ELSE 'label' END, address, label FROM {_RAW}
            WHERE address IS NULL OR label IS NULL OR label NOT IN ({labels}) ORDER BY rn LIMIT 1"""
    ).fetchone()
    if bad:
        rn, field, _addr, label = bad
        why = "empty" if field == "address" else f"{label or ''!r} is not one of {', '.join(LABELS)}"
        raise PigtraceError(f"{p}: line {_line(p, rn)}: field {field}: {why}")
    known = {c.name for c in chains()}
    for (chain,) in con.execute(f"SELECT DISTINCT chain FROM {_RAW} WHERE chain IS NOT NULL").fetchall():
        if chain not in known:
            rn = con.execute(f"SELECT min(rn) FROM {_RAW} WHERE chain = ?", [chain]).fetchone()[0]
            try:
                get_chain(chain)
            except PigtraceError as e:
                raise PigtraceError(f"{p}: line {_line(p, rn)}: field chain: {e}") from None


def _resolve(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    """Chain from the address form where none is given, canonical address text, one label per address."""
    tron = [c.name for c in chains() if c.family == "tron"]
    is_tron = f"chain IN ({', '.join(repr(t) for t in tron)})" if tron else "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_RAW} AS
            SELECT rn, label, address,
                   coalesce(chain, CASE WHEN regexp_full_match(address, '{_EVM_GUESS[1:-1]}') THEN 'ethereum'
                                        WHEN regexp_full_match(address, '{_TRON[1:-1]}') THEN 'tron' END) AS chain
            FROM {_RAW}"""
    )
    bad = con.execute(
        f"""SELECT rn, address, chain FROM {_RAW}
            WHERE chain IS NULL
               OR ({is_tron} AND NOT regexp_full_match(address, '{_TRON[1:-1]}'))
               OR (NOT {is_tron} AND NOT regexp_full_match(address, '{_EVM[1:-1]}'))
            ORDER BY rn LIMIT 1"""
    ).fetchone()
    if bad:
        rn, address, chain = bad
        what = (f"not an address of chain {chain}" if chain else
                "not an EVM (0x + 40 hex digits) or Tron (T... base58check) address; give a chain column for others")
        raise PigtraceError(f"{p}: line {_line(p, rn)}: field address: {address!r} is {what}")
    # Canonical text: plain EVM forms in SQL; checksummed (mixed-case) EVM and Tron forms, which need a
    # hash to check, through chains.addresses for each distinct value.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_RAW} AS
            SELECT rn, label, chain, address AS given,
                   CASE WHEN NOT {is_tron} AND (lower(right(address, 40)) = right(address, 40) OR upper(right(address, 40)) = right(address, 40))
                        THEN '0x' || lower(right(address, 40)) END AS address
            FROM {_RAW}"""
    )
    todo = con.execute(f"SELECT DISTINCT chain, given FROM {_RAW} WHERE address IS NULL").fetchall()
    if todo:
        canon = []
        for chain, given in todo:
            try:
                canon.append((chain, given, normalize(given, chain)))
            except InvalidAddress as e:
                rn = con.execute(f"SELECT min(rn) FROM {_RAW} WHERE chain = ? AND given = ?", [chain, given]).fetchone()[0]
                raise PigtraceError(f"{p}: line {_line(p, rn)}: field address: {e}") from None
        con.execute("CREATE OR REPLACE TEMP TABLE pt_eval_canon (chain VARCHAR, given VARCHAR, address VARCHAR)")
        con.executemany("INSERT INTO pt_eval_canon VALUES (?, ?, ?)", canon)
        con.execute(f"""UPDATE {_RAW} SET address = c.address FROM pt_eval_canon c
                        WHERE {_RAW}.address IS NULL AND c.chain = {_RAW}.chain AND c.given = {_RAW}.given""")
        con.execute("DROP TABLE pt_eval_canon")
    clash = con.execute(
        f"""SELECT a.rn, b.rn, a.address, a.label, b.label FROM {_RAW} a JOIN {_RAW} b
              ON a.chain = b.chain AND a.address = b.address AND a.label <> b.label AND b.rn < a.rn
            ORDER BY a.rn, b.rn LIMIT 1"""
    ).fetchone()
    if clash:
        rn, first, address, label, other = clash
        raise PigtraceError(f"{p}: line {_line(p, rn)}: field label: {address} is labelled {label!r} here but "
                            f"{other!r} on line {_line(p, first)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT DISTINCT chain, address, label FROM {_RAW}")


def _line(p: Path, rn: int) -> int:
    """The file line of data record ``rn`` (1-based; blank lines are not records, as DuckDB reads it)."""
    with open(p, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        next(reader, None)
        n = 0
        for row in reader:
            if row:
                n += 1
                if n == rn:
                    return reader.line_num
    return rn + 1


def _first_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Possible fixes", "*", "file =", "delimiter", "quote",
                                                       "escape", "new_line", "header", "skip_rows", "comment",
                                                       "strict_mode", "date_format", "timestamp_format",
                                                       "null_padding", "sample_size", "ignore_errors", "all_varchar"))]
    return " ".join(keep[:3])
