"""bench/stress.py and bench/baseline_rules60.py: the matrix, the seed split, and the scorer's parity with
`pigtrace evaluate` (no world is simulated here; the bench itself does that)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import baseline_rules60  # noqa: E402
import stress  # noqa: E402

from pigtrace.simulate.evaluate import evaluate  # noqa: E402
from pigtrace.store.schema import TABLES  # noqa: E402

KNOBS = [
    {"name": "style", "values": "fixed|random", "default": "random", "fixed": "fixed"},
    {"name": "labelled_hot_wallets", "values": "0..1", "default": "0.6", "fixed": "0.6"},
    {"name": "paybacks", "values": "onchain|none|mixed", "default": "random", "fixed": "onchain"},
    {"name": "laundering_mixing", "values": "0..1", "default": "random", "fixed": "0"},
]


def test_matrix_varies_one_knob_at_a_time_from_style_fixed():
    m = dict(stress.build_matrix(KNOBS, None, True, ["paybacks=none+labelled_hot_wallets=0"]))
    assert m["style=fixed"] == ["style=fixed"] and m["style=random"] == ["style=random"]
    assert m["paybacks=none"] == ["style=fixed", "paybacks=none"]
    assert "paybacks=onchain" not in m and "labelled_hot_wallets=0.6" not in m
    assert {"labelled_hot_wallets=0", "labelled_hot_wallets=0.3", "labelled_hot_wallets=1.0",
            "laundering_mixing=0.3", "laundering_mixing=0.6"} <= set(m)
    assert m["paybacks=none+labelled_hot_wallets=0"] == ["style=fixed", "paybacks=none", "labelled_hot_wallets=0"]
    assert stress.build_matrix(None, None, True, []) == [("no-knobs", [])]
    assert [c for c, _ in stress.build_matrix(KNOBS, [], True, [])] == ["style=fixed", "style=random"]


def test_a_knob_of_another_chain_is_not_varied_unless_named():
    """A Tron crawl knob changes nothing in an Ethereum world: varied there it would only repeat style=fixed."""
    knobs = KNOBS + [{"name": "tron_detail", "values": "0..1", "default": "1.0", "fixed": "1.0", "chains": ["tron"]}]
    eth = {c for c, _ in stress.build_matrix(knobs, None, True, [], "ethereum")}
    tron = {c for c, _ in stress.build_matrix(knobs, None, True, [], "tron")}
    assert not any(c.startswith("tron_detail=") for c in eth)
    assert {"tron_detail=0", "tron_detail=0.3"} <= tron and {"paybacks=none", "laundering_mixing=0.6"} <= tron & eth
    assert "tron_detail=0" in {c for c, _ in stress.build_matrix(knobs, ["tron_detail"], True, [], "ethereum")}


def test_seeds():
    assert stress.parse_seeds("3", 101) == [101, 102, 103]
    assert stress.parse_seeds("1,4-6", 101) == [1, 4, 5, 6]
    assert stress.seed_list("7") == [7]


def test_scorer_matches_pigtrace_evaluate():
    truth = {"chain": "ethereum",
             "roles": [{"address": "0xA1", "role": "victim"}, {"address": "0xa2", "role": "victim"},
                       {"address": "0xc1", "role": "scam_collection"}, {"address": "0xd1", "role": "cash_out"},
                       {"address": "0xd2", "role": "cash_out"}],
             "rings": [{"id": "r1", "typology": "fake_platform",
                        "victims": [{"address": "0xa1", "lost_usd": 100.0}, {"address": "0xa2", "lost_usd": 50.0}],
                        "cash_out": [{"address": "0xd1", "received_usd": 60.0}, {"address": "0xd2", "received_usd": 90.0}]}]}
    pairs = [("0xa1", "victim"), ("0xb9", "victim"), ("0xc1", "victim"), ("0xc1", "scam_collection"),
             ("0xd2", "cash_out")]
    con = duckdb.connect()
    for name, cols in TABLES.items():  # an empty warehouse with the current schema
        con.execute(f"CREATE TABLE {name} ({cols})")
    con.executemany("INSERT INTO findings (chain, address, role, score) VALUES ('ethereum', ?, ?, 1.0)", pairs)
    # the ledger shows every truth address but 0xd1 (a cash-out account no data names: unseen, not missed)
    con.executemany("INSERT INTO transfers (chain, tx_hash, log_index, time, token, kind, from_address, to_address, "
                    "amount) VALUES ('ethereum', ?, 0, TIMESTAMP '2025-01-01', 'native', 'native', ?, ?, 1)",
                    [("0x01", "0xa1", "0xc1"), ("0x02", "0xa2", "0xc1"), ("0x03", "0xc1", "0xd2")])
    ref = evaluate(con, truth)
    assert ref["unseen_addresses"] == ["0xd1"]
    mine = baseline_rules60.score(pairs, truth, ref["unseen_addresses"])
    assert [(r["role"], r["tp"], r["fp"], r["fn"], r["unseen"], r["f1"]) for r in mine["roles"]] == \
        [(r["role"], r["tp"], r["fp"], r["fn"], r["unseen"], r["f1"]) for r in ref["roles"]]
    cash = next(r for r in ref["roles"] if r["role"] == "cash_out")
    assert (cash["tp"], cash["fn"], cash["unseen"]) == (1, 0, 1)
    assert mine["traced_value"]["share"] == ref["traced_value"]["share"] == 0.6


def test_table_renders():
    res = {"config": "style=fixed", "seed": 1, "split": "report", "error": "", "notes": [], "t": {},
           "pigtrace": {"roles": [{"role": r, "truth": 2, "found": 2, "tp": 1, "fp": 1, "fn": 1, "f1": 0.5}
                                  for r in (*baseline_rules60.ROLES, "all")],
                        "traced_value": {"stolen_usd": 10.0, "traced_usd": 5.0, "share": 0.5}}}
    rows = stress.summary_rows([res], [("style=fixed", ["style=fixed"])], ["report"], ["pigtrace"])
    assert rows[0]["agg"]["victim"]["f1"] == 0.5 and rows[0]["agg"]["value_share"] == 0.5
    assert "0.50 0.50 0.50" in stress.table(rows)
