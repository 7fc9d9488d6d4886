"""False-positive regression on real Ethereum data (tests/fixtures, copied; see its README): ordinary
mainnet blocks from ethereum-etl's tests, and a slice of XBlock's phishing first-order data (37 normal
accounts' and 8 Etherscan-tagged phishing accounts' own transactions). Ordinary traffic must give no
scam findings, with and without labels; the labels-file evaluation runs end to end on the slice."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest

from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.conftest import FIXTURES

SLICE = FIXTURES / "xblock_slice"
SCAM_SIDE = ("scam_collection", "scam_operator", "laundering", "cash_out")
# At most this many of the slice's 37 normal accounts may carry a scam-side role (none does today).
MAX_NORMAL_FLAGGED = 1


def _ingest(db, *folders) -> None:
    for folder in folders:
        pigtrace("ingest", "etl", str(folder), "--db", str(db), check=True)


def _roles(db) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return dict(con.execute("SELECT role, count(*) FROM findings GROUP BY role").fetchall())
    finally:
        con.close()


def _centres() -> dict[str, str]:
    with open(SLICE / "centres.csv", newline="") as f:
        return {r["address"]: r["label"] for r in csv.DictReader(f)}


def test_real_mainnet_blocks_give_no_scam_findings(tmp_path):
    db = tmp_path / "blocks.duckdb"
    _ingest(db, FIXTURES / "etl_mainnet_17173049", FIXTURES / "etl_mainnet_483920_csv")
    con = connect(db, read_only=True)
    kinds = dict(con.execute("SELECT kind, count(*) FROM transfers GROUP BY kind").fetchall())
    con.close()
    assert kinds.get("native", 0) > 50 and kinds.get("erc20", 0) > 100  # real traffic was ingested
    for mode in ((), ("--behaviour-only",)):
        pigtrace("analyze", *mode, "--db", str(db), check=True)
        roles = _roles(db)
        assert not {r: n for r, n in roles.items() if r in SCAM_SIDE}, (mode, roles)
        assert roles.get("victim", 0) == 0, (mode, roles)


def test_xblock_normal_accounts_are_not_flagged(tmp_path):
    db = tmp_path / "normal.duckdb"
    _ingest(db, SLICE / "normal")
    normal = [a for a, label in _centres().items() if label == "normal"]
    assert len(normal) == 37
    con = connect(db, read_only=True)
    present = con.execute("SELECT count(DISTINCT to_address) FROM transfers WHERE to_address IN (SELECT unnest(?))",
                          [normal]).fetchone()[0] + con.execute(
        "SELECT count(DISTINCT from_address) FROM transfers WHERE from_address IN (SELECT unnest(?))", [normal]).fetchone()[0]
    con.close()
    assert present >= 37
    for mode in (("--behaviour-only",), ()):
        pigtrace("analyze", *mode, "--db", str(db), check=True)
        con = connect(db, read_only=True)
        flagged = con.execute(
            "SELECT count(DISTINCT address) FROM findings WHERE role IN (SELECT unnest(?)) AND address IN (SELECT unnest(?))",
            [list(SCAM_SIDE), normal]).fetchone()[0]
        everyone = con.execute("SELECT count(DISTINCT address) FROM findings WHERE role IN (SELECT unnest(?))",
                               [list(SCAM_SIDE)]).fetchone()[0]
        con.close()
        assert flagged <= MAX_NORMAL_FLAGGED, mode
        assert everyone <= MAX_NORMAL_FLAGGED, mode  # nor their counterparties


@pytest.fixture(scope="module")
def slice_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("xblock") / "slice.duckdb"
    _ingest(db, SLICE / "normal", SLICE / "phishing")
    return db


def _evaluate(db, *args) -> dict:
    out = pigtrace("evaluate", "--labels", str(SLICE / "centres.csv"), "--db", str(db), "-f", "json", *args, check=True)
    return json.loads(out.stdout)[0]


def _row(result, role):
    return next(r for r in result["roles"] if r["role"] == role)


def test_labels_evaluation_end_to_end_on_the_slice(slice_db):
    centres = _centres()
    # With labels: the phishing accounts are in the shipped Etherscan phishing tags, so a lookup finds them.
    pigtrace("analyze", "--db", str(slice_db), check=True)
    res = _evaluate(slice_db)
    assert (res["labelled"], res["scored"], res["scored_in_ledger"]) == (45, 45, 45)
    assert res["scored_by_label"] == {"normal": 37, "scam_collection": 8}
    assert res["analysis"]["behaviour_only"] is False
    sc = _row(res, "scam_collection")
    assert (sc["truth"], sc["tp"], sc["fn"]) == (8, 8, 0)
    assert sc["fp"] <= MAX_NORMAL_FLAGGED
    # Behaviour only: no label lookup; whatever is found comes from the ledger, and normal accounts stay clean.
    pigtrace("analyze", "--behaviour-only", "--db", str(slice_db), check=True)
    res = _evaluate(slice_db)
    assert res["analysis"]["behaviour_only"] is True
    any_row = _row(res, "scam_any")
    assert any_row["truth"] == 8 and any_row["fp"] <= MAX_NORMAL_FLAGGED
    con = connect(slice_db, read_only=True)
    typologies = {t for (t,) in con.execute("SELECT DISTINCT typology FROM findings").fetchall()}
    con.close()
    assert "screening_hits" not in typologies
    # The period option: count the centres first seen before 2017 straight from the fixture files.
    first: dict[str, int] = {}
    for part in ("normal", "phishing"):
        with open(SLICE / part / "receipts.csv", newline="") as f:
            failed = {r["transaction_hash"] for r in csv.DictReader(f) if r["status"] == "0"}  # moved nothing
        with open(SLICE / part / "transactions.csv", newline="") as f:
            for r in csv.DictReader(f):
                if r["hash"] in failed:
                    continue
                for a in (r["from_address"], r["to_address"]):
                    if a in centres:
                        first[a] = min(first.get(a, 1 << 62), int(r["block_timestamp"]))
    cut = datetime(2017, 1, 1, tzinfo=UTC).timestamp()
    early = {label: sum(1 for a, t in first.items() if t < cut and centres[a] == label) for label in ("normal", "scam_collection")}
    res = _evaluate(slice_db, "--until", "2017-01-01")
    assert res["scored"] == sum(early.values()) and 0 < res["scored"] < 45
    assert res["scored_by_label"].get("scam_collection", 0) == early["scam_collection"]
    late = _evaluate(slice_db, "--since", "2017-01-01")
    assert late["scored"] + res["scored"] == 45
