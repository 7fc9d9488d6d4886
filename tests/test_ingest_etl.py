"""`ingest etl` against ethereum-etl's own expected output for real mainnet blocks."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from pigtrace.errors import IngestError
from pigtrace.ingest.etl import ingest_etl
from tests.conftest import FIXTURES
from tests.cli_run import pigtrace

BLOCKS_2023 = FIXTURES / "etl_mainnet_17173049"
BLOCK_2015_CSV = FIXTURES / "etl_mainnet_483920_csv"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _snapshot(con):
    return {
        t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("blocks", "transactions", "transfers", "approvals", "swaps", "tokens")
    }


def test_token_transfers_match_ethereum_etl_expected_output(warehouse):
    ingest_etl(warehouse, BLOCKS_2023)
    expected = _jsonl(BLOCKS_2023 / "token_transfers.json")
    assert len(expected) == 291
    got = warehouse.execute(
        """SELECT tx_hash, log_index, token, from_address, to_address,
                  CASE WHEN kind = 'erc721' THEN token_id ELSE coalesce(amount::VARCHAR, amount_text) END
           FROM transfers WHERE kind IN ('erc20', 'erc721')"""
    ).fetchall()
    assert len(got) == 291
    want = {
        (t["transaction_hash"], t["log_index"], t["token_address"], t["from_address"], t["to_address"], str(t["value"]))
        for t in expected
    }
    assert set(got) == want
    kinds = dict(warehouse.execute("SELECT kind, count(*) FROM transfers WHERE kind <> 'native' GROUP BY kind").fetchall())
    assert kinds["erc20"] == 282 and kinds["erc721"] == 9
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE token = ?", [USDT]).fetchone()[0] == 41


def test_approvals_decoded_with_unlimited_flag(warehouse):
    ingest_etl(warehouse, BLOCKS_2023)
    raw = [lg for lg in _jsonl(BLOCKS_2023 / "logs.json") if lg["topics"] and lg["topics"][0] == APPROVAL_TOPIC]
    assert len(raw) == 86
    n, unlimited = warehouse.execute(
        "SELECT count(*), count(*) FILTER (WHERE unlimited) FROM approvals WHERE kind IN ('erc20', 'erc721')"
    ).fetchone()
    assert (n, unlimited) == (86, 21)
    # every ERC-20 approval amount equals the log's data word, exactly
    by_key = {(lg["transaction_hash"], lg["log_index"]): lg for lg in raw}
    for tx, li, amount, text, owner, spender in warehouse.execute(
        "SELECT tx_hash, log_index, amount, amount_text, owner, spender FROM approvals WHERE kind = 'erc20'"
    ).fetchall():
        lg = by_key[(tx, li)]
        assert str(amount if amount is not None else text) == str(int(lg["data"], 16))
        assert owner == "0x" + lg["topics"][1][-40:] and spender == "0x" + lg["topics"][2][-40:]


def test_times_initiators_and_native_values(warehouse):
    ingest_etl(warehouse, BLOCKS_2023)
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE time IS NULL OR initiator IS NULL").fetchone()[0] == 0
    txs = {t["hash"]: t for t in _jsonl(BLOCKS_2023 / "transactions.json")}
    for tx, frm, amount, init in warehouse.execute(
        "SELECT tx_hash, from_address, amount, initiator FROM transfers WHERE kind = 'native'"
    ).fetchall():
        assert int(txs[tx]["value"]) == amount and txs[tx]["from_address"] == frm == init
    n_value_txs = sum(1 for t in txs.values() if int(t["value"]) > 0 and t["receipt_status"] == 1 and t["to_address"])
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE kind = 'native'").fetchone()[0] == n_value_txs
    # a transfer's initiator is tx.from even when a contract moved the tokens
    sample = warehouse.execute("SELECT tx_hash, initiator FROM transfers WHERE kind = 'erc20' LIMIT 20").fetchall()
    assert all(txs[tx]["from_address"] == init for tx, init in sample)


def test_swaps_have_both_legs(warehouse):
    ingest_etl(warehouse, BLOCKS_2023)
    rows = warehouse.execute("SELECT count(*), count(token_in), count(token_out) FROM swaps").fetchone()
    assert rows[0] > 0 and rows[0] == rows[1] == rows[2]
    # the legs are real transfers into and out of the pool in the same transaction
    assert warehouse.execute(
        """SELECT count(*) FROM swaps s WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.tx_hash = s.tx_hash
           AND t.to_address = s.pool AND t.token = s.token_in AND t.amount = s.amount_in)"""
    ).fetchone()[0] == 0


def test_second_ingest_changes_nothing(warehouse):
    first = ingest_etl(warehouse, BLOCKS_2023)
    before = _snapshot(warehouse)
    second = ingest_etl(warehouse, BLOCKS_2023)
    assert first["transfers"] > 0 and set(second.values()) == {0}
    assert _snapshot(warehouse) == before


def test_csv_export_with_receipts(warehouse):
    ingest_etl(warehouse, BLOCK_2015_CSV)
    with open(BLOCK_2015_CSV / "expected_token_transfers.csv.txt") as f:
        expected = list(csv.DictReader(f))
    got = warehouse.execute(
        "SELECT token, from_address, to_address, amount::VARCHAR, tx_hash FROM transfers WHERE kind = 'erc20'"
    ).fetchall()
    assert set(got) == {
        (e["token_address"], e["from_address"], e["to_address"], e["value"], e["transaction_hash"]) for e in expected
    }
    assert warehouse.execute("SELECT min(time)::VARCHAR FROM transfers").fetchone()[0] == "2015-11-03 14:44:40"


def test_token_transfers_used_when_no_logs(warehouse, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("blocks.json", "transactions.json", "token_transfers.json"):
        shutil.copy(BLOCKS_2023 / name, folder / name)
    ingest_etl(warehouse, folder)
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()[0] == 291
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE token = ?", [USDT]).fetchone()[0] == 41


# --- bad input: one actionable line, database unchanged --------------------------------------------


def _broken_copy(tmp_path, edit):
    folder = tmp_path / "broken"
    shutil.copytree(BLOCK_2015_CSV, folder)
    edit(folder)
    return folder


def _truncate(folder):
    text = (folder / "logs.csv").read_text()
    (folder / "logs.csv").write_text(text[: len(text) - 300])


def _wrong_columns(folder):
    lines = (folder / "transactions.csv").read_text().splitlines()
    lines[0] = lines[0].replace("from_address", "sender")
    (folder / "transactions.csv").write_text("\n".join(lines) + "\n")


def _non_hex(folder):
    text = (folder / "transactions.csv").read_text()
    (folder / "transactions.csv").write_text(text.replace("0x1b63142628311395ceafeea5667e7c9026c862ca", "0xZZ63142628311395ceafeea5667e7c9026c862ca", 1))


@pytest.mark.parametrize(
    "edit, message",
    [
        (_truncate, "logs.csv"),
        (_wrong_columns, "missing column(s) from_address"),
        (_non_hex, "column from_address: '0xZZ63"),
    ],
    ids=["truncated-csv", "wrong-columns", "non-hex-address"],
)
def test_bad_input_is_reported_and_rolls_back(tmp_path, edit, message):
    db = str(tmp_path / "w.duckdb")
    pigtrace("ingest", "etl", str(BLOCKS_2023), "--db", db, check=True)
    from pigtrace.store.warehouse import connect

    con = connect(db)
    before = _snapshot(con)
    con.close()
    folder = _broken_copy(tmp_path, edit)
    proc = pigtrace("ingest", "etl", str(folder), "--db", db)
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert message in err and "Traceback" not in err
    assert len(err.splitlines()) <= 2  # one line (Rich may wrap a very long path)
    con = connect(db)
    assert _snapshot(con) == before


def test_truncated_csv_names_the_line(tmp_path, warehouse):
    folder = _broken_copy(tmp_path, _truncate)
    with pytest.raises(IngestError, match=r"logs\.csv.*[Ll]ine"):
        ingest_etl(warehouse, folder)
    assert warehouse.execute("SELECT count(*) FROM transfers").fetchone()[0] == 0


def test_not_an_export_folder(tmp_path, warehouse):
    with pytest.raises(IngestError, match="no ethereum-etl"):
        ingest_etl(warehouse, tmp_path)


def test_overlapping_files_in_one_folder_collapse(warehouse, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(BLOCKS_2023, folder)
    shutil.copy(folder / "logs.json", folder / "logs_00017173049_00017173050.json")
    shutil.copy(folder / "transactions.json", folder / "transactions_copy.json")
    ingest_etl(warehouse, folder)
    dupes = warehouse.execute(
        "SELECT count(*) FROM (SELECT tx_hash, log_index FROM transfers GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0
    assert warehouse.execute("SELECT count(*) FROM transactions").fetchone()[0] == 298
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()[0] == 282


def test_a_folder_named_like_a_partition_does_not_rename_columns(tmp_path):
    """An export in a folder called ``gas=exchange_1`` (a `key=value` name, as a benchmark or a user may give
    it) is read as it is: DuckDB must not take the folder name for a `gas` column of every row."""
    from pigtrace.store.warehouse import connect

    for name, source in (("gas=exchange_1", BLOCK_2015_CSV), ("value=1", BLOCKS_2023)):
        plain = connect(tmp_path / f"plain_{source.name}.duckdb")
        ingest_etl(plain, source)
        odd = connect(tmp_path / f"odd_{source.name}.duckdb")
        ingest_etl(odd, shutil.copytree(source, tmp_path / name / "world"))
        assert _snapshot(odd) == _snapshot(plain)
