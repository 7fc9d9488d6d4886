"""`pigtrace ingest etl DIR`: an ethereum-etl export folder (CSV or JSON-lines) into the warehouse.

Files are found by their ethereum-etl names anywhere under DIR (``blocks*.csv``, ``transactions*.json``,
``logs*``, ``token_transfers*``, ``tokens*``, ``receipts*``, partitioned folders included). DuckDB reads
them in streaming fashion, every value as text so no number is rounded, and fills the EVM staging tables
(``evm_logs``). Transfers and approvals come from the raw logs when logs are present, else from
``token_transfers``. Each file's columns are checked first and every address is validated, so a bad
file is reported by name (and line) before anything is written.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pigtrace.errors import IngestError
from pigtrace.ingest.evm_logs import WANTED_TOPICS, create_raw_tables, load_staged
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

ADDRESS_COLUMNS = {
    "blocks": ["miner"],
    "transactions": ["from_address", "to_address"],
    "logs": ["address"],
    "token_transfers": ["token_address", "from_address", "to_address"],
    "tokens": ["address"],
    "receipts": [],
}


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


def _reader(path: Path, columns: list[str] | None = None) -> str:
    """A DuckDB table function reading ``path`` with every column as text (nothing rounded, no sniffing)."""
    p = str(path).replace("'", "''")
    if path.suffix == ".csv":
        spec = ", ".join(f"'{c}': 'VARCHAR'" for c in (columns or _csv_header(path)))
        return (
            f"read_csv('{p}', header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, columns={{{spec}}})"
        )
    if columns is None:
        return f"read_json('{p}', format='newline_delimited')"
    spec = ", ".join(f"'{c}': '{'VARCHAR[]' if c == 'topics' else 'VARCHAR'}'" for c in columns)
    return f"read_json('{p}', format='newline_delimited', columns={{{spec}}})"


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, newline="") as f:
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError) as e:
        raise IngestError(f"{path}: cannot be read as CSV: {e}") from None
    if not header:
        raise IngestError(f"{path}: empty file (expected a CSV header line)")
    return [h.strip() for h in header]


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    if path.suffix == ".csv":
        return _csv_header(path)
    try:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM read_json('{str(path)}', format='newline_delimited', sample_size=1000)"
        ).fetchall()
    except duckdb.Error as e:
        raise IngestError(f"{path}: cannot be read as ethereum-etl JSON-lines: {_first_line(e)}") from None
    return [r[0] for r in rows]


def _first_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Possible fixes", "*", "Original Line", "Parser options", "file=", "delimiter", "quote", "escape", "header", "sample_size", "ignore_errors", "all_varchar"))]
    return " ".join(keep[:2])


def _check_columns(con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> set[str]:
    cols = _columns(con, path)
    missing = REQUIRED[kind] - set(cols)
    if missing:
        raise IngestError(
            f"{path}: missing column(s) {', '.join(sorted(missing))} for an ethereum-etl {kind} file "
            f"(found: {', '.join(cols)})"
        )
    return set(cols)


def _source(path: Path, cols: set[str]) -> str:
    if path.suffix == ".csv":
        return _reader(path)  # CSV columns are positional: the header's order
    return _reader(path, sorted(c for c in cols if c != "type"))


STAGED_ADDRESSES = {
    "blocks": ("raw_blocks", ["miner"]),
    "transactions": ("raw_transactions", ["from_address", "to_address"]),
    "logs": ("raw_logs", ["address"]),
    "token_transfers": ("pt_etl_token_transfers", ["token", "from_address", "to_address"]),
    "tokens": ("pt_etl_tokens", ["address"]),
}
_NOT_HEX = "{c} IS NOT NULL AND {c} <> '' AND NOT regexp_full_match({c}, '0x[0-9a-f]{{40}}')"


def _check_addresses(con: duckdb.DuckDBPyConnection, kind: str, paths: list[Path]) -> None:
    """One pass over the staged addresses of ``kind``; only on failure are the files read again to name
    the file and line."""
    table, staged_cols = STAGED_ADDRESSES[kind]
    bad = " OR ".join(f"({_NOT_HEX.format(c=c)})" for c in staged_cols)
    if not con.execute(f"SELECT count(*) FROM {table} WHERE {bad}").fetchall()[0][0]:
        return
    for path in paths:
        cols = _check_columns(con, kind, path)
        for c in (c for c in ADDRESS_COLUMNS[kind] if c in cols):
            hit = con.execute(
                f"""SELECT rn, v FROM (SELECT row_number() OVER () AS rn, {c} AS v FROM {_source(path, cols)})
                    WHERE {_NOT_HEX.format(c='lower(v)')} LIMIT 1"""
            ).fetchone()
            if hit:
                line = hit[0] + 1 if path.suffix == ".csv" else hit[0]
                raise IngestError(f"{path}: line {line}: column {c}: {hit[1]!r} is not a hex EVM address (0x + 40 hex digits)")
    raise IngestError(f"{kind}: a staged address is not a hex EVM address")


def _time_expr(col: str) -> str:
    return f"CASE WHEN {col} IS NULL OR {col} = '' THEN NULL ELSE make_timestamp(CAST({col} AS BIGINT) * 1000000) END"  # UTC, whatever TZ says


def _col(cols: set[str], name: str, cast: str | None = None, lower: bool = False) -> str:
    if name not in cols:
        return "NULL"
    expr = f"nullif({name}, '')"
    if lower:
        expr = f"lower({expr})"
    return f"TRY_CAST({expr} AS {cast})" if cast else expr


def _int(col: str, sql_type: str, path: Path) -> str:
    """Cast that fails the whole ingest, naming the file and column, on a non-numeric value."""
    msg = f"{path}: column {col}: value is not an integer".replace("'", "''")
    return f"coalesce(TRY_CAST({col} AS {sql_type}), CASE WHEN {col} IS NULL THEN NULL ELSE error('{msg}: ' || {col}) END)"


def _stage_kind(con: duckdb.DuckDBPyConnection, kind: str, paths: list[Path]) -> None:
    for path in paths:
        try:
            _stage_one(con, kind, path)
        except duckdb.Error as e:
            raise IngestError(f"{path}: {_first_line(e)}") from None
    if paths and kind in STAGED_ADDRESSES:
        _check_addresses(con, kind, paths)


def _stage_one(con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> None:
    c = _check_columns(con, kind, path)
    t = _source(path, c)
    if kind == "blocks":
        con.execute(
            f"""INSERT INTO raw_blocks SELECT {_col(c, 'number', 'BIGINT')}, {_col(c, 'hash', lower=True)},
                {_col(c, 'parent_hash', lower=True)}, {_time_expr('timestamp')}, {_col(c, 'miner', lower=True)},
                {_col(c, 'transaction_count', 'INTEGER')}, {_col(c, 'base_fee_per_gas')} FROM {t}"""
        )
    elif kind == "transactions":
        status = _col(c, "receipt_status", "SMALLINT")
        con.execute(
            f"""INSERT INTO raw_transactions SELECT {_col(c, 'hash', lower=True)}, {_col(c, 'block_number', 'BIGINT')},
                {_col(c, 'transaction_index', 'INTEGER')},
                {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'},
                {_col(c, 'from_address', lower=True)}, {_col(c, 'to_address', lower=True)}, {_col(c, 'value')},
                {_col(c, 'gas', 'BIGINT')}, {_col(c, 'gas_price')}, {status}, {"lower(substr(nullif(input, ''), 1, 10))" if 'input' in c else 'NULL'},
                {_col(c, 'nonce', 'BIGINT')} FROM {t}"""
        )
    elif kind == "receipts":
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_receipts AS SELECT lower(transaction_hash) AS hash,
                TRY_CAST(nullif(status, '') AS SMALLINT) AS status FROM {t}"""
        )
        con.execute(
            "UPDATE raw_transactions SET status = r.status FROM pt_receipts r WHERE raw_transactions.hash = r.hash"
        )
    elif kind == "logs":
        wanted = ", ".join(f"'{w}'" for w in WANTED_TOPICS)
        if path.suffix == ".csv":  # topics is one comma-separated string: filter on its first 66 characters
            source = f"(SELECT *, string_split(topics, ',') AS tp FROM {t} WHERE lower(substr(topics, 1, 66)) IN ({wanted}))"
        else:
            source = f"(SELECT *, topics AS tp FROM {t} WHERE lower(topics[1]) IN ({wanted}))"
        con.execute(
            f"""INSERT INTO raw_logs SELECT lower(transaction_hash), {_int('log_index', 'INTEGER', path)},
                {_int('block_number', 'BIGINT', path)},
                {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'}, lower(address), lower(data),
                lower(tp[1]), lower(tp[2]), lower(tp[3]), lower(tp[4])
                FROM {source}"""
        )
    elif kind == "token_transfers":
        con.execute(
            f"""INSERT INTO pt_etl_token_transfers SELECT lower(transaction_hash), CAST(log_index AS INTEGER),
                CAST(block_number AS BIGINT), {_time_expr('block_timestamp') if 'block_timestamp' in c else 'NULL'},
                lower(token_address), lower(from_address), lower(to_address), value FROM {t}"""
        )
    elif kind == "tokens":
        con.execute(
            f"""INSERT INTO pt_etl_tokens SELECT lower(address), {_col(c, 'symbol')}, {_col(c, 'name')},
                {_col(c, 'decimals', 'INTEGER')}, {_col(c, 'total_supply')} FROM {t}"""
        )


def _token_transfers_as_logs(con: duckdb.DuckDBPyConnection) -> None:
    """Without logs, ERC-20 transfers come from token_transfers: re-express them as Transfer logs."""
    from pigtrace.ingest.evm_logs import TRANSFER

    bad = con.execute(
        "SELECT tx_hash, value FROM pt_etl_token_transfers WHERE TRY_CAST(value AS HUGEINT) IS NULL "
        "AND NOT regexp_full_match(value, '[0-9]+') LIMIT 1"
    ).fetchone()
    if bad:
        raise IngestError(f"token_transfers: value {bad[1]!r} in transaction {bad[0]} is not an integer")
    rows = con.execute("SELECT DISTINCT value FROM pt_etl_token_transfers").fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE pt_value_hex (value VARCHAR, data VARCHAR)")
    pairs = [(v, "0x" + format(int(v), "064x")) for (v,) in rows if v is not None]
    if pairs:  # an export of blocks and transactions only has no token transfers at all
        con.executemany("INSERT INTO pt_value_hex VALUES (?, ?)", pairs)
    con.execute(
        f"""INSERT INTO raw_logs SELECT t.tx_hash, t.log_index, t.block_number, t.time, t.token, h.data, '{TRANSFER}',
            '0x000000000000000000000000' || substr(t.from_address, 3), '0x000000000000000000000000' || substr(t.to_address, 3), NULL
            FROM pt_etl_token_transfers t JOIN pt_value_hex h USING (value)"""
    )


def ingest_etl(con: duckdb.DuckDBPyConnection, folder: str | Path, chain: str = "ethereum") -> dict[str, int]:
    """Ingest one ethereum-etl export folder; all or nothing. Returns rows added per table."""
    root = Path(folder)
    files = find_files(root)
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
            _stage_kind(con, kind, files[kind])
        if files["logs"]:  # transfers come from the raw logs; token_transfers is only checked
            for path in files["token_transfers"]:
                _check_columns(con, "token_transfers", path)
        else:
            _stage_kind(con, "token_transfers", files["token_transfers"])
        if not files["logs"]:
            _token_transfers_as_logs(con)
        added = load_staged(con, chain)
        added["tokens"] = merge_staged(
            con,
            "tokens",
            f"""(SELECT '{chain}' AS chain, address, symbol, name, decimals, total_supply FROM pt_etl_tokens)""",
        )
        log_ingest(con, "etl", str(root), chain, started, added)
    return added
