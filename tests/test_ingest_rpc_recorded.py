"""`pigtrace ingest rpc` on real mainnet data: recorded node responses replayed on 127.0.0.1.

Two sets of raw responses a mainnet node gave (2015 and 2016 blocks, tests/fixtures/rpc_mainnet_recorded)
are compared with ethereum-etl's own decoding of them; the two 2023 blocks of the ethereum-etl export
fixture, served as JSON-RPC, must give exactly the warehouse `ingest etl` gives for the export.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

import pytest

from pigtrace.ingest.etl import ingest_etl
from pigtrace.ingest.rpc import ingest_rpc
from pigtrace.store.warehouse import connect
from tests.conftest import FIXTURES
from tests.evm_node import RecordedChain, RpcProxy, etl_as_rpc, recorded_responses

RECORDED = FIXTURES / "rpc_mainnet_recorded"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None)


def _ingest_recorded(folder, first, last, tmp_path):
    blocks, receipts = recorded_responses(folder)
    with RpcProxy(RecordedChain(blocks, receipts)) as node:
        con = connect(str(tmp_path / "w.duckdb"))
        added = ingest_rpc(con, node.url, first, last)
        asked = {m for m, _ in node.calls}
    return con, added, asked


def _expected_rows(expected):
    return sorted(
        (e["hash"], int(e["block_number"]), int(e["transaction_index"]), e["from_address"], e["to_address"] or None,
         int(e["value"]), int(e["gas"]), int(e["gas_price"]), int(e["nonce"]),
         e["input"][:10] if len(e["input"]) >= 10 else None)
        for e in expected
    )


TX_COLUMNS = "hash, block_number, transaction_index, from_address, to_address, value, gas, gas_price, nonce, method_id"


def test_block_483920_of_2015(tmp_path):
    folder = RECORDED / "block_483920"
    con, added, asked = _ingest_recorded(folder, 483920, 483920, tmp_path)
    expected = list(csv.DictReader((folder / "expected_transactions.csv").open()))
    assert con.execute(f"SELECT {TX_COLUMNS} FROM transactions ORDER BY hash").fetchall() == _expected_rows(expected)
    # pre-Byzantium receipts carry a state root and no status
    assert con.execute("SELECT count(*) FROM transactions WHERE status IS NULL").fetchone()[0] == 4
    assert "eth_getTransactionReceipt" in asked  # the recording has no eth_getBlockReceipts

    transfers = con.execute(
        "SELECT token, from_address, to_address, amount, tx_hash, log_index, block_number, time FROM transfers "
        "WHERE kind = 'erc20' ORDER BY tx_hash"
    ).fetchall()
    want = sorted(
        (t["token_address"], t["from_address"], t["to_address"], int(t["value"]), t["transaction_hash"],
         int(t["log_index"]), int(t["block_number"]), _utc(1446561880))
        for t in csv.DictReader((folder / "expected_token_transfers.csv").open())
    )
    assert transfers == want
    assert added["blocks"] == 1 and added["tokens"] == 1  # the token, without metadata (no state recorded)


def test_blocks_1755634_to_1755635_of_2016(tmp_path):
    folder = RECORDED / "blocks_1755634_1755635"
    con, added, _ = _ingest_recorded(folder, 1755634, 1755635, tmp_path)
    expected = [json.loads(line) for line in (folder / "expected_transactions.json").read_text().splitlines()]
    assert con.execute(f"SELECT {TX_COLUMNS} FROM transactions ORDER BY hash").fetchall() == _expected_rows(expected)
    assert con.execute("SELECT number, transaction_count FROM blocks ORDER BY number").fetchall() == [
        (1755634, 0), (1755635, 2)
    ]
    (dao,) = [json.loads(line) for line in (folder / "expected_token_transfers.json").read_text().splitlines()]
    assert con.execute(
        "SELECT token, from_address, to_address, amount, initiator, time FROM transfers WHERE kind = 'erc20'"
    ).fetchall() == [(dao["token_address"], dao["from_address"], dao["to_address"], dao["value"],
                      "0xed059bc543141c8c93031d545079b3da0233b27f", _utc(dao["block_timestamp"]))]
    paid = [e for e in expected if int(e["value"]) > 0]
    assert con.execute("SELECT tx_hash, from_address, to_address, amount FROM transfers WHERE kind = 'native'").fetchall() == [
        (e["hash"], e["from_address"], e["to_address"], int(e["value"])) for e in paid
    ]


@pytest.mark.parametrize("batch_size", [1, 2])
def test_2023_blocks_served_as_rpc_equal_the_etl_ingest(tmp_path, batch_size):
    folder = FIXTURES / "etl_mainnet_17173049"
    from_etl = connect(str(tmp_path / "etl.duckdb"))
    ingest_etl(from_etl, folder)

    blocks, receipts = etl_as_rpc(folder)
    with RpcProxy(RecordedChain(blocks, receipts)) as node:
        from_rpc = connect(str(tmp_path / "rpc.duckdb"))
        ingest_rpc(from_rpc, node.url, 17173049, 17173050, batch_size=batch_size)

    for table in ("blocks", "transactions", "transfers", "approvals", "swaps"):
        query = f"SELECT * FROM {table} ORDER BY ALL"
        assert from_rpc.execute(query).fetchall() == from_etl.execute(query).fetchall(), table
    counts = from_rpc.execute(
        """SELECT (SELECT count(*) FROM transactions),
                  (SELECT count(*) FROM transfers WHERE kind IN ('erc20', 'erc721')),
                  (SELECT count(*) FROM approvals WHERE kind IN ('erc20', 'erc721')),
                  (SELECT count(*) FILTER (WHERE unlimited) FROM approvals),
                  (SELECT count(*) FROM transfers WHERE token = ?)""",
        [USDT],
    ).fetchone()
    assert counts == (298, 291, 86, 21, 41)  # ethereum-etl's own counts for these two blocks
