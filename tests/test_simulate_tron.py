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
    pages = json.loads(min((out / "trongrid").glob("trc20_*.json")).read_text())
    assert all(p["success"] is True and p["meta"]["page_size"] == len(p["data"]) <= 200 for p in pages)
    items = [i for p in pages for i in p["data"]]
    assert {i["type"] for i in items} == {"Transfer", "Approval"}
    item = items[0]
    assert set(item) >= {"transaction_id", "token_info", "block_timestamp", "from", "to", "type", "value", "detail"}
    assert item["value"].isdigit() and len(item["transaction_id"]) == 64
    assert normalize_tron(item["from"]) == item["from"]
    history = [i for p in json.loads(min((out / "trongrid").glob("transactions_*.json")).read_text()) for i in p["data"]]
    assert {i["raw_data"]["contract"][0]["type"] for i in history} == {"TransferContract", "TriggerSmartContract"}


def test_tron_world_has_trx_and_swaps_through_its_pair(tron_world):
    _, _, truth, con, added = tron_world
    pair = next(s["address"] for s in truth["services"] if s["kind"] == "dex_pool")
    assert added["swaps"] > 0
    assert {p for (p,) in con.execute("SELECT DISTINCT pool FROM swaps").fetchall()} == {pair}
    assert con.execute("SELECT count(*) FROM transfers WHERE kind = 'native' AND usd > 0").fetchone()[0] > 0


@pytest.mark.parametrize("knobs", [{"tron_detail": "0", "tron_account_history": "0", "crawl_overlap": "1"},
                                   {"tron_detail": "0.5", "tron_account_history": "1", "crawl_overlap": "0.5"}])
def test_crawl_shape_changes_the_pages_not_the_transfers(tron_world, tmp_path, knobs):
    """However the crawl overlaps and whatever detail it carries, the warehouse holds the same transfers;
    without account histories only TRX transfers (which only they carry) are missing."""
    _, _, _, con, _ = tron_world
    out = tmp_path / "w"
    summary = simulate(out, seed=4, users=150, days=40, scale=4000, chain="tron",
                       vary={"style": "fixed", "labelled_hot_wallets": "1.0", **knobs})
    other = connect(tmp_path / "o.duckdb")
    ingest_trongrid(other, out / "trongrid")
    token_rows = "SELECT tx_hash, log_index, token, from_address, to_address, amount FROM transfers WHERE kind = 'trc20' ORDER BY ALL"
    assert other.execute(token_rows).fetchall() == con.execute(token_rows).fetchall()
    assert other.execute("SELECT count(*) FROM transfers").fetchone()[0] == summary["files"]["transfers"]
    if knobs["tron_account_history"] == "0":
        assert other.execute("SELECT count(*) FROM transactions").fetchone()[0] == 0
        assert other.execute("SELECT count(*) FROM transfers WHERE initiator IS NOT NULL").fetchone()[0] == 0
    other.close()


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


def test_pages_ingested_one_by_one_in_either_order_give_the_same_findings(tron_world, tmp_path):
    """An investigator adds crawls over time, in whatever order: each ingest numbers the addresses it is
    the first to see, so the two warehouses number them differently, and the findings (whose walks break
    ties on node order) must still be the same."""
    from pigtrace.detect.run import analyze

    out = tron_world[0]
    pages = sorted((out / "trongrid").glob("*.json"))
    found = {}
    refs = {}
    for name, order in (("forward", pages), ("backward", pages[::-1])):
        con = connect(tmp_path / f"{name}.duckdb")
        for page in order:
            ingest_trongrid(con, page)
        replace_pack(con, *read_tagpack(out / "tagpack.yaml"))
        analyze(con)
        found[name] = set(con.execute("SELECT address, role, round(score, 6) FROM findings").fetchall())
        refs[name] = dict(con.execute("SELECT address, ref FROM addresses").fetchall())
        con.close()
    assert len(pages) >= 2
    assert sum(refs["forward"][a] != refs["backward"][a] for a in refs["forward"]) > 100
    assert len(found["forward"]) > 50 and found["forward"] == found["backward"]
