"""`pigtrace audit`: the wallet owner's check on a simulated world's approval drains (before and after
`pigtrace analyze`), on a hand-made ledger (look-alikes, payments to a labelled scam wallet that reached an
exchange, labelled, unknown and new spenders, ApprovalForAll), on Tron pages ingested with `ingest trongrid`,
and through the CLI (a malformed address is one clear line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from pigtrace.audit.revoke import revoke_call, selector
from pigtrace.audit.spender_risk import spender_risks
from pigtrace.audit.wallet import audit_wallet
from pigtrace.chains.addresses import tron_base58_to_hex
from pigtrace.detect.run import analyze
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.ingest.etl import ingest_etl
from pigtrace.ingest.trongrid import ingest_trongrid
from pigtrace.simulate.world import simulate
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger
from tests.test_ingest_trongrid_pages import USDT, addr, call, page, trc20, write

LATER = datetime(2030, 1, 1)


# ---- a simulated world: approval drains among benign subscriptions, DEX approvals and settlements --------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    simulate(out, seed=32, users=250, days=30, scale=6000, vary={})
    con = connect(out / "w.duckdb")
    ingest_etl(con, out)
    yield json.loads((out / "truth.json").read_text()), con
    con.close()


def test_drain_victim_audit_names_the_drainer_before_and_after_analyze(world):
    truth, con = world
    drainers = {r["address"] for r in truth["roles"]
                if r["typology"] == "approval_drain" and r["role"] == "scam_operator"}
    victims = {r["address"] for r in truth["roles"] if r["typology"] == "approval_drain" and r["role"] == "victim"}
    spenders = [s for (s,) in con.execute("SELECT DISTINCT spender FROM approvals").fetchall()]
    # from the ledger alone (no findings yet): "drained others" names drain spenders and no benign one
    # (subscription merchants, DEX routers and settlement contracts pull from many owners too)
    risks = spender_risks(con, "ethereum", "0x" + "0" * 40, spenders, LATER)
    named = {s for s, r in risks.items() if any(x.startswith("it drained others") for x in r.reasons)}
    assert named and named <= drainers

    victim, spender = con.execute(
        "SELECT owner, spender FROM approvals WHERE spender IN (SELECT unnest(?::VARCHAR[])) "
        "AND owner IN (SELECT unnest(?::VARCHAR[])) ORDER BY owner LIMIT 1", [sorted(named), sorted(victims)]).fetchone()
    before = audit_wallet(con, victim)
    row = next(a for a in before["allowances"] if a["spender"] == spender)
    assert row["risk"] == "high" and row["already_taken"]
    assert any(x.startswith("it drained others: it took at least half the balance of") for x in row["reasons"])
    # the drain itself: tokens someone else moved out of the victim's wallet through that spender
    assert any(t["flagged"] and spender in (t["by"], t["via"]) for t in before["taken_by_others"])
    assert any(line.startswith("Scammers already took tokens out of your wallet") for line in before["advice"])

    analyze(con, only=["approval_drain"])
    result = audit_wallet(con, victim)
    row = next(a for a in result["allowances"] if a["spender"] == spender)
    assert row["risk"] == "high"
    assert any(x.startswith("pigtrace analyze found it taking part in a scam") for x in row["reasons"])
    assert any(line.startswith("Revoke the") for line in result["advice"])


# ---- a hand-made ledger ---------------------------------------------------------------------------------

def _story(tmp_path):
    led = Ledger("ethereum", start=datetime(2024, 3, 1))
    led.label("binance_hot", "Binance 14", "exchange", concepts=["exchange"])
    led.label("collector", "Fake_Phishing1", "scam", concepts=["scam", "phishing"])
    led.label("drainer", "Fake_Phishing2", "scam", concepts=["scam", "phishing"])
    led.transfer("exchange_hot", "alice", 1_000)
    led.transfer("alice", "friend", 100)  # a real counterparty
    look = led.lookalike("friend", prefix=5, suffix=4)
    led.transfer("alice", look, 0, initiator="poisoner")  # planted: a zero-value transferFrom sent by a third party
    led.wait(days=2)
    led.transfer("alice", look, 50)  # alice copied the fake address
    led.transfer("alice", "collector", 300)  # paid the scam
    led.transfer("collector", "binance_hot", 290)  # which cashed out at an exchange
    led.approve("alice", "drainer")  # unlimited, to a labelled drainer
    led.approve("alice", "mystery", 10)  # to an address never seen acting as a contract
    apes = led.token("apes", "APE", 0)
    led.approve("alice", "nft_operator", kind="approval_for_all", token="apes")
    led.approve("alice", "old_operator", kind="approval_for_all", token="apes")
    led.approve("alice", "old_operator", 0, kind="approval_for_all", token="apes")  # revoked
    led.wait(days=20)
    led.tx("someone", to="newapp", method="execute")  # newapp is a contract, first seen now ...
    for owner in ("alice", "u1", "u2", "u3", "u4"):  # ... and five wallets approve it within days
        led.approve(owner, "newapp", 20)
    con = led.write(connect(tmp_path / "w.duckdb"))
    return led, con, look, apes


def test_lookalikes_flagged_payments_exchange_and_spender_reasons(tmp_path):
    led, con, look, apes = _story(tmp_path)
    alice = led.addr("alice")
    bsc = Ledger("bsc", start=datetime(2024, 3, 1))
    bsc.transfer(alice, "someone", 1)  # alice also sent something on BSC
    bsc.write(con)
    at = led.now + timedelta(days=1)
    result = audit_wallet(con, alice, at=at)
    assert json.loads(json.dumps(result)) == result  # JSON as it is, for the API
    assert result["chain"] == "ethereum" and result["other_chains"] == ["bsc"]  # the busiest chain, the other named
    assert any(line.startswith("This wallet also has activity on bsc") for line in result["advice"])
    rows = {a["spender"]: a for a in result["allowances"]}
    assert set(rows) == {led.addr(n) for n in ("drainer", "mystery", "nft_operator", "newapp")}
    drainer = rows[led.addr("drainer")]
    assert drainer["risk"] == "high" and drainer["reasons"][0].startswith("labelled as a scam or criminal address: "
                                                                         "'Fake_Phishing2'")
    assert drainer["value_at_risk_raw"] == str((1_000 - 100 - 50 - 300) * 10**6)  # the balance: the zero-value plant moved nothing
    assert drainer["value_at_risk_usd"] == pytest.approx(550.0) and result["allowances"][0] is drainer
    mystery = rows[led.addr("mystery")]
    assert mystery["risk"] == "medium" and mystery["reasons"][0].startswith("nothing in the data pigtrace holds")
    assert mystery["value_at_risk_raw"] == str(10 * 10**6)  # min(balance, allowance)
    newapp = rows[led.addr("newapp")]
    assert newapp["risk"] == "medium" and newapp["spender_kind"] == "contract"
    assert newapp["reasons"] == ["it is new: first seen 1 day before this check, and 5 different wallets approved it since"]
    nft = rows[led.addr("nft_operator")]
    assert (nft["kind"], nft["amount"], nft["token"]) == ("approval_for_all", "all your NFTs in this collection", apes)
    assert nft["revoke"]["calldata"] == "0xa22cb465" + led.addr("nft_operator")[2:].rjust(64, "0") + "0" * 64

    assert result["taken_by_others"] == []  # the planted zero-value transferFrom took nothing
    (paid,) = result["flagged_payments"]
    assert paid["address"] == led.addr("collector") and paid["usd"] == pytest.approx(300.0)
    assert paid["why"] == ["'Fake_Phishing1' (scam, test-pack labels)"]
    (lk,) = result["lookalikes"]
    assert (lk["lookalike"], lk["imitates"], lk["you_paid"], lk["paid_usd"]) == (look, led.addr("friend"), True, 50.0)
    assert lk["shared"].startswith("first 5 and last 4") and lk["source"] == ["audit: first 4 and last 4 characters compared"]
    (ex,) = result["exchanges_reached"]
    assert (ex["exchange"], ex["account"], ex["payer"]) == ("Binance", led.addr("binance_hot"), led.addr("collector"))
    assert result["report_to"][0]["who"] == "Binance"
    assert {"FBI Internet Crime Complaint Center (IC3), United States", "Action Fraud, United Kingdom"} <= \
        {r["who"] for r in result["report_to"]}
    assert any(look in line and "looks like" in line for line in result["advice"])
    assert result["summary"]["lookalikes_paid"] == 1 and result["summary"]["high_risk"] == 1

    # once analyze ran, the poisoning detector's finding is the look-alike's source too
    analyze(con, only=["poisoning"])
    (lk,) = audit_wallet(con, alice, at=at)["lookalikes"]
    assert lk["source"] == ["pigtrace analyze (poisoning detector)", "audit: first 4 and last 4 characters compared"]


def test_bad_address_and_unknown_chain(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    with pytest.raises(InvalidAddress, match="not a wallet address pigtrace can audit"):
        audit_wallet(con, "0x1234")
    with pytest.raises(InvalidAddress, match="EIP-55 checksum does not match"):
        audit_wallet(con, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")  # EIP-55 example, last letter upper-cased
    with pytest.raises(PigtraceError, match="unknown chain 'mars'"):
        audit_wallet(con, "0x" + "1" * 40, chain="mars")
    empty = audit_wallet(con, "0x" + "1" * 40)
    assert empty["allowances"] == [] and not empty["seen_in_warehouse"]
    assert empty["notes"][0].startswith("the warehouse holds no approvals or transfers of this address")


def test_revoke_calls_use_the_real_selectors():
    assert selector("approve(address,uint256)") == "0x095ea7b3"
    assert selector("approve(address,address,uint160,uint48)") == "0x87517c45"  # Permit2 AllowanceTransfer
    assert selector("setApprovalForAll(address,bool)") == "0xa22cb465"
    one = revoke_call("erc721", "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "a" * 40, token_id="7")
    assert one["call"] == f"approve(0x{'0' * 40}, 7)" and one["calldata"] == "0x095ea7b3" + "0" * 64 + f"{7:064x}"


# ---- Tron: TRC-20 Approval rows from TronGrid pages --------------------------------------------------------

def test_tron_trc20_allowance(tmp_path):
    alice, bob, carol, dave, eve, spender, router = (addr(n) for n in (0xA11CE, 0xB0B, 0xCA201, 0xDA7E, 0xE7E, 0x5BE4D,
                                                                      0x2007E2))
    unlimited = 2**256 - 1
    pull = lambda n, frm, value: trc20(n, frm, carol, value, detail=call(n, spender, USDT, data="23b872dd" + "0" * 192))  # noqa: E731
    f = write(tmp_path, "pages.json", page(
        trc20(1, eve, bob, 200_000_000), trc20(2, bob, alice, 100_000_000), trc20(3, bob, dave, 40_000_000),
        trc20(4, alice, spender, unlimited, kind="Approval"), trc20(5, dave, spender, unlimited, kind="Approval"),
        trc20(6, bob, spender, unlimited, kind="Approval"),
        trc20(7, alice, router, 5_000_000, kind="Approval"), trc20(8, alice, router, 0, kind="Approval"),
        pull(9, alice, 30_000_000), pull(10, dave, 40_000_000), pull(11, bob, 60_000_000 - 1)))
    con = connect(tmp_path / "w.duckdb")
    ingest_trongrid(con, f)
    result = audit_wallet(con, alice)
    assert result["chain"] == "tron"
    (row,) = result["allowances"]  # the router's allowance was set back to 0
    assert (row["kind"], row["spender"], row["unlimited"], row["balance_raw"], row["value_at_risk_raw"]) == \
        ("trc20", spender, True, "70000000", "70000000")
    assert row["value_at_risk_usd"] == pytest.approx(70.0) and row["symbol"] == "USDT"
    assert row["risk"] == "high", row["reasons"]
    assert any(r.startswith("it drained others: it took at least half the balance of 2 other wallets") for r in row["reasons"])
    assert row["revoke"]["contract"] == USDT
    assert row["revoke"]["calldata"] == "0x095ea7b3" + tron_base58_to_hex(spender)[2:].rjust(64, "0") + "0" * 64


# ---- the command ---------------------------------------------------------------------------------------------

def test_cli_bad_address_is_one_line_and_json_is_the_library_dict(tmp_path):
    led, con, *_ = _story(tmp_path)
    con.close()
    db = str(tmp_path / "w.duckdb")
    run = pigtrace("audit", "0xnot-an-address", "--db", db)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "error: '0xnot-an-address': not a wallet address pigtrace can audit (expected an EVM address, 0x followed "
        "by 40 hex digits, or a Tron address, T... in base58)"]
    os.chmod(db, 0o444)  # a reading command: a warehouse that cannot be written is fine
    at = "2024-03-25T00:00:00"
    run = pigtrace("audit", led.addr("alice"), "--db", db, "--at", at, "--format", "json")
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed["as_of"] == "2024-03-25 00:00:00" and len(printed["allowances"]) == 4
    assert printed["allowances"][0]["reasons"][0].startswith("labelled as a scam")
    table = subprocess.run([sys.executable, "-m", "pigtrace", "audit", led.addr("alice"), "--db", db, "--at", at],
                           capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"}, timeout=300)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(x) <= 80 for x in lines), max(lines, key=len)
    assert lines[0].startswith(led.addr("alice")) and "What to do" in lines and "Whom to report to" in lines
    assert sum("…" in x and x.split()[0] in ("high", "medium", "low") for x in lines) == 4  # one line per approval
