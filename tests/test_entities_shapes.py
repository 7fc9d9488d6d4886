"""Exchange shapes on hand-made ledgers, each beside its scam look-alike: an exchange's forwarder against a mule's
account that a ring's one-off hops pay, and an unlabelled exchange whose hot wallet pays fewer than twice as
many addresses as pay it against a ring's consolidation wallet that pays a few of its victims back. (A ring
paying most of its victims back from its consolidation wallet, and 1.5 times as many addresses as feed it,
would be taken for an exchange: see entities/behaviour.HUB_ROUND_TRIPS.) And an exchange some of whose
customers withdraw to fresh wallets that pass it all on, against a ring's consolidation wallet that fans its
takings out through fresh hops (entities/behaviour.HUB_ONE_OFF).

Each pair is the same flow shape but for the one thing the exchange's customers do and a ring's wallets do not
(come back; deposit and withdraw again), so each test fails if the rule either loses the exchange or takes the
ring for one."""

from __future__ import annotations

import duckdb

from pigtrace.entities import table
from tests.ledger_builder import Ledger


def _entities(led: Ledger) -> dict[str, tuple[str, str | None]]:
    con = led.write(duckdb.connect())
    table.build(con)
    return {a: (k, c) for a, k, c in con.execute("SELECT address, kind, category FROM entities").fetchall()}


def _sweeping_accounts(led: Ledger, into: str, n: int, come_back: bool | int) -> list[str]:
    """``n`` wallets, each paid by a different payer and passing all of it on to ``into`` at once;
    with ``come_back`` each (or, a number, that many of them) is paid and sweeps again the next day. ``into``
    sweeps in batches of three."""
    returning = n if come_back is True else int(come_back)
    accounts = []
    for i in range(n):
        acct = led.addr(f"{into}-account-{i}")
        accounts.append(acct)
        for _ in range(2 if i < returning else 1):
            led.transfer(f"{into}-payer-{i}", acct, 1_000 + 10 * i)
            led.transfer(acct, into, 1_000 + 10 * i)
            led.wait(days=1)
        if i % 3 == 2:
            led.transfer(into, "hot", 3 * (1_000 + 10 * i))
    return accounts


def test_a_forwarder_is_fed_by_accounts_that_come_back_a_mule_by_hops_that_do_not():
    led = Ledger("ethereum")
    led.label("hot", "Exchange A: hot wallet", "exchange", actor="Exchange A")
    customers = _sweeping_accounts(led, "forwarder", 15, come_back=True)
    hops = _sweeping_accounts(led, "mule", 15, come_back=False)
    ent = _entities(led)

    assert ent[led.addr("forwarder")] == ("exchange_hot_wallet", "forwarder")
    assert all(ent.get(a, ("",))[0] == "exchange_deposit" for a in customers)
    # the mule's account is an exchange account (it sweeps to the exchange), and the hops are no accounts
    assert ent[led.addr("mule")][0] == "exchange_deposit"
    assert not any(ent.get(a, ("",))[0] == "exchange_deposit" for a in hops)


def test_a_mule_whose_hops_pay_it_twice_now_and_then_is_no_forwarder():
    """Two of a mule account's 15 one-off hops pay it again a day later (a launderer's hop taking a second
    tranche): a forwarder's feeders are its exchange's customers, a fifth or more of whom come back
    (FORWARDER_REPEAT; the simulator's forwarders 0.28 to 0.82). At a tenth the mule was taken for a forwarder
    and its hops for exchange accounts (the second generator's worlds: 24 hops named cash-out)."""
    led = Ledger("ethereum")
    led.label("hot", "Exchange A: hot wallet", "exchange", actor="Exchange A")
    hops = _sweeping_accounts(led, "mule", 15, come_back=2)
    ent = _entities(led)

    assert ent[led.addr("mule")][0] == "exchange_deposit"
    assert not any(ent.get(a, ("",))[0] == "exchange_deposit" for a in hops)


def _unlabelled_exchange(led: Ledger, n: int) -> None:
    """An exchange with one hot wallet, nobody's label: ``n`` customers deposit through their accounts, and it
    pays withdrawals back to all but one of them and to ``n // 2 + 2`` other addresses (payees 1.5-2x its payers)."""
    for i in range(n):
        led.transfer(f"customer-{i}", f"account-{i}", 500 + i)
        led.transfer(f"account-{i}", "exchange", 500 + i)
        led.wait(hours=2)
    for i in range(n - 1):
        led.transfer("exchange", f"customer-{i}", 200 + i)
    for i in range(n // 2 + 2):
        led.transfer("exchange", f"withdrawal-{i}", 300 + i)


def _ring(led: Ledger, n: int, paid_back: int, hops: int) -> None:
    """A ring's consolidation wallet fed by ``n`` per-victim deposit wallets; it pays 'profits' to ``paid_back``
    victims and moves the money on through ``hops`` wallets."""
    for i in range(n):
        led.transfer(f"victim-{i}", f"deposit-{i}", 5_000 + i)
        led.transfer(f"deposit-{i}", "consolidation", 5_000 + i)
        led.wait(hours=2)
    for i in range(paid_back):
        led.transfer("consolidation", f"victim-{i}", 50)
    for i in range(hops):
        led.transfer("consolidation", f"hop-{i}", 4_000)


def test_an_exchange_whose_customers_deposit_and_withdraw_is_found_a_ring_paying_some_victims_back_is_not():
    led = Ledger("ethereum")
    _unlabelled_exchange(led, 40)  # 40 payers, 61 payees (1.53x), 39 of them customers
    _ring(led, 40, paid_back=16, hops=50)  # 40 payers, 66 payees (1.65x), 16 of them its victims
    ent = _entities(led)

    assert ent[led.addr("exchange")][0] == "exchange_hot_wallet"
    assert all(ent.get(led.addr(f"account-{i}"), ("",))[0] == "exchange_deposit" for i in range(40))
    assert led.addr("consolidation") not in ent
    assert not any(led.addr(f"deposit-{i}") in ent for i in range(40))



def test_a_ring_fanning_out_through_fresh_hops_is_no_exchange_an_exchange_with_a_few_such_customers_is():
    led = Ledger("ethereum")
    _unlabelled_exchange(led, 30)  # 30 payers, 46 payees (1.53x), 29 of them customers
    for i in range(5):  # five of its withdrawals go to fresh wallets that pass it all on at once
        led.transfer(f"withdrawal-{i}", f"onward-{i}", 299 + i)
    _ring(led, 30, paid_back=14, hops=0)
    for i in range(71):  # 85 payees (2.8x its payers), 14 of them its victims, 71 one-off hops passing it on
        led.transfer("consolidation", f"hop-{i}", 2_000)
        led.transfer(f"hop-{i}", f"next-{i}", 1_990)
    ent = _entities(led)

    assert ent[led.addr("exchange")][0] == "exchange_hot_wallet"
    assert all(ent.get(led.addr(f"account-{i}"), ("",))[0] == "exchange_deposit" for i in range(30))
    assert led.addr("consolidation") not in ent
    assert not any(led.addr(f"deposit-{i}") in ent for i in range(30))
