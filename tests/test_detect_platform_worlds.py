"""Hand-made ledgers for the flow detectors (fake platform, laundering, cash-out) and their benign
look-alikes, built with ``tests.ledger_builder.Ledger``. Each builder adds one actor group to a ledger
and returns the names of the addresses that should (or should not) be found; the detector tests combine
them. The tests here only check the worlds are what they claim to be."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from tests.ledger_builder import Ledger

START = Ledger().start


def exchange(led: Ledger, name: str = "binance_hot") -> str:
    if not any(row[1] == led.addr(name) for row in led.labels):
        led.label(name, f"{name} hot wallet", "exchange", source="test exchange pack")
    return name


def deposit_account(led: Ledger, name: str, hot: str, at: timedelta) -> None:
    """``name`` is an exchange deposit address: sweep whatever it holds to ``hot``."""
    led.transfer(name, hot, 1, at=at)  # the sweep (amount does not matter for recognising it)


def fake_platform(led: Ledger, tag: str = "pf", victims: int = 6, fresh_addresses: bool = False,
                  hot: str = "binance_hot", payout_from_platform: bool = False, exchange_paid: int = 0) -> dict:
    """A fake trading platform: each victim buys USDT at the exchange, pays a small first deposit, gets
    a small 'profit' back from the payout wallet, escalates over ~5 weeks, then pays round 'taxes'. The
    platform wallet sweeps each deposit to a consolidation wallet within two hours.
    ``fresh_addresses``: every victim gets its own deposit address (all sweeping to one consolidation).
    ``exchange_paid``: that many more victims order their exchange to pay the platform (the hot wallet
    sends; the victim's exchange deposit account only shows the inducement it received)."""
    cons = f"{tag}_consolidation"
    payout = f"{tag}_platform" if payout_from_platform else f"{tag}_payout"
    out = {"collection": set(), "victims": set(), "operators": set(), "consolidation": cons}
    if not payout_from_platform:
        out["operators"].add(payout)
    for i in range(victims):
        v = f"{tag}_victim{i}"
        platform = f"{tag}_platform{i}" if fresh_addresses else f"{tag}_platform"
        out["victims"].add(v)
        out["collection"].add(platform)
        day0 = timedelta(days=2 * i, hours=3 * i)
        deposits = [150 + 10 * i, 800, 2500 + 100 * i, 6000]
        led.transfer(hot, v, sum(deposits) + 5000, at=day0)
        for k, amount in enumerate(deposits):
            t = day0 + timedelta(days=1 + 7 * k, hours=1)
            led.transfer(v, platform, amount, at=t)
            led.transfer(platform, cons, amount, at=t + timedelta(hours=1 + k % 2))
            if k == 0:
                led.transfer(payout if not payout_from_platform else platform, v, 12 + i, at=t + timedelta(days=2))
        for j, tax in enumerate((3000, 1500)):  # "tax" and "unlock fee": round numbers at the end
            t = day0 + timedelta(days=30 + 3 * j)
            led.transfer(v, platform, tax, at=t)
            led.transfer(platform, cons, tax, at=t + timedelta(hours=2))
    for i in range(exchange_paid):
        v = f"{tag}_exchange_victim{i}"  # the victim's deposit account at the exchange
        platform = f"{tag}_platform_x{i}" if fresh_addresses else f"{tag}_platform"
        out["victims"].add(v)
        out["collection"].add(platform)
        day0 = timedelta(days=1 + 3 * i, hours=5)
        for k, amount in enumerate((200, 900, 2600, 7000, 2000)):
            t = day0 + timedelta(days=7 * k)
            led.transfer(hot, platform, amount, at=t)
            led.transfer(platform, cons, amount, at=t + timedelta(hours=1))
            if k == 0:
                led.transfer(payout, v, 25, at=t + timedelta(days=1))
                deposit_account(led, v, hot, t + timedelta(days=1, hours=2))
    return out


def laundering_chain(led: Ledger, cons: str, tag: str = "ln", hot: str = "binance_hot",
                     pool: str = "uni_pool") -> dict:
    """From the consolidation wallet: a splitter to three wallets, a peel chain of three hops peeling to
    mule deposit accounts, a USDT->WETH swap, and final deposits; a gas funder tops up the wallets."""
    t0 = timedelta(days=50)
    split = [f"{tag}_split{i}" for i in range(3)]
    hops = [f"{tag}_hop{i}" for i in range(3)]
    mules = [f"{tag}_mule{i}" for i in range(4)]
    funder = f"{tag}_gas_funder"
    tron = led.chain == "tron"
    gas, coin = (30 if tron else 0.02), ("USDC" if tron else "WETH")
    for i, w in enumerate([cons, *split, *hops]):
        led.transfer(funder, w, gas, token="native", at=t0 - timedelta(hours=10 - i))
    usdt = led.token_address("USDT")
    total = sum(t[9] for t in led.transfers if t[8] == led.addr(cons) and t[5] == usdt) // 10**6
    a, b = int(total * 0.43), int(total * 0.32)
    c = total - a - b
    led.transfer(cons, split[0], a, at=t0)
    led.transfer(cons, split[1], b, at=t0 + timedelta(minutes=5))
    led.transfer(cons, split[2], c, at=t0 + timedelta(minutes=9))
    # split0 -> peel chain; each hop peels a part to a mule deposit account, passes the rest on
    p0, p1 = a // 7, a // 6
    led.transfer(split[0], hops[0], a, at=t0 + timedelta(hours=1))
    led.transfer(hops[0], mules[0], p0, at=t0 + timedelta(hours=2))
    led.transfer(hops[0], hops[1], a - p0, at=t0 + timedelta(hours=2, minutes=1))
    led.transfer(hops[1], mules[1], p1, at=t0 + timedelta(hours=3))
    led.transfer(hops[1], hops[2], a - p0 - p1, at=t0 + timedelta(hours=3, minutes=1))
    led.transfer(hops[2], mules[2], a - p0 - p1, at=t0 + timedelta(hours=4))
    # split1 swaps the USDT for another coin on a DEX pool, then sends that to a mule deposit
    coin_amount = b if tron else round(b / 2500, 4)
    led.swap(split[1], pool, "USDT", b, coin, coin_amount)
    led.transfer(split[1], mules[3], coin_amount, token=coin, at=t0 + timedelta(hours=5))
    # split2 goes straight to a mule
    led.transfer(split[2], mules[0], c, at=t0 + timedelta(hours=6))
    for k, m in enumerate(mules):
        deposit_account(led, m, hot, t0 + timedelta(hours=8, minutes=k))
    return {"laundering": set(split + hops), "mules": set(mules), "gas_funder": funder}


def scam_world(led: Ledger | None = None, **kw) -> tuple[Ledger, dict]:
    led = led or Ledger()
    exchange(led)
    pf = fake_platform(led, **kw)
    ln = laundering_chain(led, pf["consolidation"])
    return led, {**pf, **ln, "laundering": ln["laundering"] | {pf["consolidation"]}}


def findings(con: duckdb.DuckDBPyConnection, led: Ledger) -> dict[str, set[str]]:
    """role -> set of ledger names (addresses translated back to names where known)."""
    names = {v: k for k, v in led._names.items()}
    out: dict[str, set[str]] = {}
    for address, role in con.execute("SELECT address, role FROM findings").fetchall():
        out.setdefault(role, set()).add(names.get(address, address))
    return out


def test_scam_world_has_the_shapes_it_claims():
    led, truth = scam_world()
    con = led.write(duckdb.connect())
    n_victims = len(truth["victims"])
    paid = con.execute(
        "SELECT count(DISTINCT from_address) FROM transfers WHERE to_address = ?", [led.addr("pf_platform")]
    ).fetchone()[0]
    assert paid == n_victims
    assert con.execute("SELECT count(*) FROM labels WHERE category = 'exchange'").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM swaps").fetchone()[0] == 1


# ---------------------------------------------------------------------------------------- benign look-alikes
def saver(led: Ledger, tag: str = "saver", hot: str = "binance_hot") -> set[str]:
    """One person growing deposits to their own exchange deposit account over two months."""
    me, dep = f"{tag}_person", f"{tag}_deposit"
    led.transfer(hot, me, 30000, at=timedelta(days=0))
    for k, amount in enumerate((100, 500, 2000, 5000, 9000, 3000)):
        t = timedelta(days=1 + 9 * k)
        led.transfer(me, dep, amount, at=t)
        led.transfer(dep, hot, amount, at=t + timedelta(hours=1))
    return {me, dep}


def merchant(led: Ledger, tag: str = "shop", customers: int = 25, hot: str = "binance_hot") -> set[str]:
    """A shop paid by many customers, some of them repeatedly with varying baskets; it refunds one order
    and settles to its exchange deposit account every few days."""
    shop, dep = f"{tag}_merchant", f"{tag}_settlement_deposit"
    names = {shop, dep}
    for i in range(customers):
        c = f"{tag}_customer{i}"
        names.add(c)
        led.transfer(hot, c, 5000, at=timedelta(days=i % 5))
        visits = 1 + i % 4
        for k in range(visits):
            amount = [60, 25, 140, 80, 35, 220, 45][(i + 3 * k) % 7] + i
            led.transfer(c, shop, amount, at=timedelta(days=2 + 8 * k + i % 6, hours=i % 9))
    led.transfer(shop, f"{tag}_customer3", 40, at=timedelta(days=20))  # a refund
    for d in range(2, 60, 3):
        led.transfer(shop, dep, 150, at=timedelta(days=d, hours=23))
        led.transfer(dep, hot, 150, at=timedelta(days=d + 1))
    return names


def investment_fund(led: Ledger, tag: str = "fund", investors: int = 6, hot: str = "binance_hot") -> set[str]:
    """A real fund: investors add growing amounts, receive monthly returns and get their money back."""
    fund = f"{tag}_fund"
    names = {fund}
    led.transfer(hot, fund, 200000, at=timedelta(days=0))
    for i in range(investors):
        inv = f"{tag}_investor{i}"
        names.add(inv)
        led.transfer(hot, inv, 20000, at=timedelta(days=i))
        paid = 0
        for k, amount in enumerate((500, 1500, 4000, 8000)):
            led.transfer(inv, fund, amount, at=timedelta(days=2 + i + 8 * k))
            paid += amount
            led.transfer(fund, inv, round(paid * 0.02, 2), at=timedelta(days=6 + i + 8 * k))
        led.transfer(fund, inv, paid * 1.05, at=timedelta(days=45 + i))  # withdrawal honoured
    return names


def rosca(led: Ledger, tag: str = "rosca", members: int = 6, hot: str = "binance_hot") -> set[str]:
    """A rotating savings group: every member pays the organiser the same amount each round, the
    organiser pays the whole pot to one member per round."""
    org = f"{tag}_organiser"
    names = {org}
    for i in range(members):
        led.transfer(hot, f"{tag}_member{i}", 2000, at=timedelta(days=0))
    for r in range(members):
        for i in range(members):
            led.transfer(f"{tag}_member{i}", org, 300, at=timedelta(days=1 + 7 * r, hours=i))
            names.add(f"{tag}_member{i}")
        led.transfer(org, f"{tag}_member{r}", 300 * members, at=timedelta(days=2 + 7 * r))
    return names


def market_maker(led: Ledger, tag: str = "mm", hot: str = "binance_hot", pool: str = "uni_pool") -> set[str]:
    """Fast, large pass-through: takes inventory from the exchange and from swaps, passes it on within
    minutes to the exchange and to several trading wallets."""
    mm = f"{tag}_maker"
    names = {mm}
    for k in range(12):
        t = timedelta(days=3 * k)
        led.transfer(hot, mm, 250000 + 1000 * k, at=t)
        led.transfer(mm, f"{tag}_desk{k % 3}", 240000, at=t + timedelta(minutes=7))
        led.transfer(f"{tag}_desk{k % 3}", hot, 239000, at=t + timedelta(minutes=30))
        names.add(f"{tag}_desk{k % 3}")
    return names


def payroll(led: Ledger, tag: str = "payroll", staff: int = 12, hot: str = "binance_hot") -> set[str]:
    """A company paying salaries monthly (fan-out) and an airdrop sender paying many small amounts."""
    company, drop = f"{tag}_company", f"{tag}_airdrop"
    names = {company, drop}
    led.transfer(hot, company, 500000, at=timedelta(days=0))
    led.transfer(hot, drop, 10000, at=timedelta(days=0))
    for m in range(3):
        for i in range(staff):
            led.transfer(company, f"{tag}_employee{i}", 3000 + 100 * i, at=timedelta(days=28 * m + 1, hours=i))
            names.add(f"{tag}_employee{i}")
    for i in range(30):
        led.transfer(drop, f"{tag}_recipient{i}", 25, at=timedelta(days=5, minutes=i))
        names.add(f"{tag}_recipient{i}")
    return names


def otc_desk(led: Ledger, tag: str = "otc", customers: int = 12, hot: str = "binance_hot",
             labelled: bool = False) -> tuple[str, set[str]]:
    """An OTC desk with ordinary customers on both sides (buyers pay it USDT, sellers get USDT from it,
    often to their exchange deposit accounts). Returns (desk, ordinary customers and their accounts)."""
    desk = f"{tag}_desk"
    if labelled:
        led.label(desk, "OTC desk", "otc_desk", source="test pack")
    names = set()
    led.transfer(hot, desk, 400000, at=timedelta(days=0))
    for i in range(customers):
        buyer, seller, dep = f"{tag}_buyer{i}", f"{tag}_seller{i}", f"{tag}_seller{i}_deposit"
        names |= {buyer, seller, dep}
        led.transfer(hot, buyer, 30000, at=timedelta(days=i))
        led.transfer(buyer, desk, 20000 + 500 * i, at=timedelta(days=i + 1))
        led.transfer(desk, seller, 15000 + 300 * i, at=timedelta(days=i + 2))
        led.transfer(seller, dep, 15000 + 300 * i, at=timedelta(days=i + 3))
        deposit_account(led, dep, hot, timedelta(days=i + 3, hours=2))
    return desk, names


def benign_world(led: Ledger | None = None) -> tuple[Ledger, set[str]]:
    led = led or Ledger()
    exchange(led)
    names = set()
    for build in (saver, merchant, investment_fund, rosca, market_maker, payroll):
        names |= build(led)
    desk, customers = otc_desk(led)
    return led, names | customers | {desk}


def test_benign_world_looks_busy():
    led, names = benign_world()
    con = led.write(duckdb.connect())
    assert len(names) > 80
    senders = con.execute(
        "SELECT count(DISTINCT from_address) FROM transfers WHERE to_address = ?", [led.addr("shop_merchant")]
    ).fetchone()[0]
    assert senders == 25
