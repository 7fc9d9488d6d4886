"""`pigtrace simulate`: the export ingests like a real ethereum-etl export, the truth agrees with the
ledger (balances never go negative, every loss is in the transfers), the world is deterministic by seed,
and the patterns the detectors rely on are really there (tx.from of drains, solvers, subscriptions)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pigtrace.ingest.etl import ingest_etl
from pigtrace.simulate.world import simulate
from pigtrace.store.schema import ROLES
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.sim_checks import negative_balances

SMALL = {"seed": 11, "users": 300, "days": 60, "scale": 12_000}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    summary = simulate(out, **SMALL)
    truth = json.loads((out / "truth.json").read_text())
    con = connect(out / "w.duckdb")
    added = ingest_etl(con, out)
    yield out, summary, truth, con, added
    con.close()


def test_export_has_ethereum_etl_files_and_columns(world):
    out, summary, *_ = world
    header = (out / "transactions.csv").read_text().split("\n", 1)[0].replace('"', "").split(",")
    assert header[:11] == ["hash", "nonce", "block_hash", "block_number", "transaction_index", "from_address",
                           "to_address", "value", "gas", "gas_price", "input"]
    logs_header = (out / "logs.csv").read_text().split("\n", 1)[0].replace('"', "")
    assert logs_header == "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics"
    for name in ("blocks", "tokens", "token_transfers"):
        assert (out / f"{name}.csv").stat().st_size > 0
    assert summary["transfers"] >= 10_000


def test_ingest_etl_takes_it_without_special_cases(world):
    _, summary, truth, con, added = world
    assert added["transfers"] == summary["transfers"]
    assert added["transactions"] == summary["transactions"]
    assert added["approvals"] > 0 and added["swaps"] > 0
    # real contracts and selectors
    usdt = con.execute("SELECT count(*) FROM transfers WHERE token = '0xdac17f958d2ee523a2206206994597c13d831ec7'").fetchone()[0]
    assert usdt > summary["transfers"] / 3
    methods = dict(con.execute("SELECT method_id, count(*) FROM transactions GROUP BY 1").fetchall())
    for sel in ("0xa9059cbb", "0x23b872dd", "0x095ea7b3", "0x38ed1739"):
        assert methods.get(sel, 0) > 0, sel
    assert con.execute("SELECT count(*) FROM approvals WHERE unlimited").fetchone()[0] > 0


def test_the_world_brings_its_own_services_and_labels_only_a_share(world):
    """The simulator shares no labels with pigtrace: its hot wallets are its own, none of them in the
    shipped packs, and its TagPack holds the labelled_hot_wallets share (0.6 by default)."""
    from pigtrace.labels.shipped import exchange_hot_wallets
    from pigtrace.labels.tagpack import read_tagpack

    out, _, truth, _, _ = world
    shipped = {a for a, _ in exchange_hot_wallets("ethereum")}
    hot = {s["address"] for s in truth["services"] if s["kind"] == "exchange_hot_wallet"}
    assert len(hot) >= 5 and not hot & shipped
    _, rows = read_tagpack(out / "tagpack.yaml")
    labelled = {r["address"] for r in rows if r["category"] == "exchange"}
    assert labelled < hot and len(labelled) == round(0.6 * len(hot))
    assert {r["category"] for r in rows} >= {"defi_dex", "bridge"}


def test_no_address_ever_spends_more_than_it_received(world):
    _, _, truth, con, _ = world
    assert negative_balances(con, truth) == []


def test_every_victims_loss_is_in_the_transfers(world):
    _, _, truth, con, _ = world
    checked = 0
    for ring in truth["rings"]:
        for v in ring["victims"]:
            paid = con.execute(
                "SELECT coalesce(sum(amount), 0)::HUGEINT FROM transfers WHERE tx_hash IN (SELECT unnest(?::VARCHAR[])) AND token = ?",
                [v["payments"], v["token"]]).fetchone()[0]
            back = con.execute(
                "SELECT coalesce(sum(amount), 0)::HUGEINT FROM transfers WHERE tx_hash IN (SELECT unnest(?::VARCHAR[])) "
                "AND token = ? AND to_address = ?", [v["refunds"], v["token"], v["address"]]).fetchone()[0]
            assert int(paid) - int(back) == int(v["lost_raw"]), (ring["id"], v["address"])
            if v["paid_from"] in ("self_custody", "relay"):
                senders = {r[0] for r in con.execute(
                    "SELECT from_address FROM transfers WHERE tx_hash IN (SELECT unnest(?::VARCHAR[])) AND token = ?",
                    [v["payments"], v["token"]]).fetchall()}
                assert senders == {v["address"]}
            checked += 1
    assert checked >= 20


def test_truth_shape_and_one_role_per_address(world):
    _, _, truth, _, _ = world
    roles = truth["roles"]
    assert {r["role"] for r in roles} == set(ROLES)
    assert len({r["address"] for r in roles}) == len(roles)
    role_addrs = {r["address"] for r in roles}
    assert not role_addrs & {s["address"] for s in truth["services"]}
    assert not role_addrs & {b["address"] for b in truth["benign"]}
    typologies = Counter(r["typology"] for r in truth["rings"])
    assert set(typologies) == {"fake_platform", "approval_drain", "address_poisoning"}
    kinds = {b["kind"] for b in truth["benign"]}
    for k in ("retail", "saver", "payroll", "merchant", "payment_processor", "airdrop", "market_maker", "fund",
              "rosca", "otc_customer", "solver", "subscription", "bridge_user", "treasury", "family_support"):
        assert k in kinds, k
    for ring in truth["rings"]:
        if ring["victims"]:
            assert ring["cash_out"] or ring["params"]["laundering"]["paths"]["bridge"] > 0
        for c in ring["cash_out"]:
            assert next(r for r in roles if r["address"] == c["address"])["role"] == "cash_out"
    # rings differ from each other
    fp = [json.dumps(r["params"], sort_keys=True) for r in truth["rings"]]
    assert len(set(fp)) == len(fp)


def test_third_party_transfer_froms_are_sent_by_the_right_party(world):
    _, _, truth, con, _ = world
    role = {r["address"]: r for r in truth["roles"]}
    benign = {b["address"]: b["kind"] for b in truth["benign"]}
    rows = con.execute(
        "SELECT t.from_address, t.to_address, t.initiator FROM transfers t WHERE t.initiator <> t.from_address "
        "AND t.kind = 'erc20' AND t.amount > 0").fetchall()
    drains = [r for r in rows if role.get(r[1], {}).get("typology") == "approval_drain"
              and role.get(r[1], {}).get("role") == "scam_collection"]
    assert drains
    for frm, _, initiator in drains:
        assert role[frm]["role"] == "victim"
        assert role[initiator]["role"] == "scam_operator"
    initiator_kinds = Counter(benign.get(i) for _, _, i in rows)
    assert initiator_kinds["solver"] > 0 and initiator_kinds["subscription"] > 0


def test_poisoning_uses_lookalikes(world):
    _, _, truth, con, _ = world
    poison = [r for r in truth["roles"] if r["typology"] == "address_poisoning" and r["role"] == "scam_collection"]
    assert poison
    zero = con.execute("SELECT count(*) FROM transfers WHERE amount = 0 AND initiator <> from_address").fetchone()[0]
    fake = con.execute("SELECT count(*) FROM tokens WHERE symbol IN ('USDT', 'USDC') AND address NOT IN "
                       "('0xdac17f958d2ee523a2206206994597c13d831ec7', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48')").fetchone()[0]
    assert zero + fake > 0
    # each paid look-alike shares its first and last characters with an address its victim paid before
    for la in poison[:5]:
        a = la["address"]
        twins = con.execute(
            "SELECT count(*) FROM transfers WHERE to_address <> ? AND substr(to_address, 1, 5) = substr(?, 1, 5) "
            "AND right(to_address, 4) = right(?, 4)", [a, a, a]).fetchone()[0]
        assert twins > 0


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    args = {"users": 120, "days": 30, "scale": 3000}
    simulate(tmp_path / "a", seed=5, **args)
    simulate(tmp_path / "b", seed=5, **args)
    simulate(tmp_path / "c", seed=6, **args)
    for name in ("transactions.csv", "logs.csv", "blocks.csv", "token_transfers.csv", "tokens.csv", "truth.json",
                 "tagpack.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "logs.csv").read_bytes() != (tmp_path / "c" / "logs.csv").read_bytes()


def test_cli_simulate_then_ingest(tmp_path):
    out = tmp_path / "w"
    proc = pigtrace("simulate", "--out", str(out), "--seed", "3", "--users", "100", "--days", "20", "--scale", "2000",
                    "-f", "json", check=True)
    summary = json.loads(proc.stdout)[0]
    assert summary["seed"] == 3 and summary["transfers"] > 1000
    db = tmp_path / "w.duckdb"
    pigtrace("ingest", "etl", str(out), "--db", str(db), check=True)
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM transfers").fetchone()[0] == summary["transfers"]


def test_cli_rejects_bad_options(tmp_path):
    proc = pigtrace("simulate", "--out", str(tmp_path / "x"), "--scale", "huge")
    assert proc.returncode != 0 and "--scale" in proc.stderr
    proc = pigtrace("simulate", "--out", str(tmp_path / "x"), "--days", "3")
    assert proc.returncode != 0 and "--days" in proc.stderr
    proc = pigtrace("simulate", "--out", str(tmp_path / "x"), "--chain", "bitcoin")
    assert proc.returncode != 0 and "--chain" in proc.stderr


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_smallest_world_the_command_accepts_is_built(tmp_path, seed):
    """14 days, 50 users, 1,000 transfers: every actor copes with a world that ends before its plans do."""
    out = tmp_path / "w"
    simulate(out, seed=seed, users=50, days=14, scale=1000)
    con = connect(tmp_path / "w.duckdb")
    assert ingest_etl(con, out)["transfers"] > 0
    assert negative_balances(con, json.loads((out / "truth.json").read_text())) == []
