"""`pigtrace audit` against a real EVM node: allowances made and used on anvil, ingested with `ingest rpc`,
then audited; the revoke calls the audit gives are sent back to the node from the owner's account and the
next audit no longer shows those allowances (the calldata works, not just looks right).

The story (one module-scoped node; every test ingests into its own warehouse):
  owner gets 10,000 PUSD;
  approve(eoa_spender, unlimited); the EOA spender pulls 500 (unlimited stays unlimited);
  approve(puller contract, 3,000); an operator calls the puller, which pulls 1,200 (1,800 left);
  approve(zeroed, 777), a minute later approve(zeroed, 0) (gone);
  approve(Permit2, unlimited); Permit2 approve(token, p2_expired, 2,000, in 10 minutes) (expired an hour
  later); Permit2 approve(token, p2_live, 5,000, in 10 days); p2_live pulls 1,000 through Permit2 (4,000 left);
  Permit2 approve(token, p2_forever, 100, type(uint48).max) (never expires).
  Balance at the end: 10,000 - 500 - 1,200 - 1,000 = 7,300 PUSD.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pigtrace.audit.wallet import audit_wallet
from pigtrace.chains.prices import import_prices
from pigtrace.ingest.rpc import ingest_rpc
from pigtrace.store.warehouse import connect
from tests.evm_node import CONTRACTS, UNLIMITED, Anvil, Compiled, compile_contract, pig_token, rpc

UNIT = 10**6  # PUSD has 6 decimals


@dataclass
class World:
    url: str
    token: str
    permit2: str
    puller: str
    owner: str
    eoa_spender: str
    zeroed: str
    p2_expired: str
    p2_live: str
    p2_forever: str
    operator: str
    before_zeroing: datetime
    before_expiry: datetime
    end: datetime
    last_block: int


def _helpers(workdir: Path) -> dict[str, Compiled]:
    import json

    out = workdir / "helpers"
    permit2 = compile_contract(CONTRACTS / "AuditHelpers.sol", "MiniPermit2", out)
    (abi,) = out.glob("*Puller.abi")
    (bin_,) = out.glob("*Puller.bin")
    return {"MiniPermit2": permit2, "Puller": Compiled(json.loads(abi.read_text()), "0x" + bin_.read_text().strip())}


def _block_time(w3, receipt) -> datetime:
    ts = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    return datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None)


def play(url: str, workdir: Path) -> World:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    deployer, owner, eoa_spender, operator, other, p2_live, p2_expired, zeroed, p2_forever = w3.eth.accounts[:9]
    mined = lambda tx: w3.eth.wait_for_transaction_receipt(tx, timeout=30)  # noqa: E731

    def deploy(c: Compiled, *args):
        factory = w3.eth.contract(abi=c.abi, bytecode=c.bytecode)
        address = mined(factory.constructor(*args).transact({"from": deployer}))["contractAddress"]
        return w3.eth.contract(address=address, abi=c.abi)

    helpers = _helpers(workdir)
    token = deploy(pig_token(workdir), "Pig USD", "PUSD", 6, 1_000_000 * UNIT)
    permit2, puller = deploy(helpers["MiniPermit2"]), deploy(helpers["Puller"])
    mined(token.functions.transfer(owner, 10_000 * UNIT).transact({"from": deployer}))

    mined(token.functions.approve(eoa_spender, UNLIMITED).transact({"from": owner}))
    mined(token.functions.transferFrom(owner, other, 500 * UNIT).transact({"from": eoa_spender}))

    mined(token.functions.approve(puller.address, 3_000 * UNIT).transact({"from": owner}))
    mined(puller.functions.pull(token.address, owner, other, 1_200 * UNIT).transact({"from": operator}))

    mined(token.functions.approve(zeroed, 777 * UNIT).transact({"from": owner}))
    rpc(url, "evm_increaseTime", [60])
    zeroing = mined(token.functions.approve(zeroed, 0).transact({"from": owner}))
    before_zeroing = _block_time(w3, zeroing) - timedelta(seconds=30)

    mined(token.functions.approve(permit2.address, UNLIMITED).transact({"from": owner}))
    now = w3.eth.get_block("latest")["timestamp"]
    p2 = mined(permit2.functions.approve(token.address, p2_expired, 2_000 * UNIT, now + 600).transact({"from": owner}))
    mined(permit2.functions.approve(token.address, p2_live, 5_000 * UNIT, now + 10 * 86400).transact({"from": owner}))
    mined(permit2.functions.transferFrom(owner, p2_live, 1_000 * UNIT, token.address).transact({"from": p2_live}))
    mined(permit2.functions.approve(token.address, p2_forever, 100 * UNIT, 2**48 - 1).transact({"from": owner}))
    before_expiry = _block_time(w3, p2) + timedelta(seconds=60)
    rpc(url, "evm_increaseTime", [3600])
    rpc(url, "evm_mine")
    assert token.functions.balanceOf(owner).call() == 7_300 * UNIT
    assert token.functions.allowance(owner, puller.address).call() == 1_800 * UNIT
    last = w3.eth.get_block("latest")
    low = lambda a: a.lower()  # noqa: E731
    return World(url, low(token.address), low(permit2.address), low(puller.address), low(owner), low(eoa_spender),
                 low(zeroed), low(p2_expired), low(p2_live), low(p2_forever), low(operator), before_zeroing,
                 before_expiry, datetime.fromtimestamp(last["timestamp"], timezone.utc).replace(tzinfo=None),
                 last["number"])


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with Anvil() as n:
        yield n, play(n.url, tmp_path_factory.mktemp("solc"))


def _warehouse(world: World, path: Path, price: bool = True):
    con = connect(path)
    ingest_rpc(con, world.url, 0, world.last_block)
    if price:
        prices = path.parent / "prices.csv"
        prices.write_text("date,asset,usd\n" + "".join(
            f"{(world.end - timedelta(days=d)).date()},ethereum:{world.token},1.0\n" for d in (0, 1)))
        import_prices(con, prices)
    return con


def _receipt(url: str, tx: str) -> dict:
    for _ in range(200):
        receipt = rpc(url, "eth_getTransactionReceipt", [tx])
        if receipt is not None:
            return receipt
        time.sleep(0.05)
    raise AssertionError(f"{tx} was not mined")


def _by_spender(result: dict) -> dict[tuple[str, str], dict]:
    return {(a["kind"], a["spender"]): a for a in result["allowances"]}


def test_outstanding_allowances_value_at_risk_and_reasons(node, tmp_path):
    _, w = node
    con = _warehouse(w, tmp_path / "w.duckdb")
    result = audit_wallet(con, w.owner, at=w.end)
    found = _by_spender(result)
    # exactly these: the zeroed approval and the expired Permit2 one are gone
    assert set(found) == {("erc20", w.eoa_spender), ("erc20", w.puller), ("erc20", w.permit2), ("permit2", w.p2_live),
                          ("permit2", w.p2_forever)}
    raw = {k: (a["amount_raw"], a["unlimited"], a["balance_raw"], a["value_at_risk_raw"]) for k, a in found.items()}
    balance = str(7_300 * UNIT)
    assert raw == {
        ("erc20", w.eoa_spender): (str(UNLIMITED), True, balance, balance),  # unlimited, not lowered by the pull
        ("erc20", w.puller): (str(1_800 * UNIT), False, balance, str(1_800 * UNIT)),
        ("erc20", w.permit2): (str(UNLIMITED), True, balance, balance),
        ("permit2", w.p2_live): (str(4_000 * UNIT), False, balance, str(4_000 * UNIT)),
        ("permit2", w.p2_forever): (str(100 * UNIT), False, balance, str(100 * UNIT)),
    }
    assert found[("permit2", w.p2_forever)]["expiration"] is None  # type(uint48).max: never
    assert found[("erc20", w.puller)]["spent_raw"] == str(1_200 * UNIT)
    taken = {(t["by"], t["via"], t["amount"], t["flagged"]) for t in result["taken_by_others"]}
    assert taken == {(w.eoa_spender, w.token, "500 PUSD", False), (w.operator, w.puller, "1,200 PUSD", False),
                     (w.p2_live, w.permit2, "1,000 PUSD", False)}
    assert found[("erc20", w.eoa_spender)]["already_taken"] == "500 PUSD"
    assert found[("permit2", w.p2_live)]["expiration"] is not None
    assert found[("erc20", w.puller)]["amount"] == "1,800 PUSD"
    assert found[("erc20", w.eoa_spender)]["value_at_risk_usd"] == pytest.approx(7_300.0)
    assert result["summary"]["value_at_risk_usd"] == pytest.approx(7_300.0)  # one balance, taken once

    eoa = found[("erc20", w.eoa_spender)]
    assert eoa["risk"] == "high" and eoa["spender_kind"] == "plain wallet"
    assert any(r.startswith("it is a plain wallet") for r in eoa["reasons"])
    assert found[("erc20", w.puller)]["spender_kind"] == "contract"
    assert found[("erc20", w.puller)]["risk"] == "low"
    assert any("Permit2 contract" in r for r in found[("erc20", w.permit2)]["reasons"])
    assert result["allowances"][0]["risk"] == "high"  # riskiest first

    assert eoa["revoke"] == {
        "contract": w.token, "function": "approve(address,uint256)", "args": [w.eoa_spender, 0],
        "call": f"approve({w.eoa_spender}, 0)",
        "calldata": "0x095ea7b3" + "0" * 24 + w.eoa_spender[2:] + "0" * 64}
    p2 = found[("permit2", w.p2_live)]["revoke"]
    assert p2["contract"] == w.permit2 and p2["function"] == "approve(address,address,uint160,uint48)"
    assert p2["calldata"].startswith("0x87517c45")
    assert any("Revoke the PUSD approval to" in line for line in result["advice"])


def test_audit_as_of_an_earlier_time(node, tmp_path):
    _, w = node
    con = _warehouse(w, tmp_path / "w.duckdb", price=False)
    then = _by_spender(audit_wallet(con, w.owner, at=w.before_zeroing))
    assert then[("erc20", w.zeroed)]["amount_raw"] == str(777 * UNIT)  # not yet zeroed then
    assert ("permit2", w.p2_live) not in then
    before_expiry = _by_spender(audit_wallet(con, w.owner, at=w.before_expiry))
    assert before_expiry[("permit2", w.p2_expired)]["amount_raw"] == str(2_000 * UNIT)  # not yet expired then
    assert ("erc20", w.zeroed) not in before_expiry


def test_revoke_calls_sent_to_the_node_remove_the_allowances(node, tmp_path):
    n, w = node
    con = _warehouse(w, tmp_path / "w.duckdb", price=False)
    found = _by_spender(audit_wallet(con, w.owner, at=w.end))
    for key in (("erc20", w.eoa_spender), ("permit2", w.p2_live)):
        call = found[key]["revoke"]
        tx = rpc(n.url, "eth_sendTransaction", [{"from": w.owner, "to": call["contract"], "data": call["calldata"]}])
        assert _receipt(n.url, tx)["status"] == "0x1"
    head = int(rpc(n.url, "eth_blockNumber"), 16)
    ingest_rpc(con, n.url, w.last_block + 1, head)
    later = datetime.fromtimestamp(int(rpc(n.url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16),
                                   timezone.utc).replace(tzinfo=None)
    after = _by_spender(audit_wallet(con, w.owner, at=later))
    assert set(after) == {("erc20", w.puller), ("erc20", w.permit2), ("permit2", w.p2_forever)}
    # and the node agrees: the allowances are zero on chain
    allowance = "0xdd62ed3e" + "0" * 24 + w.owner[2:] + "0" * 24 + w.eoa_spender[2:]
    assert int(rpc(n.url, "eth_call", [{"to": w.token, "data": allowance}, "latest"]), 16) == 0
