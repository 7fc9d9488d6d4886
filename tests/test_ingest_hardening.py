"""Issue 13, injection and validation: `ingest etl` (and its neighbours) never put file paths, header names,
JSON keys or --chain into SQL text; --chain must name a known chain of the data's family; every value read
is checked, and bad input gives one line naming file, line and column, with the warehouse unchanged.
Real files, the real CLI, no mocks; the property tests corrupt real ethereum-etl fixtures."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pigtrace.errors import IngestError, PigtraceError
from pigtrace.ingest.etl import COLUMNS, ingest_etl
from pigtrace.store.warehouse import connect
from tests.cli_run import copy_warehouse, pigtrace
from tests.conftest import FIXTURES

BLOCKS_2023 = FIXTURES / "etl_mainnet_17173049"  # JSON-lines
BLOCK_2015_CSV = FIXTURES / "etl_mainnet_483920_csv"
TABLES = ("blocks", "transactions", "transfers", "approvals", "swaps", "tokens", "ingest_log")


def _snapshot(con) -> dict:
    return {t: con.execute(f"SELECT * EXCLUDE ({'started, finished' if t == 'ingest_log' else 'chain'}) FROM {t} ORDER BY ALL").fetchall()
            for t in TABLES} | {"chains": con.execute("SELECT DISTINCT chain FROM transfers ORDER BY 1").fetchall()}


def _db_snapshot(db: str) -> dict:
    con = connect(db)
    try:
        return _snapshot(con)
    finally:
        con.close()


def _one_line_error(proc, *needles: str) -> str:
    assert proc.returncode != 0, proc.stdout
    err = " ".join(proc.stderr.split())  # Rich may wrap a long line
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 3, proc.stderr
    for n in needles:
        assert n in err, err
    return err


@pytest.fixture(scope="module")
def fixture_ingested(tmp_path_factory) -> Path:
    """A warehouse the CLI ingested the 2023 blocks into, built once and only copied."""
    db = tmp_path_factory.mktemp("ingested") / "w.duckdb"
    pigtrace("ingest", "etl", str(BLOCKS_2023), "--db", str(db), check=True)
    return db


@pytest.fixture
def db_with_fixture(tmp_path, fixture_ingested) -> str:
    """This test's own copy of that warehouse."""
    return str(copy_warehouse(fixture_ingested, tmp_path))


def _tokens_csv(folder: Path) -> None:
    with open(folder / "tokens.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["address", "symbol", "name", "decimals", "total_supply", "block_number"])
        w.writerow(["0xf4eced2f682ce333f96f2d8966c613ded8fc95dd", "TKN", "A token", "0", "1000000000", "483920"])


def _no_logs_copy(folder: Path) -> None:
    """The 2015 block with token_transfers.csv (ethereum-etl's own expected output) in place of logs.csv."""
    shutil.copytree(BLOCK_2015_CSV, folder)
    (folder / "logs.csv").unlink()
    shutil.move(folder / "expected_token_transfers.csv.txt", folder / "token_transfers.csv")
    _tokens_csv(folder)


# --- injection -------------------------------------------------------------------------------------


def test_csv_header_cannot_run_sql(tmp_path, db_with_fixture):
    target = tmp_path / "pwned.csv"
    folder = tmp_path / "evil"
    shutil.copytree(BLOCK_2015_CSV, folder)
    evil = f"x': 'VARCHAR'}}); COPY (SELECT 42 AS x) TO '{target}'; --"
    (folder / "receipts.csv").write_text(f'transaction_hash,status,"{evil}"\n')  # header only: no row to trip on
    before = _db_snapshot(db_with_fixture)
    proc = pigtrace("ingest", "etl", str(folder), "--db", db_with_fixture)
    _one_line_error(proc, "receipts.csv", "line 1", "not an ethereum-etl column name")
    assert not target.exists()
    assert _db_snapshot(db_with_fixture) == before


def test_json_key_cannot_run_sql_and_is_ignored(tmp_path, db_with_fixture):
    target = tmp_path / "pwned.csv"
    folder = tmp_path / "evil"
    shutil.copytree(BLOCK_2015_CSV, folder)
    evil = f"x': 'VARCHAR'}}); COPY (SELECT 42 AS x) TO '{target}'; --"
    token = {"address": "0xf4eced2f682ce333f96f2d8966c613ded8fc95dd", "symbol": "TKN", "name": "A token",
             "decimals": 0, "total_supply": "1000", evil: 1}
    (folder / "tokens.json").write_text(json.dumps(token) + "\n")
    proc = pigtrace("ingest", "etl", str(folder), "--db", db_with_fixture, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert not target.exists()
    assert {r["table"]: r["rows_added"] for r in json.loads(proc.stdout)}["tokens"] == 1


@pytest.mark.parametrize("fixture", [BLOCK_2015_CSV, BLOCKS_2023], ids=["csv", "json"])
def test_folder_name_with_quote_ingests(tmp_path, fixture):
    folder = tmp_path / "o'brien etl"
    shutil.copytree(fixture, folder)
    plain = str(tmp_path / "plain.duckdb")
    quoted = str(tmp_path / "o'brien.duckdb")
    pigtrace("ingest", "etl", str(fixture), "--db", plain, check=True)
    pigtrace("ingest", "etl", str(folder), "--db", quoted, check=True)
    a, b = _db_snapshot(plain), _db_snapshot(quoted)
    assert a["transfers"] and {k: v for k, v in a.items() if k != "ingest_log"} == {k: v for k, v in b.items() if k != "ingest_log"}


def test_parquet_round_trip_through_a_quoted_folder(tmp_path, db_with_fixture):
    out = tmp_path / "o'brien parquet"
    pigtrace("export", "parquet", str(out), "--db", db_with_fixture, check=True)
    db2 = str(tmp_path / "w2.duckdb")
    pigtrace("ingest", "parquet", str(out), "--db", db2, check=True)
    a, b = _db_snapshot(db_with_fixture), _db_snapshot(db2)
    assert all(a[t] == b[t] for t in TABLES if t != "ingest_log")


# --- --chain ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chain, needles",
    [("etherum", ["--chain 'etherum'", "unknown chain", "did you mean ethereum"]),
     ("tron", ["--chain tron", "ethereum-etl export holds EVM data"]),
     ("x'; DROP TABLE transfers; --", ["unknown chain"])],
    ids=["typo", "tron-on-evm-data", "injection"],
)
def test_chain_must_be_known_and_evm(chain, needles, db_with_fixture):
    before = _db_snapshot(db_with_fixture)
    proc = pigtrace("ingest", "etl", str(BLOCK_2015_CSV), "--db", db_with_fixture, "--chain", chain)
    _one_line_error(proc, *needles)
    assert _db_snapshot(db_with_fixture) == before


def test_chain_declared_in_environment_is_accepted(tmp_path):
    db = str(tmp_path / "w.duckdb")
    env = {**os.environ, "PIGTRACE_EVM_CHAINS": "mychain:424242:MYC"}
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pigtrace", "ingest", "etl", str(BLOCK_2015_CSV), "--db", db,
                           "--chain", "mychain"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert _db_snapshot(db)["chains"] == [("mychain",)]


def test_rpc_chain_checked_before_any_request(tmp_path, warehouse):
    from pigtrace.ingest.rpc import ingest_rpc

    with pytest.raises(PigtraceError, match="--chain tron: a tron chain"):
        ingest_rpc(warehouse, "http://127.0.0.1:9", 1, 2, chain="tron")  # nothing listens on port 9
    with pytest.raises(PigtraceError, match="unknown chain"):
        ingest_rpc(warehouse, "http://127.0.0.1:9", 1, 2, chain="ethereum'")


# --- PIGTRACE_INGEST_MEMORY -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["lots", "1GB'; SET threads = 1; --", "200%", "0%", "100000", "1 PB", "10KB", ""])
def test_bad_ingest_memory_is_refused(warehouse, limit):
    from pigtrace.store.warehouse import ingest_memory

    before = warehouse.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    with pytest.raises(PigtraceError, match="PIGTRACE_INGEST_MEMORY .*expected a memory size such as 512MB"):
        with ingest_memory(warehouse, limit):
            pass
    assert warehouse.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone() == before


@pytest.mark.parametrize("limit, shown", [("512MB", "488.2 MiB"), ("2 GB", "1.8 GiB"), ("1.5gib", "1.5 GiB"),
                                          ("50%", None)])
def test_ingest_memory_sizes(warehouse, limit, shown):
    from pigtrace.store.warehouse import ingest_memory

    setting = "SELECT current_setting('memory_limit')"
    before = warehouse.execute(setting).fetchone()[0]
    with ingest_memory(warehouse, limit):
        inside = warehouse.execute(setting).fetchone()[0]
    assert inside == shown if shown else inside != before


def test_bad_ingest_memory_from_the_environment_gives_one_line(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    env = {**os.environ, "PIGTRACE_INGEST_MEMORY": "1GB'; COPY (SELECT 1) TO 'x.csv'; --"}
    proc = subprocess.run([sys.executable, "-m", "pigtrace", "ingest", "etl", str(BLOCK_2015_CSV), "--db", str(db)],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    _one_line_error(proc, "PIGTRACE_INGEST_MEMORY")
    assert not db.exists() and not (tmp_path / "x.csv").exists()


# --- topics and data -------------------------------------------------------------------------------


def _edit_logs(folder: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.reader(open(folder / "logs.csv", newline="")))
    rows[row][rows[0].index(column)] = value
    with open(folder / "logs.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)


@pytest.mark.parametrize(
    "column, value, needles",
    [("topics", "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef,0x00000000000000000000000zz1b63142628311395ceafeea5667e7c9026c862ca,0x000000000000000000000000ac4df82fe37ea2187bc8c011a23d743b4f39019a",
      ["logs.csv", "line 2", "column topics", "32-byte hex topics"]),
     ("topics", "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef,0x1234,0x000000000000000000000000ac4df82fe37ea2187bc8c011a23d743b4f39019a",
      ["logs.csv", "line 2", "column topics"]),
     ("data", "0xnothex", ["logs.csv", "line 2", "column data", "'0xnothex' is not hex data"]),
     ("data", "0x123", ["logs.csv", "line 2", "column data"])],
    ids=["non-hex-topic", "short-topic", "non-hex-data", "odd-data"],
)
def test_bad_topics_and_data_rejected(tmp_path, db_with_fixture, column, value, needles):
    folder = tmp_path / "broken"
    shutil.copytree(BLOCK_2015_CSV, folder)
    _edit_logs(folder, 1, column, value)
    before = _db_snapshot(db_with_fixture)
    _one_line_error(pigtrace("ingest", "etl", str(folder), "--db", db_with_fixture), *needles)
    assert _db_snapshot(db_with_fixture) == before


# --- field counts ----------------------------------------------------------------------------------


def _edit_line(path: Path, line: int, edit) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = edit(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "name, edit, needles",
    [("transactions.csv", lambda x: x + ",", ["line 3", "16 fields", "header has 15"]),
     ("receipts.csv", lambda x: x + ",", ["line 2", "15 fields", "header has 14"]),  # rows ending in empty fields
     ("logs.csv", lambda x: x + ',"0x01"', ["line 2", "9 fields", "header has 8"]),
     ("blocks.csv", lambda x: x.rsplit(",", 1)[0], ["line 2", "20 fields", "header has 21"])],
    ids=["trailing-empty-field", "trailing-empty-after-empties", "extra-last-field", "missing-last-field"],
)
def test_row_with_another_field_count_than_the_header_is_rejected(tmp_path, warehouse, name, edit, needles):
    """ethereum-etl writes one field per header column; a row with more or fewer (even one more, empty,
    trailing field) is a damaged or foreign file, named with its line."""
    folder = tmp_path / "export"
    shutil.copytree(BLOCK_2015_CSV, folder)
    _edit_line(folder / name, int(needles[0].split()[1]), edit)
    with pytest.raises(IngestError) as caught:
        ingest_etl(warehouse, folder)
    message = str(caught.value)
    for n in [name, *needles]:
        assert n in message, message
    assert warehouse.execute("SELECT count(*) FROM transactions").fetchone()[0] == 0


# --- folders without token transfers ---------------------------------------------------------------


def _only(folder: Path, source: Path, names: list[str]) -> Path:
    folder.mkdir()
    for n in names:
        shutil.copy(source / n, folder / n)
    return folder


@pytest.mark.parametrize(
    "source, names, extra",
    [(BLOCK_2015_CSV, ["blocks.csv", "transactions.csv"], None),
     (BLOCKS_2023, ["blocks.json", "transactions.json"], None),
     (BLOCK_2015_CSV, ["blocks.csv", "transactions.csv", "receipts.csv"],
      ("token_transfers.csv", "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n")),
     (BLOCKS_2023, ["blocks.json", "transactions.json"], ("token_transfers.json", "")),
     (BLOCKS_2023, ["blocks.json", "transactions.json"], ("logs.json", ""))],
    ids=["csv-blocks-transactions", "json-blocks-transactions", "csv-header-only-token-transfers",
         "json-empty-token-transfers", "json-empty-logs"],
)
def test_folder_without_token_transfers(tmp_path, source, names, extra):
    folder = _only(tmp_path / "export", source, names)
    if extra:
        (folder / extra[0]).write_text(extra[1])
    db = str(tmp_path / "w.duckdb")
    proc = pigtrace("ingest", "etl", str(folder), "--db", db, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    added = {r["table"]: r["rows_added"] for r in json.loads(proc.stdout)}
    assert added["transactions"] > 0 and added["transfers"] > 0  # native value transfers
    again = pigtrace("ingest", "etl", str(folder), "--db", db, "--format", "json")
    assert {r["rows_added"] for r in json.loads(again.stdout)} == {0}


def test_token_transfers_beside_logs_is_noted(warehouse):
    added = ingest_etl(warehouse, BLOCKS_2023)
    assert any("token_transfers" in n and "not read" in n for n in added.notes)
    assert not ingest_etl(warehouse, BLOCK_2015_CSV).notes  # no token_transfers file: nothing to say


# --- property tests: malformed rows of every table -------------------------------------------------


def _hex_positions(value: str) -> list[int]:
    return [i for i, ch in enumerate(value) if ch in "0123456789abcdefABCDEF" and i >= 2]


@st.composite
def bad_value(draw, form: str, original: str, required: bool) -> str:
    """A value that is not of ``form``, made from ``original``."""
    if form in ("hash", "address", "data"):
        choices = ["append_g", "drop_0x" if len(original) > 2 else "append_g"]
        if original.startswith("0x") and _hex_positions(original):
            choices.append("replace")
        if form != "data" or original:
            choices.append("append_digit")
        how = draw(st.sampled_from(choices))
        if how == "append_g":
            return original + draw(st.sampled_from(["g", "Z", " ", "-"]))
        if how == "drop_0x":
            return original[2:]
        if how == "append_digit":
            return (original or "0x") + "0"
        i = draw(st.sampled_from(_hex_positions(original)))
        return original[:i] + draw(st.sampled_from(["g", "z", "Q", "!", " "])) + original[i + 1:]
    if form == "topics":
        topics = original.split(",") if original else []
        how = draw(st.sampled_from(["bad_char", "short", "too_many"] if topics else ["too_many"]))
        if how == "too_many":
            return ",".join(topics + ["0x" + "0" * 64] * 5)
        k = draw(st.integers(0, len(topics) - 1))
        if how == "short":
            topics[k] = topics[k][:-1]
        else:
            i = draw(st.sampled_from(_hex_positions(topics[k])))
            topics[k] = topics[k][:i] + draw(st.sampled_from(["g", "x", "G"])) + topics[k][i + 1:]
        return ",".join(topics)
    # integers
    options = [original + "a", "-" + (original or "1"), (original or "1") + ".5", "0x" + (original or "1"),
               "one", (original or "1") + "e3"]
    if required:
        options.append("")
    return draw(st.sampled_from(options))


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


@st.composite
def corruption(draw, base: Path, kinds: list[str]):
    """(file name, edit, expected text in the error) for one malformed row of one table."""
    kind = draw(st.sampled_from(kinds))
    name = f"{kind}.csv"
    rows = _read(base / name)
    r = draw(st.integers(1, len(rows) - 1))
    how = draw(st.sampled_from(["value", "value", "value", "extra_column", "missing_column", "truncated"]))
    row = list(rows[r])
    if how == "value":
        header = rows[0]
        checked = [c for c in header if c in COLUMNS[kind] and COLUMNS[kind][c][0] != "text"]
        col = draw(st.sampled_from(checked))
        form, required = COLUMNS[kind][col]
        row[header.index(col)] = draw(bad_value(form, row[header.index(col)], required))
        needles = [name, f"line {r + 1}", f"column {col}"]
    elif how == "extra_column":  # anywhere, an empty trailing field too
        row.insert(draw(st.integers(0, len(row))), draw(st.sampled_from(["", "0", "0xab"])))
        needles = [name, f"line {r + 1}"]
    elif how == "missing_column":
        del row[draw(st.integers(0, len(row) - 1))]
        needles = [name, f"line {r + 1}"]
    else:  # cut the line before its last delimiter
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(row)
        text = buf.getvalue()
        cut = draw(st.integers(1, text.rindex(",")))
        row = next(csv.reader([text[:cut]]), [""]) if text[:cut].count('"') % 2 == 0 else None
        if row is None:  # cut inside a quoted field: write the raw text
            out = rows[:r] + [[text[:cut] + "\x00RAW"]] + rows[r + 1:]
            return name, out, [name, "line"]
        if len(row) >= len(rows[0]):
            # cut just after the delimiter before a quoted last field (logs' topics): the line still has
            # every field, its last one empty, which is a valid row (a log with no topics); drop that field
            row = row[:len(rows[0]) - 1]
        needles = [name, "line"]
    return name, rows[:r] + [row] + rows[r + 1:], needles


def _apply(folder: Path, name: str, rows: list[list[str]]) -> None:
    raw = [i for i, row in enumerate(rows) if len(row) == 1 and row[0].endswith("\x00RAW")]
    if not raw:
        _write(folder / name, rows)
        return
    i = raw[0]
    before, after = io.StringIO(), io.StringIO()
    csv.writer(before, lineterminator="\n").writerows(rows[:i])
    csv.writer(after, lineterminator="\n").writerows(rows[i + 1:])
    (folder / name).write_text(before.getvalue() + rows[i][0].removesuffix("\x00RAW") + "\n" + after.getvalue())


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """A warehouse holding the 2023 blocks (JSON), and the two 2015 CSV folders the examples corrupt."""
    root = tmp_path_factory.mktemp("held")
    con = connect(root / "w.duckdb")
    ingest_etl(con, BLOCKS_2023)
    with_logs = root / "with_logs"
    shutil.copytree(BLOCK_2015_CSV, with_logs)
    (with_logs / "expected_token_transfers.csv.txt").unlink()
    _tokens_csv(with_logs)
    no_logs = root / "no_logs"
    _no_logs_copy(no_logs)
    yield con, with_logs, no_logs
    con.close()


def test_the_clean_folders_ingest(tmp_path):
    for i, edit in enumerate([None, _no_logs_copy]):
        folder = tmp_path / f"f{i}"
        if edit:
            edit(folder)
        else:
            shutil.copytree(BLOCK_2015_CSV, folder)
            _tokens_csv(folder)
        con = connect(tmp_path / f"w{i}.duckdb")
        added = ingest_etl(con, folder)
        assert added["transfers"] > 0 and added["tokens"] == 1
        con.close()


def _check_rejected(con, base: Path, name: str, rows, needles: list[str]) -> None:
    before = _snapshot(con)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        shutil.copytree(base, folder)
        _apply(folder, name, rows)
        with pytest.raises(IngestError) as caught:
            ingest_etl(con, folder)
    message = str(caught.value)
    assert "\n" not in message
    for n in needles:
        assert n in message, message
    assert _snapshot(con) == before


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data())
def test_malformed_rows_with_logs(held, data):
    con, with_logs, _ = held
    name, rows, needles = data.draw(corruption(with_logs, ["blocks", "transactions", "logs", "receipts", "tokens"]))
    _check_rejected(con, with_logs, name, rows, needles)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_rows_without_logs(held, data):
    con, _, no_logs = held
    name, rows, needles = data.draw(corruption(no_logs, ["token_transfers", "tokens", "transactions"]))
    _check_rejected(con, no_logs, name, rows, needles)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_json_logs(tmp_path_factory, data):
    """JSON-lines: a bad topic, data word, address or number in one log of the 2023 blocks."""
    lines = (BLOCKS_2023 / "logs.json").read_text().splitlines()
    n = data.draw(st.integers(0, len(lines) - 1))
    log = json.loads(lines[n])
    field = data.draw(st.sampled_from(["topics", "data", "address", "transaction_hash", "log_index", "block_number"]))
    if field == "topics":
        k = data.draw(st.integers(0, max(len(log["topics"]) - 1, 0)))
        bad = data.draw(st.sampled_from(["0x1234", "0x" + "g" * 64, "nothex"]))
        log["topics"] = (log["topics"][:k] + [bad] + log["topics"][k + 1:]) if log["topics"] else [bad]
    elif field in ("log_index", "block_number"):
        log[field] = data.draw(st.sampled_from(["12a", "-1", "1.5"]))
    else:
        log[field] = data.draw(bad_value("data" if field == "data" else "hash" if field == "transaction_hash" else "address",
                                         str(log[field]), True))
    lines[n] = json.dumps(log)
    held_db = tmp_path_factory.getbasetemp() / "json_held.duckdb"
    con = connect(held_db)
    try:
        if not con.execute("SELECT count(*) FROM transfers").fetchone()[0]:
            ingest_etl(con, BLOCK_2015_CSV)
        before = _snapshot(con)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "export"
            shutil.copytree(BLOCKS_2023, folder)
            (folder / "logs.json").write_text("\n".join(lines) + "\n")
            with pytest.raises(IngestError) as caught:
                ingest_etl(con, folder)
        message = str(caught.value)
        assert "logs.json" in message and f"line {n + 1}" in message and f"column {field}" in message, message
        assert _snapshot(con) == before
    finally:
        con.close()


@pytest.mark.parametrize(
    "kind, column, value",
    [("blocks", "timestamp", "yesterday"), ("transactions", "value", "1e18"), ("receipts", "status", "ok"),
     ("logs", "log_index", "-3")],
)
def test_cli_sample_of_malformed_values(tmp_path, db_with_fixture, kind, column, value):
    folder = tmp_path / "broken"
    shutil.copytree(BLOCK_2015_CSV, folder)
    rows = _read(folder / f"{kind}.csv")
    rows[1][rows[0].index(column)] = value
    _write(folder / f"{kind}.csv", rows)
    before = _db_snapshot(db_with_fixture)
    _one_line_error(pigtrace("ingest", "etl", str(folder), "--db", db_with_fixture),
                    f"{kind}.csv", "line 2", f"column {column}", repr(value))
    assert _db_snapshot(db_with_fixture) == before
