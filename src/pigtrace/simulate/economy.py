"""The benign economy of the synthetic world, generated column-wise with numpy: retail users (payments,
swaps, deposits to their own exchange accounts, bridging), and the *benign look-alikes* of scam
patterns — savers whose deposits to their own exchange account grow, merchants and a payment processor
(fan-in), payroll and an airdrop (fan-out), market makers (fast large pass-through), CoW solvers and
subscription merchants (third-party transferFrom), investment funds that pay returns and honour
withdrawals, rotating savings groups, OTC customers, treasuries that keep business wallets in gas.
Users' payments go through ``spending.Spends``; services come from ``services``.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import DAY, HOUR, MINUTE, World
from pigtrace.simulate.ledger import BATCH, LOG_TRANSFER
from pigtrace.simulate.spending import (
    VIA_BRIDGE,
    VIA_PULL,
    VIA_SOLVER,
    VIA_SWAP,
    Spends,
    draw_usd,
    round_native,
)


def bridge_users(w: World, spends: Spends, n: int) -> None:
    """Ordinary users bridging stablecoins out (so a bridge deposit alone is not a scam signal)."""
    rng = w.rng
    if n <= 0:
        return
    users = rng.choice(w.users, size=n)
    w.mark_benign(users, "bridge_user")
    t = rng.integers(w.t0 + DAY, w.t1 - HOUR, size=n)
    sym = "USDC" if w.chain == "tron" else "USDT"
    spends.add(t, users, -1, sym, w.units(sym, draw_usd(rng, n, 2000, 1.1, 50, 500_000)), via=VIA_BRIDGE)


def retail(w: World, spends: Spends, n_events: int) -> None:
    """Ordinary users: payments to each other (tokens and ETH), deposits to their own exchange accounts, swaps."""
    rng = w.rng
    U = len(w.users)
    if n_events <= 0 or U < 2:
        return
    weight = rng.pareto(1.1, U) + 1.0
    weight /= weight.sum()
    payer_i = rng.choice(U, size=n_events, p=weight)
    t = rng.integers(w.t0 + DAY, w.t1 - HOUR, size=n_events)
    tron = w.chain == "tron"
    kind = rng.choice(4, size=n_events, p=[0.62, 0.13, 0.15, 0.10])
    usd = draw_usd(rng, n_events, 80, 1.4)
    to_i = rng.choice(U, size=n_events, p=weight)
    to_i = np.where(to_i == payer_i, (to_i + 1) % U, to_i)
    payer, to = w.users[payer_i], w.users[to_i]
    dep = w.user_deposit[payer_i]
    kind = np.where((kind == 2) & (dep < 0), 0, kind)
    sym_pick = rng.choice(3 if not tron else 2, size=n_events, p=[0.65, 0.25, 0.10] if not tron else [0.8, 0.2])
    syms = ["USDT", "USDC", "DAI"]
    tok_pay = np.flatnonzero(kind == 0)
    pay_rec = {"time": [], "sender": [], "recipient": [], "symbol": [], "amt": []}
    for si, sym in enumerate(syms[: 3 if not tron else 2]):
        sel = tok_pay[sym_pick[tok_pay] == si]
        amt = w.units(sym, usd[sel])
        spends.add(t[sel], payer[sel], to[sel], sym, amt)
        if sym in ("USDT", "USDC"):
            for k, v in (("time", t[sel]), ("sender", payer[sel]), ("recipient", to[sel]), ("amt", amt)):
                pay_rec[k].append(v)
            pay_rec["symbol"].append(np.full(len(sel), sym))
        dsel = np.flatnonzero((kind == 2) & (sym_pick == si))
        spends.add(t[dsel], payer[dsel], dep[dsel], sym, w.units(sym, usd[dsel] * 3))
    nat = np.flatnonzero(kind == 1)
    spends.add(t[nat], payer[nat], to[nat], w.native, round_native(w, w.units(w.native, usd[nat])))
    sw = np.flatnonzero(kind == 3)
    spends.add(t[sw], payer[sw], -1, "USDT", w.units("USDT", usd[sw] * 2), via=VIA_SWAP)
    w.payments = {k: np.concatenate(v) if v else np.zeros(0) for k, v in pay_rec.items()}


def payroll_and_savers(w: World, spends: Spends, companies: int) -> None:
    """Companies pay monthly salaries (fan-out from one wallet); some employees are savers whose deposits
    to their own exchange account grow week after week (the benign twin of escalating scam deposits)."""
    rng = w.rng
    months = np.arange(w.t0 + int(rng.integers(1, 10)) * DAY, w.t1 - DAY, 30 * DAY)
    for _ in range(companies):
        company = w.book.one()
        w.mark_benign(company, "payroll")
        n_emp = int(rng.integers(5, 40))
        emp = rng.choice(w.users, size=min(n_emp, len(w.users)), replace=False)
        salary = w.units("USDT", draw_usd(rng, len(emp), 2500, 0.5, 300, 20000))
        payday = w.clamp(months + int(rng.integers(0, 5)) * DAY)
        for m, pd in enumerate(payday):
            w.withdraw(w.clamp(pd - int(rng.integers(HOUR, 2 * DAY))), company, "USDT", int(salary.sum() * 1.01) + 1)
            w.send(np.full(len(emp), pd) + np.arange(len(emp)) * 15, company, emp, "USDT", salary)
        # savers: employees who bank growing amounts in their own exchange account every week or two,
        # never more than the salary received so far
        savers = np.flatnonzero(rng.random(len(emp)) < 0.4)
        for i in savers:
            s, sal = int(emp[i]), int(salary[i])
            w.mark_benign(s, "saver")
            dep = int(w.deposit_accounts(1, int(rng.integers(len(w.exchanges))))[0])
            every = int(rng.choice([7, 10, 14])) * DAY
            when = np.arange(payday[0] + int(rng.integers(HOUR, 3 * DAY)), w.t1 - HOUR, every)
            wanted = sal * 0.08 * rng.uniform(1.1, 1.5) ** np.arange(len(when)) * rng.uniform(0.8, 1.2, len(when))
            earned = sal * np.searchsorted(payday, when, side="right") * 0.95
            banked = np.minimum(np.cumsum(np.round(wanted, -6)), earned)
            amount = np.diff(np.r_[0.0, banked]).astype(np.int64)
            keep = amount > 0
            w.send(when[keep], s, dep, "USDT", amount[keep])


def merchants(w: World, spends: Spends, n_merchants: int, customers_each: int) -> None:
    """Merchants paid by many customers (fan-in), directly or through a payment processor that settles
    weekly (fan-out); merchants bank their takings in their own exchange account daily."""
    rng = w.rng
    processor = w.book.one()
    w.mark_benign(processor, "payment_processor")
    merch = w.book.random(n_merchants)
    w.mark_benign(merch, "merchant")
    bank = np.concatenate([w.deposit_accounts(1, int(e)) for e in rng.integers(0, len(w.exchanges), size=n_merchants)])
    k = rng.integers(max(3, customers_each // 3), customers_each + 1, size=n_merchants)
    mi = np.repeat(np.arange(n_merchants), k)
    n = len(mi)
    cust = rng.choice(w.users, size=n)
    t = rng.integers(w.t0 + DAY, w.t1 - 3 * DAY, size=n)
    amt = w.units("USDT", draw_usd(rng, n, 40, 0.9, 2, 3000))
    proc = rng.random(n) < 0.4
    spends.add(t[~proc], cust[~proc], merch[mi[~proc]], "USDT", amt[~proc])
    spends.add(t[proc], cust[proc], processor, "USDT", amt[proc])
    # the processor settles each merchant's weekly takings; merchants bank settlements two days later
    week = (t[proc] - w.t0) // (7 * DAY)
    keys, inv = np.unique(mi[proc] * 100_000 + week, return_inverse=True)
    tot = np.bincount(inv, weights=amt[proc]).astype(np.int64)
    km, kw = keys // 100_000, keys % 100_000
    st = w.clamp(w.t0 + (kw + 1) * 7 * DAY + rng.integers(HOUR, DAY, size=len(keys)))
    w.send(st, processor, merch[km], "USDT", tot)
    w.send(w.clamp(st + 2 * DAY), merch[km], bank[km], "USDT", tot)
    # direct takings are banked daily
    day = (t[~proc] - w.t0) // DAY
    keys, inv = np.unique(mi[~proc] * 100_000 + day, return_inverse=True)
    tot = np.bincount(inv, weights=amt[~proc]).astype(np.int64)
    km, kd = keys // 100_000, keys % 100_000
    w.send(w.clamp(w.t0 + (kd + 1) * DAY + rng.integers(HOUR, 6 * HOUR, size=len(keys))), merch[km], bank[km], "USDT", tot)


def airdrop(w: World, recipients: int) -> None:
    """A project mints its token to a distributor contract and airdrops it in batches (fan-out)."""
    rng = w.rng
    tok = w.tokens["PGA"]
    project, distributor = w.book.one(), w.book.one()
    w.mark_benign([project, distributor], "airdrop")
    supply = 10**17
    ids = w.ledger.add_txs(w.t0 + HOUR, project, tok.entity, BATCH, a0=distributor, amt=supply, scale=9)
    w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, w.named["zero"], distributor, supply, 9)
    rec = rng.choice(w.users, size=min(recipients, len(w.users)), replace=False)
    per = 100
    t_start = w.t0 + int(rng.integers(2, max(3, (w.t1 - w.t0) // DAY // 2))) * DAY
    for b in range(0, len(rec), per):
        chunk = rec[b : b + per]
        t = t_start + (b // per) * 5 * MINUTE
        amt = (rng.integers(50, 2000, size=len(chunk)) * 10**9).astype(np.int64)
        ids = w.ledger.add_txs(t, project, distributor, BATCH, a0=tok.entity, amt=int(amt.sum()), scale=9)
        w.ledger.add_logs(np.repeat(ids, len(chunk)), np.arange(len(chunk)), LOG_TRANSFER, tok.entity, distributor,
                          chunk, amt, 9)


def market_makers(w: World, n: int) -> None:
    """Market makers withdraw large sums from one exchange and deposit them at another within minutes."""
    rng = w.rng
    for _ in range(n):
        mm = w.book.one()
        w.mark_benign(mm, "market_maker")
        deps = [int(w.deposit_accounts(1, e)[0]) for e in range(len(w.exchanges))]
        k = int(rng.integers(10, 60))
        t = np.sort(rng.integers(w.t0 + DAY, w.t1 - DAY, size=k))
        amt = w.units("USDT", draw_usd(rng, k, 300_000, 0.8, 20_000, 5_000_000))
        src = rng.integers(0, len(w.exchanges), size=k)
        dst = (src + rng.integers(1, max(2, len(w.exchanges)), size=k)) % len(w.exchanges)
        for e in range(len(w.exchanges)):
            sel = src == e
            if sel.any():
                w.withdraw(t[sel], mm, "USDT", amt[sel], exchange=e)
        w.send(t + rng.integers(2 * MINUTE, 40 * MINUTE, size=k), mm, np.asarray(deps)[dst], "USDT", amt)


def funds(w: World, spends: Spends, n: int) -> None:
    """Investment funds (the honest twin of a fake platform): investors deposit, many of them again and again
    in growing, often round amounts; the fund banks the money, pays monthly returns (from the fund wallet or
    a separate payout wallet) and honours withdrawals (principal back), paying from its exchange account."""
    rng = w.rng
    for _ in range(n):
        fund = w.book.one()
        payout = fund if rng.random() < 0.5 else w.book.one()
        w.mark_benign([fund, payout], "fund")
        ex = int(rng.integers(len(w.exchanges)))
        bank = int(w.deposit_accounts(1, ex)[0])
        k = int(rng.integers(8, 40))
        inv = rng.choice(w.users, size=min(k, len(w.users)), replace=False)
        w.mark_benign(inv, "fund_investor")
        t_in = rng.integers(w.t0 + DAY, w.t0 + max(2 * DAY, (w.t1 - w.t0) // 2), size=len(inv))
        first = draw_usd(rng, len(inv), 3000, 1.0, 200, 100_000)
        dep = np.zeros(len(inv), np.int64)
        for i in range(len(inv)):
            times = t_in[i] + np.r_[0, np.cumsum(rng.integers(3 * DAY, 20 * DAY, size=int(rng.integers(0, 5))))]
            times = times[times < w.t1 - 3 * DAY]
            usd = first[i] * rng.uniform(1.0, 1.8) ** np.arange(len(times))
            usd = np.where(rng.random(len(times)) < 0.5, np.maximum(100, np.round(usd, -2)), usd)
            amt = w.units("USDC", usd)
            spends.add(times, int(inv[i]), fund, "USDC", amt)
            w.send(times + rng.integers(HOUR, DAY, size=len(times)), fund, bank, "USDC", amt)
            dep[i] = int(amt.sum())
        rate = rng.uniform(0.005, 0.02)
        months = np.arange(w.t0 + 30 * DAY, w.t1 - DAY, 30 * DAY)
        for m in months:
            live = t_in < m - DAY
            if not live.any():
                continue
            ret = np.maximum(1, (dep[live] * rate).astype(np.int64))
            w.withdraw(m - int(rng.integers(HOUR, DAY)), payout, "USDC", int(ret.sum()) + 1, exchange=ex)
            w.send(np.full(live.sum(), m) + np.arange(live.sum()) * 20, payout, inv[live], "USDC", ret)
        leave = np.flatnonzero((rng.random(len(inv)) < 0.3) & (t_in < w.t1 - 40 * DAY))
        for i in leave:
            tw = int(rng.integers(w.t1 - 10 * DAY, w.t1 - 2 * DAY))
            w.withdraw(tw - HOUR, fund, "USDC", int(dep[i]), exchange=ex)
            w.send(tw, fund, int(inv[i]), "USDC", int(dep[i]))


def growing_payers(w: World, spends: Spends, n: int) -> None:
    """People who pay the same private wallet in growing, often round amounts over weeks: supporting a
    relative, paying off a loan, saving with a friend; some recipients are paid by several relatives."""
    rng = w.rng
    if n <= 0 or len(w.users) < 4:
        return
    recipients = rng.choice(w.users, size=max(1, n // 2))
    payers = rng.choice(w.users, size=n)
    to = recipients[rng.integers(0, len(recipients), size=n)]
    keep = payers != to
    w.mark_benign(np.r_[payers[keep], to[keep]], "family_support")
    for payer, rec in zip(payers[keep], to[keep]):
        k = int(rng.integers(3, 9))
        start = int(rng.integers(w.t0 + DAY, max(w.t0 + 2 * DAY, w.t1 - 30 * DAY)))
        times = start + np.cumsum(rng.integers(3 * DAY, 15 * DAY, size=k))
        times = times[times < w.t1 - HOUR]
        if not len(times):  # a short world can end before the first payment
            continue
        usd = rng.uniform(50, 800) * rng.uniform(1.05, 1.8) ** np.arange(len(times))
        usd = np.where(rng.random(len(times)) < 0.6, np.maximum(50, np.round(usd, -1 if usd.max() < 1000 else -2)), usd)
        spends.add(times, int(payer), int(rec), "USDT", w.units("USDT", usd))


def reused_wallet_business(w: World, spends: Spends) -> None:
    """Laundering wallets shared across rings also do ordinary business (a money changer's or trader's
    wallet): customers pay them, and they bank the takings at an exchange."""
    from pigtrace.simulate.laundering import REUSE_POOL

    rng = w.rng
    for wallet in w.named_list(REUSE_POOL):
        k = int(rng.integers(3, 15))
        cust = rng.choice(w.users, size=k)
        t = np.sort(rng.integers(w.t0 + DAY, w.t1 - 5 * DAY, size=k))
        amt = w.units("USDT", draw_usd(rng, k, 600, 1.0, 20, 50_000))
        spends.add(t, cust, wallet, "USDT", amt)
        bank = int(w.deposit_accounts(1, int(rng.integers(len(w.exchanges))))[0])
        w.send(w.clamp(int(t.max()) + int(rng.integers(DAY, 4 * DAY))), wallet, bank, "USDT", int(amt.sum()))


def roscas(w: World, spends: Spends, n: int) -> None:
    """Rotating savings groups: each round every member pays the organiser, who pays the pot to one member."""
    rng = w.rng
    for _ in range(n):
        org = w.book.one()
        m = int(rng.integers(5, 13))
        members = rng.choice(w.users, size=min(m, len(w.users)), replace=False)
        w.mark_benign(np.r_[org, members], "rosca")
        c = int(w.units("USDT", float(rng.choice([50, 100, 200, 500])))[0])
        period = int(rng.choice([7, 14, 30])) * DAY
        rounds = np.arange(w.t0 + 2 * DAY, w.t1 - 3 * DAY, period)[: len(members)]
        for r, start in enumerate(rounds):
            pay_t = start + rng.integers(0, 2 * DAY, size=len(members))
            spends.add(pay_t, members, org, "USDT", c)
            w.send(int(pay_t.max()) + int(rng.integers(HOUR, DAY)), org, int(members[r]), "USDT", c * len(members))


def otc_trades(w: World, spends: Spends, per_desk: int) -> None:
    """OTC desks sell USDT to customers for ETH and buy it back; desks restock from exchanges and bank
    what they take in."""
    rng = w.rng
    tron = w.chain == "tron"
    for desk in w.named_list("otc_desk"):
        ex = int(rng.integers(len(w.exchanges)))
        bank = int(w.deposit_accounts(1, ex)[0])
        cust = rng.choice(w.users, size=min(per_desk, len(w.users)), replace=False)
        w.mark_benign(cust, "otc_customer")
        t = rng.integers(w.t0 + DAY, w.t1 - 2 * DAY, size=len(cust))
        usd = draw_usd(rng, len(cust), 20_000, 0.9, 2_000, 500_000)
        buy = rng.random(len(cust)) < 0.6
        pay_sym = "USDC" if tron else w.native
        # buyers pay the desk (ETH, or USDC on Tron), the desk restocks USDT and delivers
        spends.add(t[buy], cust[buy], desk, pay_sym, w.units(pay_sym, usd[buy]))
        w.withdraw(t[buy] - rng.integers(HOUR, DAY, size=buy.sum()), desk, "USDT", w.units("USDT", usd[buy]), exchange=ex)
        w.send(t[buy] + rng.integers(5 * MINUTE, 2 * HOUR, size=buy.sum()), desk, cust[buy], "USDT", w.units("USDT", usd[buy]))
        w.send(t[buy] + rng.integers(3 * HOUR, DAY, size=buy.sum()), desk, bank, pay_sym, w.units(pay_sym, usd[buy]))
        # sellers send USDT, the desk pays out and banks the USDT
        sell = ~buy
        spends.add(t[sell], cust[sell], desk, "USDT", w.units("USDT", usd[sell]))
        w.withdraw(t[sell] - rng.integers(HOUR, DAY, size=sell.sum()), desk, pay_sym, w.units(pay_sym, usd[sell] * 0.99), exchange=ex)
        w.send(t[sell] + rng.integers(5 * MINUTE, 2 * HOUR, size=sell.sum()), desk, cust[sell], pay_sym, w.units(pay_sym, usd[sell] * 0.99))
        w.send(t[sell] + rng.integers(3 * HOUR, DAY, size=sell.sum()), desk, bank, "USDT", w.units("USDT", usd[sell]))


def solvers(w: World, spends: Spends, n_orders: int) -> None:
    """Intent-based swaps (CoW Protocol): a handful of solvers settle users' USDT→WETH orders."""
    if w.chain == "tron" or n_orders <= 0:
        return
    rng = w.rng
    solver_ids = w.book.random(4)
    w.mark_benign(solver_ids, "solver")
    users = rng.choice(w.users, size=n_orders)
    t = rng.integers(w.t0 + DAY, w.t1 - HOUR, size=n_orders)
    amt = w.units("USDT", draw_usd(rng, n_orders, 1500, 1.0, 50, 300_000))
    spends.add(t, users, -1, "USDT", amt, via=VIA_SOLVER, sender=rng.choice(solver_ids, size=n_orders))


def subscriptions(w: World, spends: Spends, n: int, subscribers_each: int) -> None:
    """Subscription merchants: subscribers approve the merchant (large or unlimited allowance) and the
    merchant pulls the fee monthly with transferFrom, sending the transaction itself."""
    rng = w.rng
    for _ in range(n):
        merchant = w.book.one()
        w.mark_benign(merchant, "subscription")
        sym = "USDC" if rng.random() < 0.5 else "USDT"
        tok = w.tokens[sym]
        fee = int(w.units(sym, float(rng.choice([9.99, 19.0, 49.0, 99.0])))[0])
        subs = rng.choice(w.users, size=min(subscribers_each, len(w.users)), replace=False)
        start = rng.integers(w.t0 + DAY, w.t0 + max(2 * DAY, (w.t1 - w.t0) // 3), size=len(subs))
        unlimited = rng.random() < 0.5
        w.ledger.approve(start - HOUR, subs, tok.entity, merchant, fee * 12, tok.scale, unlimited=unlimited)
        for k in range(12):
            t = start + k * 30 * DAY
            live = t < w.t1 - HOUR
            if not live.any():
                break
            spends.add(t[live], subs[live], merchant, sym, fee, via=VIA_PULL, sender=merchant)


OPERATIONAL = ("payroll", "merchant", "payment_processor", "fund", "subscription", "solver", "market_maker", "airdrop")


def treasuries(w: World, n: int) -> None:
    """Businesses keep their operational wallets in gas from a treasury wallet — the benign twin of a scam
    ring's shared gas funder: one address sending small native amounts to many wallets before they act."""
    rng = w.rng
    ops = np.array([e for e, k in w.benign.items() if k in OPERATIONAL], dtype=np.int32)
    if n <= 0 or not len(ops):
        return
    owner = rng.integers(0, n, size=len(ops))
    funders = w.book.random(n)
    w.mark_benign(funders, "treasury")
    topups = np.arange(w.t0 + 2 * HOUR, w.t1 - DAY, 30 * DAY)
    t = (topups[None, :] + rng.integers(0, 20 * HOUR, size=(len(ops), len(topups)))).ravel()
    to = np.repeat(ops, len(topups))
    by = np.repeat(funders[owner], len(topups))
    usd = rng.uniform(5, 60, size=len(t))
    for i, f in enumerate(funders):
        sel = by == f
        if sel.any():
            w.withdraw(w.t0 + MINUTE + i, f, w.native, w.units(w.native, usd[sel].sum() * 1.1))
    w.send(t, by, to, w.native, w.units(w.native, usd))


