"""`ingest trongrid` on a real TronGrid v1 TRC-20 history (Ledger's captured fixture)."""

from __future__ import annotations

import csv
import json

import pytest

from pigtrace.errors import IngestError
from pigtrace.ingest.trongrid import ingest_trongrid
from tests.conftest import FIXTURES

TRON = FIXTURES / "trongrid_TL24LCps"
RESPONSE = TRON / "trongrid_v1_trc20_TL24LCps.json"
USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_transfers_match_the_flat_view(warehouse):
    added = ingest_trongrid(warehouse, RESPONSE)
    assert added["transfers"] == 14
    with open(TRON / "trc20_transfers_TL24LCps.csv") as f:
        flat = list(csv.DictReader(f))
    got = set(
        warehouse.execute(
            "SELECT tx_hash, token, from_address, to_address, amount::VARCHAR, block_number FROM transfers WHERE chain = 'tron'"
        ).fetchall()
    )
    assert got == {
        (r["transaction_id"], r["token_contract"], r["from_address"], r["to_address"], r["value_raw"], int(r["block_number"]))
        for r in flat
    }
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE token = ?", [USDT_TRON]).fetchone()[0] == 11
    # USDT at par with 6 decimals; the 18-decimal tokens carry no USD value
    usd = warehouse.execute("SELECT sum(usd) FROM transfers WHERE token = ?", [USDT_TRON]).fetchone()[0]
    assert usd == pytest.approx(sum(int(r["value_raw"]) for r in flat if r["token_symbol"] == "USDT") / 1e6)
    assert warehouse.execute("SELECT count(*) FROM transfers WHERE token <> ? AND usd IS NOT NULL", [USDT_TRON]).fetchone()[0] == 0


def test_initiator_is_the_signer(warehouse):
    ingest_trongrid(warehouse, RESPONSE)
    # every item has detail.raw_data: the signer (owner_address, 41-hex) is the transfer's initiator
    rows = warehouse.execute("SELECT count(*), count(*) FILTER (WHERE initiator = from_address) FROM transfers").fetchone()
    assert rows == (14, 14)
    assert warehouse.execute("SELECT count(*) FROM transactions WHERE method_id = '0xa9059cbb' AND status = 1").fetchone()[0] == 14


def test_idempotent(warehouse):
    ingest_trongrid(warehouse, RESPONSE)
    before = warehouse.execute("SELECT * FROM transfers ORDER BY ALL").fetchall()
    assert set(ingest_trongrid(warehouse, TRON).values()) == {0}  # the folder holds the same response
    assert warehouse.execute("SELECT * FROM transfers ORDER BY ALL").fetchall() == before


def test_bad_checksum_names_the_item_and_writes_nothing(warehouse, tmp_path):
    doc = json.loads(RESPONSE.read_text())
    item = doc["TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre"]["data"][3]
    item["to"] = item["to"][:-1] + ("A" if item["to"][-1] != "A" else "B")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(IngestError, match=r"bad\.json.*data\[3\].*field 'to'.*checksum"):
        ingest_trongrid(warehouse, bad)
    assert warehouse.execute("SELECT count(*) FROM transfers").fetchone()[0] == 0


def test_failed_response_and_invalid_json(warehouse, tmp_path):
    (tmp_path / "fail.json").write_text(json.dumps({"success": False, "error": "rate limited", "data": []}))
    with pytest.raises(IngestError, match="success=false"):
        ingest_trongrid(warehouse, tmp_path / "fail.json")
    (tmp_path / "broken.json").write_text('{"data": [')
    with pytest.raises(IngestError, match=r"broken\.json: line 1: invalid JSON"):
        ingest_trongrid(warehouse, tmp_path / "broken.json")
