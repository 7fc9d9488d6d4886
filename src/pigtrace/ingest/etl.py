"""`pigtrace ingest etl DIR`: an ethereum-etl export folder (CSV or JSON-lines) into the warehouse.

Files are found by their ethereum-etl names anywhere under DIR (``blocks*.csv``, ``transactions*.json``,
``logs*``, ``token_transfers*``, ``tokens*``, ``receipts*``, partitioned folders included); empty (0-byte)
files are skipped. DuckDB reads them in streaming fashion, every value as text so no number is rounded,
and fills the EVM staging tables (``evm_logs``).

Transfers and approvals come from the raw logs when logs are present, else from ``token_transfers``.
When both are present, ``token_transfers`` is not read (only its header is checked): the logs hold every
transfer it lists, and approvals and swaps besides. The result's ``notes`` say so.

Validation, before anything is written (the whole ingest is one transaction):

- ``--chain`` must name a known EVM chain (``chains.registry``; ``PIGTRACE_EVM_CHAINS`` adds others).
- Each file's columns are checked. Only the ethereum-etl column names in ``COLUMNS`` are ever used as
  SQL identifiers; other CSV headers are read under positional names and ignored, other JSON keys are not
  read, and a CSV header that is not a plain name is rejected. File paths are passed to DuckDB as
  parameters, never written into SQL text.
- Every CSV row must have exactly one field per header column. DuckDB's reader quietly drops an extra
  empty trailing field, so each file is read with one spare column (``pt_extra``) and padding: a row with
  a field in the spare column, or none in the header's last column, is reported with its line.
- Every value pigtrace reads is checked against its form (hashes, addresses, log data, topics, integers);
  the first bad value is reported with its file, line and column.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pigtrace.chains.prices import revalue
from pigtrace.chains.registry import require_chain
from pigtrace.errors import IngestError
from pigtrace.ingest.evm_logs import WANTED_TOPICS, create_raw_tables, load_staged
from pigtrace.progress import Progress, quiet
from pigtrace.store.warehouse import atomic, ingest_memory, log_ingest, merge_staged

KINDS = ["blocks", "transactions", "logs", "token_transfers", "tokens", "receipts"]

REQUIRED = {
    "blocks": {"number", "hash", "timestamp"},
    "transactions": {"hash", "block_number", "from_address", "to_address", "value"},
    "logs": {"log_index", "transaction_hash", "block_number", "address", "data", "topics"},
    "token_transfers": {"token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"},
    "tokens": {"address", "symbol", "name", "decimals"},
    "receipts": {"transaction_hash", "status"},
}

# form -> (SQL predicate over the text value ``v``, lower-cased for hex forms; how an error names the form)
FORMS = {
    "hash": ("regexp_full_match(lower(v), '0x[0-9a-f]{64}')", "a 32-byte hex hash (0x + 64 hex digits)"),
    "address": ("regexp_full_match(lower(v), '0x[0-9a-f]{40}')", "a hex EVM address (0x + 40 hex digits)"),
    "data": ("regexp_full_match(lower(v), '0x([0-9a-f][0-9a-f])*')", "hex data (0x + an even number of hex digits)"),
    "topics": (
        "regexp_full_match(lower(v), '0x[0-9a-f]{64}(,0x[0-9a-f]{64}){0,3}')",
        "up to 4 comma-separated 32-byte hex topics",
    ),
    "topic_list": (
        "len(v) <= 4 AND coalesce(list_bool_and(list_transform(v, lambda t: "
        "coalesce(regexp_full_match(lower(t), '0x[0-9a-f]{64}'), false))), true)",
        "a list of up to 4 32-byte hex topics",
    ),
    "small": ("regexp_full_match(v, '[0-9]{1,4}')", "a small non-negative integer"),
    "int32": ("regexp_full_match(v, '[0-9]{1,9}')", "a non-negative integer below 10**9"),
    "int64": ("regexp_full_match(v, '[0-9]{1,18}')", "a non-negative integer below 10**18"),
    "seconds": ("regexp_full_match(v, '[0-9]{1,11}')", "a time in seconds since 1970"),
    "uint": ("regexp_full_match(v, '[0-9]{1,78}')", "a non-negative decimal integer"),
    "text": ("true", "text"),
}

# The only column names ever written into SQL: per kind, the ethereum-etl columns pigtrace reads, with the
# form of their values and whether a value is required (a key) or may be empty.
COLUMNS: dict[str, dict[str, tuple[str, bool]]] = {
    "blocks": {
        "number": ("int64", True), "hash": ("hash", False), "parent_hash": ("hash", False),
        "timestamp": ("seconds", False), "miner": ("address", False), "transaction_count": ("int32", False),
        "base_fee_per_gas": ("uint", False),
    },
    "transactions": {
        "hash": ("hash", True), "block_number": ("int64", True), "transaction_index": ("int32", False),
        "block_timestamp": ("seconds", False), "from_address": ("address", False), "to_address": ("address", False),
        "value": ("uint", False), "gas": ("int64", False), "gas_price": ("uint", False),
        "receipt_status": ("small", False), "input": ("data", False), "nonce": ("int64", False),
    },
    "logs": {
        "log_index": ("int32", True), "transaction_hash": ("hash", True), "block_number": ("int64", True),
        "block_timestamp": ("seconds", False), "address": ("address", True), "data": ("data", False),
        "topics": ("topics", False),
    },
    "token_transfers": {
        "token_address": ("address", True), "from_address": ("address", False), "to_address": ("address", False),
        "value": ("uint", True), "transaction_hash": ("hash", True), "log_index": ("int32", True),
        "block_number": ("int64", True), "block_timestamp": ("seconds", False),
    },
    "tokens": {
        "address": ("address", True), "symbol": ("text", False), "name": ("text", False),
        "decimals": ("int32", False), "total_supply": ("uint", False),
    },
    "receipts": {"transaction_hash": ("hash", True), "status": ("small", False)},
}

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BAD = "pigtrace-bad-value:"  # marker of the error() raised inside DuckDB for the first bad value
_FIELD_COUNT = ":field_count"  # what pt_bad holds for a row with more or fewer fields than the header
# DuckDB's null string for CSVs: an empty field reads as '' and only a padded (absent) field as NULL
_ABSENT = "\x01"


class IngestResult(dict):
    """Rows added per table (a plain dict to callers), plus ``notes``: lines a person should read."""

    def __init__(self, rows: dict[str, int], notes: list[str] | None = None):
        super().__init__(rows)
        self.notes = list(notes or [])


def find_files(root: Path) -> dict[str, list[Path]]:
    """ethereum-etl files under ``root`` by kind, CSV and JSON-lines."""
    if not root.is_dir():
        raise IngestError(f"{root}: not a folder (expected an ethereum-etl export folder)")
    found: dict[str, list[Path]] = {k: [] for k in KINDS}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".csv", ".json", ".jsonl"):
            continue
        stem = path.name.rsplit(".", 1)[0]
        for kind in KINDS:
            if stem == kind or stem.startswith(kind + "_"):  # "blocks.csv", "blocks_00000_00099.csv"
                found[kind].append(path)
                break
    if not any(found[k] for k in ("transactions", "logs", "token_transfers")):
        raise IngestError(
            f"{root}: no ethereum-etl transactions, logs or token_transfers files found "
            "(expected names like transactions.csv, logs.json, token_transfers.csv)"
        )
    return found


def _is_empty(path: Path) -> bool:
    try:
        size = path.stat().st_size
        return size == 0 or (size < 64 and not path.read_bytes().strip())
    except OSError as e:
        raise IngestError(f"{path}: cannot be read: {e.strerror}") from None


# --- reading one file: its columns under safe names ------------------------------------------------


class Source:
    """One ethereum-etl file: which known columns it has, and the DuckDB table function reading it.

    The SQL text holds only names from ``COLUMNS`` (or positional ``pt_cN``) and a ``?`` for the path."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: str, path: Path):
        self.kind, self.path = kind, path
        self.csv = path.suffix == ".csv"
        known = COLUMNS[kind]
        if self.csv:
            header = _csv_header(path)
            names = []
            for i, h in enumerate(header):
                if h in known:
                    if h in names:
                        raise IngestError(f"{path}: line 1: column {h} appears twice in the header")
                    names.append(h)
                elif _PLAIN_NAME.fullmatch(h):
                    names.append(f"pt_c{i}")  # a column pigtrace does not read
                else:
                    raise IngestError(
                        f"{path}: line 1: column {i + 1}: header {h[:60]!r} is not an ethereum-etl column name"
                    )
            present = [n for n in names if n in known]
            self.names = names
            spec = ", ".join(f"'{n}': 'VARCHAR'" for n in names + ["pt_extra"])
            # DuckDB pads in parallel only without quoted line breaks; only token names may hold one
            parallel = "false" if kind == "tokens" else "true"
            self.sql = (
                "read_csv(?, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
                f"strict_mode=true, null_padding=true, nullstr='{_ABSENT}', parallel={parallel}, hive_partitioning=false, "
                f"columns={{{spec}}})"
            )
            found = header
        else:
            found = _json_keys(con, path)
            present = [n for n in known if n in found]
            spec = ", ".join(f"'{n}': '{'VARCHAR[]' if n == 'topics' else 'VARCHAR'}'" for n in present)
            self.sql = f"read_json(?, format='newline_delimited', hive_partitioning=false, columns={{{spec}}})"
        missing = REQUIRED[kind] - set(present)
        if missing:
            raise IngestError(
                f"{path}: missing column(s) {', '.join(sorted(missing))} for an ethereum-etl {kind} file "
                f"(found: {', '.join(str(f)[:40] for f in found)})"
            )
        self.cols = set(present)

    def form(self, col: str) -> str:
        form, _ = COLUMNS[self.kind][col]
        return "topic_list" if form == "topics" and not self.csv else form

    def bad_expr(self) -> str:
        """SQL naming the first column whose value is malformed (or _FIELD_COUNT), NULL for a good row."""
        arms = []
        if self.csv:  # a shifted row would show as a bad value: its field count is checked first
            arms.append(f"WHEN pt_extra IS NOT NULL OR {self.names[-1]} IS NULL THEN '{_FIELD_COUNT}'")
        for col in COLUMNS[self.kind]:
            if col not in self.cols or self.form(col) == "text":
                continue
            predicate = _predicate(self.form(col), col)
            _, required = COLUMNS[self.kind][col]
            empty = f"{col} IS NULL" if self.form(col) == "topic_list" else f"({col} IS NULL OR {col} = '')"
            ok = f"coalesce({predicate}, false)" if required else f"({empty} OR coalesce({predicate}, false))"
            arms.append(f"WHEN NOT {ok} THEN '{col}'")
        return f"CASE {' '.join(arms)} END" if arms else "NULL::VARCHAR"

    def checked(self) -> str:
        """The file's rows with ``pt_bad`` (the first malformed column, or NULL) added."""
        return f"(SELECT *, {self.bad_expr()} AS pt_bad FROM {self.sql})"

    def locate(self) -> IngestError:
        """Read the file again to name the line, column and value of the first malformed value."""
        cols = sorted(self.cols)
        hit = duckdb.connect().execute(  # the ingest's transaction has failed: read on a connection of its own
            f"""SELECT rn, pt_bad, {', '.join(f'{c}::VARCHAR' for c in cols)} FROM (
                    SELECT row_number() OVER () AS rn, * FROM {self.checked()})
                WHERE pt_bad IS NOT NULL ORDER BY rn LIMIT 1""",
            [str(self.path)],
        ).fetchone()
        if hit is None:
            return IngestError(f"{self.path}: a value is malformed (line not found)")
        line = hit[0] + 1 if self.csv else hit[0]
        col = hit[1]
        if col == _FIELD_COUNT:
            return self._field_count_error(line, hit[0])
        value = hit[2 + cols.index(col)]
        shown = repr(value if value is None or len(value) <= 80 else value[:77] + "...")
        _, required = COLUMNS[self.kind][col]
        if value in (None, "") and required:
            return IngestError(f"{self.path}: line {line}: column {col}: empty, expected {FORMS[self.form(col)][1]}")
        return IngestError(f"{self.path}: line {line}: column {col}: {shown} is not {FORMS[self.form(col)][1]}")


    def _field_count_error(self, line: int, row: int) -> IngestError:
        fields = duckdb.connect().execute(
            f"""SELECT len(list_filter([{', '.join(self.names)}, pt_extra], lambda x: x IS NOT NULL)) FROM (
                    SELECT row_number() OVER () AS rn, * FROM {self.sql}) WHERE rn = ?""",
            [str(self.path), row],
        ).fetchone()[0]
        return IngestError(
            f"{self.path}: line {line}: {fields} fields where the header has {len(self.names)} "
            "(ethereum-etl writes one per header column; a trailing comma counts as an empty field)"
        )


def _predicate(form: str, col: str) -> str:
    return re.sub(r"\bv\b", col, FORMS[form][0])


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, newline="") as f:
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise IngestError(f"{path}: line 1: cannot be read as CSV: {e}") from None
    if not header:
        raise IngestError(f"{path}: line 1: empty (expected a CSV header line)")
    return [h.strip() for h in header]


def _json_keys(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        rows = con.execute(
            "DESCRIBE SELECT * FROM read_json(?, format='newline_delimited', sample_size=1000, hive_partitioning=false)",
            [str(path)],
        ).fetchall()
    except duckdb.Error as e:
        raise _duckdb_error(path, e) from None
    return [r[0] for r in rows]


def _duckdb_error(path: Path, e: Exception, header_fields: int | None = None) -> IngestError:
    """DuckDB's reader errors as one line naming the file and line."""
    text = str(e)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    if m and header_fields is not None and "Expected Number of Columns" in text:
        # the spare column takes one extra field; DuckDB stops counting at the first beyond it
        return IngestError(f"{path}: line {m.group(1)}: more fields than the header's {header_fields} "
                           "(ethereum-etl writes one per header column)")
    if m:
        detail = [ln.strip() for ln in text.splitlines()[1:] if ln.strip()]
        reason = next((ln for ln in detail if not ln.startswith(("Original Line", "Possible fixes", "*", "file ="))), "")
        return IngestError(f"{path}: line {m.group(1)}: not a well-formed CSV row ({reason or 'unreadable'})")
    m = re.search(r"in line (\d+): ([^\n]*)", text)
    if m and "JSON" in text:
        return IngestError(f"{path}: line {m.group(1)}: malformed JSON ({m.group(2).strip().rstrip('.')})")
    return IngestError(f"{path}: cannot be read as an ethereum-etl file: {_first_line(e)}")


def _first_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Possible fixes", "*", "Original Line", "Parser options", "file=", "file =", "delimiter", "quote", "escape", "header", "sample_size", "ignore_errors", "all_varchar"))]
    return " ".join(keep[:2])[:300]


# --- staging ---------------------------------------------------------------------------------------


def _time_expr(col: str) -> str:
    return f"CASE WHEN pt_bad IS NOT NULL OR {col} IS NULL OR {col} = '' THEN NULL ELSE make_timestamp(TRY_CAST({col} AS BIGINT) * 1000000) END"  # UTC, whatever TZ says


def _col(cols: set[str], name: str, cast: str | None = None, lower: bool = False) -> str:
    if name not in cols:
        return "NULL"
    expr = f"nullif({name}, '')"
    if lower:
        expr = f"lower({expr})"
    return f"TRY_CAST({expr} AS {cast})" if cast else expr  # values are checked; TRY_ keeps a bad row to pt_bad


def _guarded(expr: str) -> str:
    """``expr``, or an error naming the malformed column when the row has one (the file is then read again)."""
    return f"CASE WHEN pt_bad IS NOT NULL THEN error('{_BAD}' || pt_bad) ELSE {expr} END"


def _stage_kind(con: duckdb.DuckDBPyConnection, kind: str, paths: list[Path], progress: Progress) -> None:
    for path in paths:
        progress(f"reading {path.name}")
        src = Source(con, kind, path)
        try:
            _stage_one(con, src)
        except duckdb.Error as e:
            if _BAD in str(e):
                raise src.locate() from None
            raise _duckdb_error(path, e, len(src.names) if src.csv else None) from None


def _stage_one(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    c, kind, rows = src.cols, src.kind, src.checked()
    param = [str(src.path)]
    if kind == "blocks":
        con.execute(
            f"""INSERT INTO raw_blocks SELECT {_guarded(_col(c, 'number', 'BIGINT'))}, {_col(c, 'hash', lower=True)},
                {_col(c, 'parent_hash', lower=True)}, {_time_expr('timestamp')}, {_col(c, 'miner', lower=True)},
                {_col(c, 'transaction_count', 'INTEGER')}, {_col(c, 'base_fee_per_gas')} FROM {rows}""",
            param,
        )
    elif kind == "transactions":
        con.execute(
            f"""INSERT INTO raw_transactions SELECT {_guarded(_col(c, 'hash', lower=True))}, {_col(c, 'block_number', 'BIGINT')},
                {_col(c, 'transaction_index', 'INTEGER')},
                {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'},
                {_col(c, 'from_address', lower=True)}, {_col(c, 'to_address', lower=True)}, {_col(c, 'value')},
                {_col(c, 'gas', 'BIGINT')}, {_col(c, 'gas_price')}, {_col(c, 'receipt_status', 'SMALLINT')},
                {"lower(substr(nullif(input, ''), 1, 10))" if 'input' in c else 'NULL'},
                {_col(c, 'nonce', 'BIGINT')} FROM {rows}""",
            param,
        )
    elif kind == "receipts":
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_receipts AS SELECT {_guarded('lower(transaction_hash)')} AS hash,
                {_col(c, 'status', 'SMALLINT')} AS status FROM {rows}""",
            param,
        )
        con.execute(
            "UPDATE raw_transactions SET status = r.status FROM pt_receipts r WHERE raw_transactions.hash = r.hash"
        )
    elif kind == "logs":
        wanted = ", ".join(f"'{w}'" for w in WANTED_TOPICS)
        if src.csv:  # topics is one comma-separated string: filter on its first 66 characters
            source = f"(SELECT *, string_split(topics, ',') AS tp FROM {rows} WHERE lower(substr(topics, 1, 66)) IN ({wanted}) OR pt_bad IS NOT NULL)"
        else:
            source = f"(SELECT *, topics AS tp FROM {rows} WHERE lower(topics[1]) IN ({wanted}) OR pt_bad IS NOT NULL)"
        con.execute(
            f"""INSERT INTO raw_logs SELECT {_guarded('lower(transaction_hash)')}, TRY_CAST(log_index AS INTEGER),
                TRY_CAST(block_number AS BIGINT),
                {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'}, lower(address), lower(nullif(data, '')),
                lower(tp[1]), lower(tp[2]), lower(tp[3]), lower(tp[4])
                FROM {source}""",
            param,
        )
    elif kind == "token_transfers":
        con.execute(
            f"""INSERT INTO pt_etl_token_transfers SELECT {_guarded('lower(transaction_hash)')}, TRY_CAST(log_index AS INTEGER),
                TRY_CAST(block_number AS BIGINT), {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'},
                lower(token_address), {_col(c, 'from_address', lower=True)}, {_col(c, 'to_address', lower=True)},
                value FROM {rows}""",
            param,
        )
    elif kind == "tokens":
        con.execute(
            f"""INSERT INTO pt_etl_tokens SELECT {_guarded('lower(address)')}, {_col(c, 'symbol')}, {_col(c, 'name')},
                {_col(c, 'decimals', 'INTEGER')}, {_col(c, 'total_supply')} FROM {rows}""",
            param,
        )


def _token_transfers_as_logs(con: duckdb.DuckDBPyConnection) -> None:
    """Without logs, ERC-20 transfers come from token_transfers: re-express them as Transfer logs."""
    from pigtrace.ingest.evm_logs import TRANSFER

    rows = con.execute("SELECT DISTINCT value FROM pt_etl_token_transfers").fetchall()
    pairs = []
    for (v,) in rows:
        if v is None:
            continue
        if int(v) >= 2**256:
            tx = con.execute("SELECT tx_hash FROM pt_etl_token_transfers WHERE value = ? LIMIT 1", [v]).fetchone()[0]
            raise IngestError(f"token_transfers: transaction {tx}: column value: {v} does not fit in 256 bits")
        pairs.append((v, "0x" + format(int(v), "064x")))
    con.execute("CREATE OR REPLACE TEMP TABLE pt_value_hex (value VARCHAR, data VARCHAR)")
    if pairs:  # an export of blocks and transactions only has no token transfers at all
        con.executemany("INSERT INTO pt_value_hex VALUES (?, ?)", pairs)
    con.execute(
        f"""INSERT INTO raw_logs SELECT t.tx_hash, t.log_index, t.block_number, t.time, t.token, h.data, '{TRANSFER}',
            '0x000000000000000000000000' || substr(t.from_address, 3), '0x000000000000000000000000' || substr(t.to_address, 3), NULL
            FROM pt_etl_token_transfers t JOIN pt_value_hex h USING (value)"""
    )


def ingest_etl(con: duckdb.DuckDBPyConnection, folder: str | Path, chain: str = "ethereum",
               progress: Progress = quiet) -> IngestResult:
    """Ingest one ethereum-etl export folder; all or nothing. Returns rows added per table, with notes.
    ``progress`` hears each step: reading each file, decoding, merging each table, committing."""
    require_chain(chain, "evm", "an ethereum-etl export holds EVM data (Tron data: `pigtrace ingest trongrid`)")
    root = Path(folder)
    files = find_files(root)
    notes: list[str] = []
    for kind in KINDS:
        empty = [p for p in files[kind] if _is_empty(p)]
        if empty:
            notes.append(f"{len(empty)} empty {kind} file(s) skipped ({empty[0]}{', ...' if len(empty) > 1 else ''})")
            files[kind] = [p for p in files[kind] if p not in empty]
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    with ingest_memory(con), atomic(con):
        create_raw_tables(con)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE pt_etl_token_transfers (tx_hash VARCHAR, log_index INTEGER, block_number BIGINT, "
            "time TIMESTAMP, token VARCHAR, from_address VARCHAR, to_address VARCHAR, value VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE pt_etl_tokens (address VARCHAR, symbol VARCHAR, name VARCHAR, decimals INTEGER, total_supply VARCHAR)"
        )
        for kind in ["blocks", "transactions", "receipts", "logs", "tokens"]:
            _stage_kind(con, kind, files[kind], progress)
        if files["logs"]:  # transfers come from the raw logs; token_transfers is only checked
            for path in files["token_transfers"]:
                Source(con, "token_transfers", path)
            if files["token_transfers"]:
                notes.append(
                    f"{len(files['token_transfers'])} token_transfers file(s) not read: transfers are decoded "
                    "from the logs, which hold every token transfer and the approvals and swaps besides"
                )
        else:
            _stage_kind(con, "token_transfers", files["token_transfers"], progress)
            _token_transfers_as_logs(con)
        added = load_staged(con, chain, progress)
        progress("merging tokens")
        added["tokens"] = merge_staged(
            con,
            "tokens",
            "(SELECT c.chain, address, symbol, name, decimals, total_supply FROM pt_etl_tokens CROSS JOIN pt_chain c)",
        )
        revalue(con)  # transfers on days with an imported price take it
        log_ingest(con, "etl", str(root), chain, started, added)
        progress("committing")
    return IngestResult(added, notes)
