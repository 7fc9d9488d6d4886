"""Approval drain and address poisoning on knob-varied simulated worlds: ethereum-etl files written by the
simulator (every ring drawing its own choices, and worlds with no "interest" payments, gas from
exchanges, multi-hop sweeps, mixed and reused laundering wallets), ingested like real data, analysed by
these two detectors only, and scored per typology against the world's truth (benign look-alikes
included: intent settlements, subscription merchants, DEX router approvals, exchange deposits, airdrops).
What these worlds vary is what the criminals can change; the pull by someone other than the owner and the
look-alike address are what they cannot."""

from __future__ import annotations

import json

import pytest

from pigtrace.detect.run import analyze
from pigtrace.ingest.etl import ingest_etl
from pigtrace.simulate.world import simulate
from pigtrace.store.warehouse import connect

# Roles each detector must recover (gas funders are the laundering module's gas_funder detector's).
TYPOLOGY = {"approval_drain": "approval_drain", "poisoning": "address_poisoning"}


def _world(tmp_path_factory, seed: int, days: int, vary: dict):
    out = tmp_path_factory.mktemp(f"world{seed}")
    simulate(out, seed=seed, users=250, days=days, scale=6000, vary=vary)
    con = connect(out / "w.duckdb")
    ingest_etl(con, out)
    analyze(con, only=list(TYPOLOGY))
    return json.loads((out / "truth.json").read_text()), con


@pytest.fixture(scope="module", params=[
    (31, 60, {}), (32, 30, {}), (33, 60, {"paybacks": "none", "gas": "exchange"}),
    (34, 45, {"sweeps": "multi_hop", "laundering_mixing": "0.5", "wallet_reuse": "yes", "paybacks": "mixed"}),
], ids=["seed31-60days", "seed32-30days", "no-interest-exchange-gas", "multi-hop-mixed-reused"])
def world(request, tmp_path_factory):
    truth, con = _world(tmp_path_factory, *request.param)
    yield truth, con
    con.close()


def _score(truth, con, detector: str) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, fn) per role for one detector's findings against that typology's truth."""
    typology = TYPOLOGY[detector]
    found = {(a, r) for a, r in con.execute("SELECT address, role FROM findings WHERE typology = ?",
                                             [detector]).fetchall()}
    role_of = {r["address"]: r for r in truth["roles"]}
    funders = {r["address"] for r in truth["roles"] if _is_gas_funder(r, con)}
    want = {(r["address"], r["role"]) for r in truth["roles"]
            if r["typology"] == typology and r["address"] not in funders and _active(con, r["address"])}
    out = {}
    for role in ("victim", "scam_collection", "scam_operator"):
        f = {a for a, r in found if r == role}
        w = {a for a, r in want if r == role}
        wrong = {a for a in f if role_of.get(a, {}).get("role") != role}
        out[role] = (len(f & w), len(wrong), len(w - f))
    return out


def _active(con, address: str) -> bool:
    return con.execute("SELECT count(*) FROM transfers WHERE from_address = ? OR to_address = ? OR initiator = ?",
                       [address, address, address]).fetchone()[0] > 0


def _is_gas_funder(role: dict, con) -> bool:
    """A scam address whose only token-free activity is sending native coin (the ring's gas funder)."""
    if role["role"] != "scam_operator":
        return False
    kinds = con.execute(
        "SELECT count(*) FILTER (WHERE kind <> 'native'), count(*) FROM transfers "
        "WHERE from_address = ? OR to_address = ?",
        [role["address"], role["address"]]).fetchone()
    return kinds[0] == 0 and kinds[1] > 0


@pytest.mark.parametrize("detector", list(TYPOLOGY))
def test_typology_found_without_false_positives(world, detector):
    truth, con = world
    scores = _score(truth, con, detector)
    tp_all = sum(tp for tp, _, _ in scores.values())
    assert tp_all > 0, "the world should hold this typology"
    for role, (tp, fp, fn) in scores.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        assert precision >= 0.95, (role, scores)
        assert recall >= 0.9, (role, scores)


def test_benign_look_alikes_stay_quiet(world):
    truth, con = world
    benign = {b["address"]: b["kind"] for b in truth["benign"]}
    services = {s["address"] for s in truth["services"]}
    flagged = {a for (a,) in con.execute("SELECT address FROM findings").fetchall()}
    assert not flagged & services
    assert not {a: benign[a] for a in flagged if a in benign}
