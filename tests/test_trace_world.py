"""`pigtrace trace` on a simulated world: from a true victim, the loss reaches the exchange accounts where
the ring really cashed out (truth.json), through the ring's sweeps, splits, peel chains and swaps, with each
account credited to its exchange."""

from __future__ import annotations

import json

import pytest

from pigtrace.trace.run import trace
from tests.cli_run import pigtrace


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("trace_world")
    out, db = root / "world", root / "w.duckdb"
    # every hot wallet labelled: a deposit account is recognisable only by its sweeps to a known hot wallet
    pigtrace("simulate", "--out", str(out), "--seed", "5", "--style", "fixed", "--vary", "labelled_hot_wallets=1.0",
             check=True)
    pigtrace("ingest", "etl", str(out), "--db", str(db), check=True)
    pigtrace("labels", "import", str(out / "tagpack.yaml"), "--db", str(db), check=True)
    return json.loads((out / "truth.json").read_text()), db


@pytest.mark.parametrize("method", ["fifo", "haircut"])
def test_victims_loss_reaches_the_rings_true_cash_out(world, method):
    """Pooled over every ring: of each victim's loss, the share the truth says the ring cashed out at
    exchange deposit accounts (mules) is what should reach those accounts; at least 80% of it must, and
    every dollar found there must be credited to the right exchange."""
    from pigtrace.store.warehouse import connect

    truth, db = world
    con = connect(db, read_only=True)
    expected = reached = wrong_exchange = 0.0
    rings_reached = 0
    for ring in truth["rings"]:
        stolen = sum(v["lost_usd"] for v in ring["victims"])
        cash = {c["address"]: c["exchange"] for c in ring["cash_out"] if not c["exchange"].startswith("OTC")}
        if not stolen or not cash:
            continue
        share = min(1.0, sum(c["received_usd"] for c in ring["cash_out"] if c["address"] in cash) / stolen)
        got = 0.0
        for victim in ring["victims"]:
            if victim["paid_from"] == "exchange":
                continue  # the exchange's hot wallet paid: nothing on chain leaves the victim's address
            r = trace(con, victim["address"], method=method)
            expected += victim["lost_usd"] * share
            for e in r.endpoints:
                if e["address"] in cash and e["kind"] == "exchange_deposit":
                    got += e["usd"]
                    if e["entity"] != cash[e["address"]]:
                        wrong_exchange += e["usd"]
        reached += got
        rings_reached += got > 0
    con.close()
    assert rings_reached >= 5  # fake platforms, drains and poisoning alike
    assert reached / expected >= 0.8
    assert wrong_exchange == 0
