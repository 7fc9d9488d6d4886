"""Approval drain detector on hand-built ledgers: the typology and its benign look-alikes."""

from __future__ import annotations

import duckdb

from tests.ledger_builder import Ledger
from pigtrace.detect.run import analyze


def roles(con) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for address, role in con.execute("SELECT address, role FROM findings").fetchall():
        out.setdefault(role, set()).add(address)
    return out


def run(led: Ledger) -> dict[str, set[str]]:
    con = led.write(duckdb.connect())
    analyze(con, only=["approval_drain"])
    return roles(con)


def exchange(led: Ledger) -> str:
    hot = led.addr("exchange_hot")
    led.label(hot, "Binance 14", "exchange", concepts=["exchange"])
    return hot


def drain_story(led: Ledger, victim: str, spender: str, collector: str, payer: str | None,
                deposit: float = 1000, topup: float = 2000, fraction: float = 1.0) -> str:
    """A victim buys USDT, approves ``spender``, gets interest from ``payer``, tops up, is drained."""
    hot = exchange(led)
    led.transfer(hot, victim, deposit)
    led.approve(victim, spender)
    interest = 0.0
    for _ in range(3):
        led.wait(days=1)
        if payer:
            led.transfer(payer, victim, 12.5)
            interest += 12.5
    led.transfer(hot, victim, topup)
    led.wait(days=2)
    h = led.tx(spender, to="USDT", method="transferFrom")
    led.transfer(victim, collector, (deposit + topup + interest) * fraction, tx=h)
    return h


def test_drain_with_interest_flags_victim_collector_spender_and_payer():
    led = Ledger()
    drain_story(led, "victim", "spender", "collector", payer="interest_payer")
    found = run(led)
    assert found["victim"] == {led.addr("victim")}
    assert found["scam_collection"] == {led.addr("collector")}
    assert found["scam_operator"] == {led.addr("spender"), led.addr("interest_payer")}
    assert led.addr("exchange_hot") not in set().union(*found.values())


def test_drain_evidence_names_the_approval_and_the_drain():
    led = Ledger()
    h = drain_story(led, "victim", "spender", "collector", payer="interest_payer")
    con = led.write(duckdb.connect())
    analyze(con, only=["approval_drain"])
    import json

    ev, reasons = con.execute(
        "SELECT evidence, reasons FROM findings WHERE role = 'victim'").fetchone()
    ev = json.loads(ev)
    notes = " ".join(e["note"] for e in ev)
    assert h in [e["tx_hash"] for e in ev]
    assert "approved" in notes and "interest" in notes
    drain = next(e for e in ev if e["tx_hash"] == h)
    assert drain["amount"] == "3037.5" and drain["usd"] == 3037.5 and drain["symbol"] == "USDT"
    assert "Approval drain" in json.loads(reasons)[0]


def test_contract_spender_draining_two_owners_through_an_operator():
    led = Ledger()
    hot = exchange(led)
    for v in ("v1", "v2"):
        led.transfer(hot, v, 700 if v == "v1" else 4100)
        led.approve(v, "drainer_contract")
    led.wait(days=5)
    for v, amt in (("v1", 700), ("v2", 4100)):
        h = led.tx("operator", to="drainer_contract", method="0x1cff79cd")
        led.transfer(v, "collector", amt, tx=h)
    found = run(led)
    assert found["victim"] == {led.addr("v1"), led.addr("v2")}
    assert found["scam_collection"] == {led.addr("collector")}
    assert found["scam_operator"] == {led.addr("drainer_contract"), led.addr("operator")}


def test_permit2_drain_names_the_permit2_spender_not_permit2():
    led = Ledger()
    hot = exchange(led)
    permit2 = led.addr("permit2")
    led.label(permit2, "Uniswap Permit2", "defi_dex")
    led.transfer(hot, "victim", 5000)
    led.approve("victim", permit2)  # the owner's allowance to Permit2 itself
    h = led.tx("spender", to=permit2, method="permit")
    led.approve("victim", "spender", kind="permit2", contract=permit2, tx=h)
    led.wait(days=1)
    h = led.tx("spender", to=permit2, method="transferFrom")
    led.transfer("victim", "collector", 5000, tx=h)
    found = run(led)
    assert found["victim"] == {led.addr("victim")}
    assert found["scam_operator"] == {led.addr("spender")}


def test_lone_contract_drain_swept_onward_is_caught():
    led = Ledger()
    hot = exchange(led)
    led.transfer(hot, "victim", 2500)
    led.approve("victim", "drainer_contract")
    led.wait(days=4)
    h = led.tx("caller", to="drainer_contract", method="0x12345678")
    led.transfer("victim", "receiver", 2500, tx=h)
    led.wait(hours=5)
    led.transfer("receiver", "consolidation", 2490)
    found = run(led)
    assert found["victim"] == {led.addr("victim")}
    assert found["scam_collection"] == {led.addr("receiver")}


def test_erc2612_permit_drain_in_one_transaction():
    led = Ledger()
    hot = exchange(led)
    led.transfer(hot, "victim", 900, token="USDC")
    h = led.tx("spender", to="USDC", method="multicall")  # permit(...) then transferFrom(...)
    led.approve("victim", "spender", token="USDC", tx=h)
    led.transfer("victim", "collector", 900, token="USDC", tx=h)
    found = run(led)
    assert found["victim"] == {led.addr("victim")}
    assert found["scam_operator"] == {led.addr("spender")}


def test_tron_drain():
    led = Ledger("tron")
    led.transfer("exchange_hot", "victim", 1800)
    led.approve("victim", "spender")
    led.wait(days=2)
    led.transfer("victim", "collector", 1800, initiator="spender")
    found = run(led)
    assert found["victim"] == {led.addr("victim")} and found["victim"].pop().startswith("T")
    assert found["scam_collection"] == {led.addr("collector")}


# ------------------------------------------------ Tron from TronGrid: transfers with signers, no approvals
def test_tron_drain_without_approval_records_is_found_from_the_pull_itself():
    led = Ledger("tron")
    for v, amount in (("v1", 1800), ("v2", 5200)):
        led.transfer("exchange_hot", v, amount)
        for _ in range(3):
            led.wait(days=1)
            led.transfer("interest_payer", v, 20)
    led.wait(days=2)
    for v, amount in (("v1", 1860), ("v2", 5260)):
        led.transfer(v, "collector", amount, initiator="spender")  # transferFrom signed by the spender
    assert led.approvals == []
    found = run(led)
    assert found["victim"] == {led.addr("v1"), led.addr("v2")}
    assert found["scam_collection"] == {led.addr("collector")}
    assert found["scam_operator"] == {led.addr("spender"), led.addr("interest_payer")}
    assert led.addr("exchange_hot") not in set().union(*found.values())
    con = led.write(duckdb.connect())
    analyze(con, only=["approval_drain"])
    notes = con.execute("SELECT evidence FROM findings WHERE role = 'victim'").fetchone()[0]
    assert "no approval is on record" in notes


def test_tron_lone_drain_through_a_drainer_contract_without_approval_records():
    led = Ledger("tron")
    led.transfer("exchange_hot", "victim", 2500)
    led.wait(days=4)
    h = led.tx("caller", to="drainer_contract", method="0x12345678")
    led.transfer("victim", "receiver", 2500, tx=h)
    led.wait(hours=5)
    led.transfer("receiver", "consolidation", 2490)
    found = run(led)
    assert found["victim"] == {led.addr("victim")}
    assert found["scam_collection"] == {led.addr("receiver")}
    assert found["scam_operator"] == {led.addr("drainer_contract"), led.addr("caller")}


def test_tron_counterfeit_token_transfers_out_of_an_empty_address_are_no_pulls():
    # a fake "USDT" emits transfers from addresses that never held it (address poisoning); without
    # approval records these look like third-party pulls, but there was nothing to pull
    led = Ledger("tron")
    fake = led.token("fake_usdt", symbol="USDT", decimals=6)
    for i in range(3):
        led.transfer(f"lookalike{i}", f"target{i}", 1500 + i, token=fake, initiator="poisoner")
    assert run(led) == {}


def test_tron_solver_settlement_without_approval_records_is_quiet():
    led = Ledger("tron")
    for user in ("u1", "u2", "u3"):
        led.transfer("exchange_hot", user, 800)
    led.wait(days=1)
    for user in ("u1", "u2", "u3"):  # each sells the whole balance; the solver signs the tx
        h = led.tx("solver", to="settlement", method="settle")
        led.transfer(user, "settlement", 800, tx=h)
        led.transfer("settlement", "pool", 800, tx=h)
        led.transfer("pool", "settlement", 799, token="USDC", tx=h)
        led.transfer("settlement", user, 799, token="USDC", tx=h)
    assert run(led) == {}


def test_tron_subscription_pulls_without_approval_records_are_quiet():
    led = Ledger("tron")
    for i, balance in enumerate((115.58, 22.8, 101.3, 99.0)):  # one pull each, at the plan's price
        led.transfer("exchange_hot", f"sub{i}", balance)
        led.transfer(f"sub{i}", "merchant", 99.0 if i != 1 else 19.0, initiator="merchant")
    for user, balance in (("s1", 500), ("s2", 9.99)):  # the same amount pulled month after month
        led.transfer("exchange_hot", user, balance)
    for _ in range(4):
        led.wait(days=30)
        led.transfer("exchange_hot", "s2", 9.99)
        for user in ("s1", "s2"):
            led.transfer(user, "merchant_treasury", 9.99, initiator="merchant_biller")
    assert run(led) == {}


def test_tron_exchange_sweeps_and_dex_swaps_without_approval_records_are_quiet():
    led = Ledger("tron")
    hot = exchange(led)
    for i in range(3):  # the exchange sweeps its deposit addresses by allowance
        led.transfer(f"customer{i}", f"deposit{i}", 250 + i)
        led.transfer(f"deposit{i}", hot, 250 + i, initiator=hot)
    for trader in ("t1", "t2"):  # a router swap: the pool pays out in a tx the trader signed
        led.transfer(hot, trader, 1000)
        h = led.tx(trader, to="router", method="swap")
        led.transfer(trader, "pool", 1000, tx=h)
        led.transfer("pool", trader, 999, token="USDC", tx=h)
    assert run(led) == {}


# ------------------------------------------------------------------------------------ benign look-alikes
def test_solver_settled_swap_returning_the_bought_token_is_quiet():
    led = Ledger()
    hot = exchange(led)
    relayer, settlement = led.addr("vault_relayer"), led.addr("settlement")
    for user in ("u1", "u2", "u3"):
        led.transfer(hot, user, 800)
        led.approve(user, relayer)
    led.wait(days=1)
    for user in ("u1", "u2", "u3"):  # each sells the whole balance; the solver sends the tx
        h = led.tx("solver", to=settlement, method="settle")
        led.transfer(user, settlement, 800, tx=h)
        led.transfer(settlement, "pool", 800, tx=h)
        led.transfer("pool", settlement, 0.32, token="WETH", tx=h)
        led.transfer(settlement, user, 0.32, token="WETH", tx=h)
    assert run(led) == {}


def test_solver_trade_paid_out_in_ether_with_a_swap_in_the_tx_is_quiet():
    led = Ledger()
    hot = exchange(led)
    for user in ("u1", "u2"):
        led.transfer(hot, user, 300)
        led.approve(user, "vault_relayer")
    for user in ("u1", "u2"):  # ETH goes back by an internal call ethereum-etl does not show
        h = led.tx("solver", to="settlement", method="settle")
        led.transfer(user, "settlement", 300, tx=h)
        led.swap("settlement", "pool", "USDT", 300, "WETH", 0.12, tx=h)
    assert run(led) == {}


def test_intent_filled_by_an_eoa_filler_is_quiet():
    led = Ledger()
    hot = exchange(led)
    led.transfer(hot, "user", 1500)
    led.approve("user", "reactor")
    h = led.tx("filler", to="reactor", method="execute")
    led.transfer("user", "filler", 1500, tx=h)
    led.transfer("filler", "user", 1499, token="USDC", tx=h)
    assert run(led) == {}


def test_subscription_pulls_are_quiet():
    led = Ledger()
    hot = exchange(led)
    merchant = led.addr("merchant_contract")
    for user, balance in (("s1", 500), ("s2", 9.99)):
        led.transfer(hot, user, balance)
        led.approve(user, merchant, 1000)
    for _ in range(4):
        led.wait(days=30)
        led.transfer(hot, "s2", 9.99)  # s2 tops up exactly the price each month
        for user in ("s1", "s2"):
            h = led.tx("merchant_biller", to=merchant, method="0x7c2c8c8a")
            led.transfer(user, "merchant_treasury", 9.99, tx=h)
    assert run(led) == {}


def test_one_pull_per_subscriber_at_the_plan_price_is_quiet():
    # a month-long ledger: each subscriber is charged once, most of a small balance, by a plain-account
    # merchant that also receives the money -- only the shared price tells it from a drain ring
    led = Ledger()
    hot = exchange(led)
    for i, balance in enumerate((115.58, 22.8, 101.3, 99.0)):
        led.transfer(hot, f"sub{i}", balance)
        led.approve(f"sub{i}", "merchant")
        h = led.tx("merchant", to="USDT", method="transferFrom")
        led.transfer(f"sub{i}", "merchant", 99.0 if i != 1 else 19.0, tx=h)
    assert run(led) == {}


def test_dex_router_swaps_sent_by_the_owner_are_quiet():
    led = Ledger()
    hot = exchange(led)
    led.transfer(hot, "trader", 1000)
    led.approve("trader", "router")
    led.swap("trader", "pool", "USDT", 1000, "WETH", 0.4, router="router")
    assert run(led) == {}


def test_exchange_sweeping_its_deposit_addresses_by_allowance_is_quiet():
    led = Ledger()
    hot = exchange(led)
    for i in range(3):
        deposit = f"deposit{i}"
        led.transfer(f"customer{i}", deposit, 250 + i)
        led.approve(deposit, hot)
        h = led.tx(hot, to="USDT", method="transferFrom")
        led.transfer(deposit, hot, 250 + i, tx=h)
    assert run(led) == {}


def test_unlabelled_bridge_taking_custody_by_relayed_permits_is_quiet():
    # users sign permits; a relayer submits them; the bridge contract keeps the tokens and later releases
    # them in bulk (the value reappears on another chain)
    led = Ledger()
    hot = exchange(led)
    for user in ("b1", "b2", "b3"):
        led.transfer(hot, user, 400 + len(user))
        h = led.tx("relayer", to="bridge", method="multicall")
        led.approve(user, "bridge", tx=h)
        led.transfer(user, "bridge", 400 + len(user), tx=h)
    led.wait(hours=6)
    led.transfer("bridge", "bridge_liquidity", 1200)
    assert run(led) == {}


def test_partial_pull_without_other_signals_is_quiet():
    led = Ledger()
    hot = exchange(led)
    led.transfer(hot, "user", 1000)
    led.approve("user", "vault_contract")
    h = led.tx("keeper", to="vault_contract", method="0x2e1a7d4d")
    led.transfer("user", "vault_contract", 300, tx=h)
    assert run(led) == {}
