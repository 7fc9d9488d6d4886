"""Clustering (`pigtrace cluster`) on hand-built ledgers whose owners are known: each heuristic finds its
cluster and nothing else, its guard holds (victims of one drainer stay apart, a deposit account many people
pay links none of them, exchange-funded wallets are not one owner, a batch drain is not co-spending),
switching a heuristic off removes exactly its links, the size cap refuses a giant merge, a second run
gives the same table, the CLI prints and explains it; and on a small simulated world, how many clusters
mix two rings and how many ring members are clustered with their ring."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from pigtrace.cli import app
from pigtrace.cluster.build import build_clusters
from pigtrace.store.warehouse import connect
from tests.ledger_builder import Ledger

HOT = "exchange_hot"


GAS = {"funder", "w1", "w2", "w3"}
DEPOSIT = {"alice_1", "alice_2", "dep_alice"}
TAGGED = {"tagged_1", "tagged_2", "tagged_4"}


def scenes() -> tuple[Ledger, list[tuple[str, set[str]]]]:
    """One ledger holding a scene per heuristic, and the cluster each scene must give: (heuristic, names).
    alice_1 is in two scenes (GAS and DEPOSIT), so those two clusters are one while both heuristics run."""
    led = Ledger("ethereum")
    led.label(HOT, "Exchange Birch: hot wallet", "exchange", actor="Exchange Birch")
    # deposit_reuse: alice pays her deposit account from two wallets; it sweeps to the exchange
    for w in ("alice_1", "alice_2"):
        led.transfer(HOT, w, 500)
    # gas_funder: the funder (bankrolled from the exchange) tops up w1..w3 before their first token move;
    # alice_1 got her first gas from it too, so her cluster and the funder's are one (the overlap scene)
    led.transfer(HOT, "funder", 1, token="ETH")
    for w in ("w1", "w2", "w3", "alice_1"):
        led.transfer("funder", w, 0.01, token="ETH")  # $25
    led.transfer("funder", "w4", 1, token="ETH")  # $2,500: a payment, not gas
    led.transfer("w5", "shop", 1)  # w5 moved tokens before it ever got gas
    led.transfer("funder", "w5", 0.01, token="ETH")
    for w in ("w1", "w2", "w3", "w4", "w5"):
        led.transfer(HOT, w, 100)
        led.transfer(w, "consolidation", 90)
    for w in ("alice_1", "alice_2"):
        led.transfer(w, "dep_alice", 200)
    led.transfer("dep_alice", HOT, 400)
    # guard: a shared account (an OTC desk's) paid by six strangers links none of them
    for i in range(6):
        led.transfer(HOT, f"otc_customer_{i}", 300)
        led.transfer(f"otc_customer_{i}", "dep_otc", 250)
    led.transfer("dep_otc", HOT, 1500)
    # guard: payroll pays three employees' deposit accounts; each employee also tops up their own
    for i in range(3):
        led.transfer(HOT, f"emp_{i}", 100)
        led.transfer("payroll", f"dep_emp_{i}", 1000)
        led.transfer(f"emp_{i}", f"dep_emp_{i}", 50)
        led.transfer(f"dep_emp_{i}", HOT, 1050)
    # guard: the exchange pays gas to its customers; a busy wallet pays many and first gas to two of them
    for w in ("cust_1", "cust_2", "cust_3"):
        led.transfer(HOT, w, 0.01, token="ETH")
        led.transfer(HOT, w, 100)
        led.transfer(w, "merchant", 60)
    for i in range(10):
        led.transfer("busy", f"friend_{i}", 20)
    for w in ("friend_0", "friend_1"):
        led.transfer("busy", w, 0.01, token="ETH")
        led.transfer(w, "merchant", 10)
    # approval_spender: three victims approve a drainer account, which pulls their tokens to two wallets
    for v, r in (("victim_1", "drain_sink_1"), ("victim_2", "drain_sink_1"), ("victim_3", "drain_sink_2")):
        led.transfer(HOT, v, 1000)
        led.approve(v, "drainer")
        led.transfer(v, r, 1000, initiator="drainer")
    # co_spending: an operator sweeps two contract wallets it alone controls in one transaction
    for c in ("contract_1", "contract_2"):
        led.transfer("payer", c, 70)
    h = led.tx("operator", to="sweeper", method="multicall")
    led.transfer("contract_1", "operator", 70, tx=h)
    led.transfer("contract_2", "operator", 70, tx=h)
    # guard: a batch drain (one transaction pulling from two approving victims) is not co-spending
    for v in ("victim_4", "victim_5"):
        led.transfer(HOT, v, 500)
        led.approve(v, "batch_drainer")
    h = led.tx("batch_drainer", to="USDT", method="transferFrom")
    led.transfer("victim_4", "batch_sink", 500, tx=h)
    led.transfer("victim_5", "batch_sink", 500, tx=h)
    # tagpack_definer: three addresses an investigator tagged as one actor's, a fourth tag not a definer
    for t, definer in (("tagged_1", True), ("tagged_2", True), ("tagged_3", False), ("tagged_4", True)):
        led.label(t, "Ring Z wallet", "scam", actor="Ring Z", cluster_definer=definer)
        led.transfer(t, "shop", 5)
    expected = [
        ("gas_funder", GAS), ("deposit_reuse", DEPOSIT),
        ("approval_spender", {"drainer", "drain_sink_1", "drain_sink_2"}),
        ("approval_spender", {"batch_drainer", "batch_sink"}),
        ("co_spending", {"operator", "contract_1", "contract_2"}),
        ("tagpack_definer", TAGGED),
        *[("deposit_reuse", {f"emp_{i}", f"dep_emp_{i}"}) for i in range(3)],
    ]
    return led, expected


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    led, expected = scenes()
    db = tmp_path_factory.mktemp("cluster") / "w.duckdb"
    con = led.write(connect(db))
    yield led, expected, con
    con.close()


def partition(con, led: Ledger) -> set[frozenset[str]]:
    """The clusters table as sets of the names the ledger was written with."""
    names = {v: k for k, v in led._names.items()}
    rows = con.execute("SELECT cluster_id, list(address) FROM clusters GROUP BY cluster_id").fetchall()
    return {frozenset(names.get(a, a) for a in members) for _, members in rows}


def clusters_without(expected: list[tuple[str, set[str]]], off: set[str] = frozenset()) -> set[frozenset[str]]:
    """The clusters every heuristic but ``off`` must give."""
    groups = [g for h, g in expected if h not in off and g not in (GAS, DEPOSIT)]
    if "gas_funder" not in off and "deposit_reuse" not in off:
        groups.append(GAS | DEPOSIT)
    elif "gas_funder" not in off:
        groups.append(GAS | {"alice_1"})
    elif "deposit_reuse" not in off:
        groups.append(DEPOSIT)
    return {frozenset(g) for g in groups}


def test_each_heuristic_finds_its_cluster_and_the_guards_hold(world):
    led, expected, con = world
    summary = build_clusters(con)
    assert partition(con, led) == clusters_without(expected)
    joined = {h["heuristic"]: h for h in summary["heuristics"]}
    assert all(joined[h]["addresses"] > 0 for h in joined)
    assert summary["refused"] == []
    clustered = {a for g in partition(con, led) for a in g}
    # victims of one drainer are neither merged with each other nor with it; nor are batch-drained ones
    assert not clustered & {"victim_1", "victim_2", "victim_3", "victim_4", "victim_5"}
    # the shared deposit account and its six payers, payroll, exchange-funded wallets, the busy wallet's
    # friends, the big payment and the late gas, the exchange and the non-definer tag: all unclustered
    assert not clustered & ({"dep_otc", "payroll", "busy", "friend_0", "friend_1", "w4", "w5", "tagged_3", HOT}
                            | {f"otc_customer_{i}" for i in range(6)} | {"cust_1", "cust_2", "cust_3"})


def test_every_member_says_which_heuristic_joined_it_and_leads_to_the_first_address(world):
    led, _, con = world
    build_clusters(con)
    rows = con.execute("SELECT address, cluster_id, heuristic, joined_via FROM clusters").fetchall()
    by_address = {a: (cid, h, via) for a, cid, h, via in rows}
    names = {v: k for k, v in led._names.items()}
    assert names[by_address[led.addr("drain_sink_1")][2]] == "drainer"
    assert by_address[led.addr("contract_1")][1] == "co_spending"
    assert by_address[led.addr("tagged_2")][1] == "tagpack_definer"
    assert by_address[led.addr("w2")][1:] == ("gas_funder", led.addr("funder"))
    assert by_address[led.addr("alice_2")][1:] == ("deposit_reuse", led.addr("dep_alice"))
    first = {cid: a for a, cid, _, _ in rows
             if cid == con.execute("SELECT ref FROM addresses WHERE address = ?", [a]).fetchone()[0]}
    for a, (cid, _, via) in by_address.items():  # joined_via is a tree hung from the cluster's first address
        assert by_address[via][0] == cid
        seen, at = set(), a
        while at != first[cid]:
            assert at not in seen
            seen.add(at)
            at = by_address[at][2]


@pytest.mark.parametrize("heuristic", ["deposit_reuse", "gas_funder", "approval_spender", "co_spending",
                                       "tagpack_definer"])
def test_switching_a_heuristic_off_removes_exactly_its_links(world, heuristic):
    led, expected, con = world
    summary = build_clusters(con, without=[heuristic])
    assert partition(con, led) == clusters_without(expected, {heuristic})
    assert not con.execute("SELECT count(*) FROM clusters WHERE heuristic = ?", [heuristic]).fetchone()[0]
    assert heuristic not in {h["heuristic"] for h in summary["heuristics"]}
    only = build_clusters(con, only=[heuristic])
    assert {h["heuristic"] for h in only["heuristics"]} == {heuristic}
    assert set(con.execute("SELECT DISTINCT heuristic FROM clusters").fetchall()) == {(heuristic,)}


def test_a_second_run_gives_the_same_table(world):
    _, _, con = world
    read = "SELECT * FROM clusters ORDER BY chain, address"
    build_clusters(con)
    first = con.execute(read).fetchall()
    build_clusters(con)
    assert con.execute(read).fetchall() == first and first


def test_the_size_cap_refuses_a_behavioural_merge_but_not_a_definer(world):
    led, expected, con = world
    summary = build_clusters(con, max_size=3)
    refused = {r["heuristic"]: r for r in summary["refused"]}
    assert set(refused) == {"gas_funder"} and refused["gas_funder"]["largest"] == 7
    got = partition(con, led)
    assert frozenset(DEPOSIT) in got and frozenset(TAGGED) in got  # 3 addresses: within the cap
    assert not any("funder" in g for g in got)
    # a definer entity is the tag author's word: never cut
    summary = build_clusters(con, only=["tagpack_definer"], max_size=2)
    assert summary["refused"] == [] and partition(con, led) == {frozenset(TAGGED)}


def test_a_ledger_without_links_gives_no_clusters():
    led = Ledger("ethereum")
    led.transfer("someone", "someone_else", 10)
    summary = build_clusters(led.write(connect(":memory:")))
    assert summary["clusters"] == summary["addresses"] == 0 and all(h["links"] == 0 for h in summary["heuristics"])


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_deposit_reuse_on_tron_and_show_by_tron_address(tmp_path):
    led = Ledger("tron")
    led.label(HOT, "Exchange Birch: hot wallet", "exchange")
    for w in ("bob_1", "bob_2"):
        led.transfer(HOT, w, 100)
        led.transfer(w, "dep_bob", 100)
    led.transfer("dep_bob", HOT, 200)
    db = tmp_path / "w.duckdb"
    led.write(connect(db)).close()
    before = run("cluster", "show", led.addr("bob_1"), "--db", str(db))
    assert before.exit_code == 1 and "run `pigtrace cluster` first" in before.output
    assert run("cluster", "--db", str(db)).exit_code == 0
    shown = run("cluster", "show", led.addr("bob_1"), "--db", str(db), "--format", "json")
    assert {(m["address"], m["heuristic"]) for m in json.loads(shown.output)} == {
        (led.addr(n), "deposit_reuse") for n in ("bob_1", "bob_2", "dep_bob")}


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """The scenes' warehouse clustered by `pigtrace cluster` (its table output kept)."""
    led, expected = scenes()
    db = tmp_path_factory.mktemp("cli") / "w.duckdb"
    led.write(connect(db)).close()
    out = run("cluster", "--db", str(db))
    assert out.exit_code == 0, out.output
    return led, expected, db, out.output


def test_cli_cluster_prints_each_heuristic_and_the_largest_clusters(cli_db):
    _, expected, db, output = cli_db
    assert "links per heuristic" in output and "largest clusters" in output
    assert max(len(line) for line in output.splitlines()) <= 80
    data = json.loads(run("cluster", "--db", str(db), "--format", "json", "--without", "co_spending").output)
    assert data["clusters"] == len(clusters_without(expected, {"co_spending"}))
    assert [h["heuristic"] for h in data["heuristics"]] == ["tagpack_definer", "approval_spender", "deposit_reuse",
                                                            "gas_funder"]
    assert data["largest"][0]["size"] == 7
    rows = list(csv.DictReader(io.StringIO(run("cluster", "--db", str(db), "--format", "csv").output)))
    assert list(rows[0]) == ["heuristic", "links", "kept", "refused", "addresses", "clusters"]
    assert len(rows) == 5
    wrong = run("cluster", "--db", str(db), "--heuristic", "common_input")
    assert wrong.exit_code == 1 and "unknown heuristic 'common_input'" in wrong.output


def test_cli_show_lists_the_members_with_the_heuristic_that_joined_each(cli_db):
    led, _, db, _ = cli_db
    shown = run("cluster", "show", led.addr("w1").upper().replace("0X", "0x"), "--db", str(db), "--format", "csv")
    members = list(csv.DictReader(io.StringIO(shown.output)))
    assert {m["address"] for m in members} == {led.addr(n) for n in GAS | DEPOSIT}
    assert {m["heuristic"] for m in members} == {"gas_funder", "deposit_reuse"}
    table = run("cluster", "show", led.addr("drainer"), "--db", str(db))
    assert table.exit_code == 0 and "approval_spender" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80
    alone = run("cluster", "show", led.addr("victim_1"), "--db", str(db))
    assert alone.exit_code == 0 and "in no cluster" in alone.output
    missing = run("cluster", "show", "0x" + "ab" * 20, "--db", str(db))
    assert missing.exit_code == 1 and "not in the warehouse" in missing.output
    listing = json.loads(run("cluster", "heuristics", "--format", "json").output)
    assert [h["heuristic"] for h in listing][0] == "tagpack_definer" and all(h["guard"] for h in listing)


def test_simulated_world_rings_stay_apart_and_their_members_together(tmp_path):
    """A small knob-varied world (every ring draws its own structure). The simulator shares some gas funders
    and laundering wallets between rings and records one ring per address, so a cluster may span rings only
    through a wallet linked straight to both; a scammer paying a relay wallet's first gas, or a payout
    wallet paying 'profits' into a victim's deposit account, puts that victim in the ring's cluster."""
    from pigtrace.ingest.etl import ingest_etl
    from pigtrace.labels.store import replace_pack
    from pigtrace.labels.tagpack import read_tagpack
    from pigtrace.simulate.cluster_score import score_clusters
    from pigtrace.simulate.world import simulate

    world = tmp_path / "world"
    simulate(world, seed=3, scale=5000)
    con = connect(tmp_path / "w.duckdb")
    ingest_etl(con, world)
    replace_pack(con, *read_tagpack(world / "tagpack.yaml"))
    build_clusters(con)
    score = score_clusters(con, json.loads((world / "truth.json").read_text()))
    print(score)
    # every mix goes through a laundering wallet shared by two rings (wallet_reuse) that paid another ring's
    # mule deposit account; with deposit accounts behind unlabelled hot wallets recognised (pigtrace.entities)
    # there are 5 such mixes where there were 3 (and 110 ring members clustered where there were 92)
    assert score["mixed_rings"] == score["mixed_directly"] <= 5
    # one retail wallet: it paid a victim's own exchange deposit account, which the ring's payout wallet paid
    # "profits" into (the victim joins the ring's cluster, as the docstring says, and the retail wallet with it);
    # that account was not known as a deposit account before its unlabelled hot wallet was recognised
    assert score["ring_with_benign"] <= 1
    assert score["victim_with_ring"] <= 3
    assert score["coverage"] >= 0.4
