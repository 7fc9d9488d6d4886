"""`pigtrace simulate --chain tron`: TronGrid v1 pages that `pigtrace ingest trongrid` loads, base58check
addresses, the real USDT-TRC20 contract, signers (initiators) from the call detail, and a truth that
agrees with the ingested transfers."""

from __future__ import annotations

import json

import pytest

from pigtrace.chains.addresses import normalize_tron
from pigtrace.ingest.trongrid import ingest_trongrid
from pigtrace.labels.store import replace_pack
from pigtrace.labels.tagpack import read_tagpack
from pigtrace.simulate.world import simulate
from pigtrace.store.warehouse import connect

USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


@pytest.fixture(scope="module")
def tron_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("tron")
    summary = simulate(out, seed=4, users=150, days=40, scale=4000, chain="tron",
                       vary={"style": "fixed", "labelled_hot_wallets": "1.0"})
    con = connect(out / "t.duckdb")
    added = ingest_trongrid(con, out / "trongrid")
    replace_pack(con, *read_tagpack(out / "tagpack.yaml"))
    yield out, summary, json.loads((out / "truth.json").read_text()), con, added
    con.close()


def test_pages_have_trongrid_shape(tron_world):
    out = tron_world[0]
    page = json.loads(min((out / "trongrid").glob("page_*.json")).read_text())
    assert page["success"] is True and page["meta"]["page_size"] == len(page["data"])
    item = page["data"][0]
    assert set(item) >= {"transaction_id", "token_info", "block_timestamp", "from", "to", "type", "value", "detail"}
    assert item["type"] == "Transfer" and item["value"].isdigit() and len(item["transaction_id"]) == 64
    assert normalize_tron(item["from"]) == item["from"]


def test_ingest_trongrid_loads_every_transfer(tron_world):
    _, summary, truth, con, added = tron_world
    assert added["transfers"] == summary["files"]["transfers"] > 3000
    assert con.execute("SELECT count(*) FROM transfers WHERE token = ?", [USDT_TRON]).fetchone()[0] > 1000
    # drains: transferFrom sent by the spender (initiator is not the victim)
    roles = {r["address"]: r for r in truth["roles"]}
    drains = con.execute(
        "SELECT from_address, initiator FROM transfers WHERE initiator <> from_address AND amount > 0").fetchall()
    hit = [(f, i) for f, i in drains if roles.get(f, {}).get("typology") == "approval_drain"]
    assert hit and all(roles[i]["role"] == "scam_operator" for _, i in hit)


def test_truth_losses_match_ingested_transfers(tron_world):
    _, _, truth, con, _ = tron_world
    n = 0
    for ring in truth["rings"]:
        for v in ring["victims"]:
            paid = con.execute("SELECT coalesce(sum(amount), 0)::HUGEINT FROM transfers WHERE tx_hash IN "
                               "(SELECT unnest(?::VARCHAR[])) AND token = ?", [v["payments"], v["token"]]).fetchone()[0]
            back = con.execute("SELECT coalesce(sum(amount), 0)::HUGEINT FROM transfers WHERE tx_hash IN "
                               "(SELECT unnest(?::VARCHAR[])) AND to_address = ?", [v["refunds"], v["address"]]).fetchone()[0]
            assert int(paid) - int(back) == int(v["lost_raw"])
            assert normalize_tron(v["address"]) == v["address"]
            n += 1
    assert n > 5


def test_analyze_finds_scam_wallets_in_trongrid_data(tron_world):
    """TRC-20 rows (kind 'trc20') are value transfers to the detectors like ERC-20 ones."""
    from pigtrace.detect.run import analyze

    _, _, truth, con, _ = tron_world
    analyze(con)
    roles = {r["address"]: r["role"] for r in truth["roles"]}
    found = con.execute("SELECT address, role FROM findings WHERE role <> 'victim'").fetchall()
    assert len(found) >= 5
    assert sum(roles.get(a) == r for a, r in found) >= 0.8 * len(found)


def test_tron_world_brings_its_exchange_hot_wallets_as_a_tagpack(tron_world):
    from pigtrace.labels.tagpack import read_tagpack

    out, _, truth, _, _ = tron_world
    _, rows = read_tagpack(out / "tagpack.yaml")
    hot = {s["address"] for s in truth["services"] if s["kind"] == "exchange_hot_wallet"}
    labelled = {r["address"] for r in rows if r["category"] == "exchange"}
    assert hot and labelled == hot  # labelled_hot_wallets=1.0
    assert all(r["chain"] == "tron" for r in rows)
