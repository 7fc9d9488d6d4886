"""A payment gateway that shows its customers a fresh address for every order: the honest twin of a fake
platform that does the same (knob ``payment_gateway=per_order``; ``deposit_addresses=per_payment`` is the
scam's side). Built after the scam rings and before the exchanges' sweeps, from its own random stream, so a
world without it is the world it was before the knob existed.

Each customer orders again and again, days apart, paying every order to an address used once: half of them
from their own wallet with money they just withdrew from an exchange, half straight from their exchange
account (the exchange's hot wallet sends). The gateway's gas wallet tops up each order address, which sweeps
to the gateway's hot wallet within hours; the hot wallet settles to its merchants weekly, and they bank at an
exchange. Some orders are refunded in full, one payment each, by a refund wallet the gas wallet also keeps
in gas and that is bankrolled from the gateway's exchange account: to the customer's wallet, or to the
customer's exchange deposit account when the exchange paid. Everything here is benign.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import DAY, HOUR, MINUTE, World
from pigtrace.simulate.spending import draw_usd


def per_order(w: World, rng: np.random.Generator, customers: int, merchants: int) -> None:
    """The gateway, its ``customers`` (2-6 orders each) and ``merchants``; draws its choices from ``rng``."""
    hot, gas, refunds = (int(x) for x in w.book.random(3))
    w.mark_benign([hot, gas, refunds], "payment_gateway")
    shops = w.book.random(merchants)
    w.mark_benign(shops, "merchant")
    banks = np.concatenate([w.deposit_accounts(1, int(e)) for e in rng.integers(0, len(w.exchanges), size=merchants)])
    who = rng.choice(len(w.users), size=min(customers, len(w.users)), replace=False)
    orders = rng.integers(2, 7, size=len(who))
    i = np.repeat(np.arange(len(who)), orders)
    first = rng.integers(w.t0 + DAY, w.t1 - 30 * DAY, size=len(who))
    starts = np.cumsum(orders) - orders  # each customer's first order
    gap = rng.integers(2 * DAY, 14 * DAY, size=len(i))
    gap[starts] = 0
    days_on = np.cumsum(gap)
    t = w.clamp(first[i] + days_on - days_on[starts][i])
    usd = draw_usd(rng, len(i), 60, 0.8, 5, 2500)
    amount = w.units("USDT", usd)
    addr = w.book.random(len(i))
    w.mark_benign(addr, "gateway_order")
    person = w.users[who]
    w.mark_benign(person, "gateway_customer")
    by_exchange = (rng.random(len(who)) < 0.5)[i]
    dep = w.user_deposit[who][i]
    # a customer with no exchange account of their own, or one at an exchange that pays no withdrawals
    # (exchange_use=mixed), pays from their wallet
    by_exchange &= np.array([d >= 0 and not w.exchanges[w.deposit_exchange[int(d)]].offramp for d in dep], dtype=bool)
    ex = np.flatnonzero(by_exchange)
    for e in np.unique([w.deposit_exchange[int(d)] for d in dep[ex]]):
        on = ex[np.array([w.deposit_exchange[int(d)] == e for d in dep[ex]])]
        w.withdraw(t[on], addr[on], "USDT", amount[on], exchange=int(e))
    own = np.flatnonzero(~by_exchange)
    lead = rng.integers(10 * MINUTE, DAY, size=len(own))
    w.withdraw(np.maximum(t[own] - lead, w.t0 + MINUTE), person[i[own]], "USDT",
               (amount[own] * rng.uniform(1.0, 1.05, len(own))).astype(np.int64))
    w.send(t[own], person[i[own]], addr[own], "USDT", amount[own])
    sweep = w.clamp(t + rng.integers(HOUR, 8 * HOUR, size=len(i)))
    fuel = w.gas_topups(gas, {int(a): int(s) for a, s in zip(addr, sweep)})
    w.send(sweep, addr, hot, "USDT", amount)
    # refunds: about one order in twelve, in full, once
    back = np.flatnonzero(rng.random(len(i)) < 1 / 12)
    if len(back):
        when = w.clamp(t[back] + rng.integers(DAY, 5 * DAY, size=len(back)))
        payee = np.where(by_exchange[back], dep[back], person[i[back]])
        w.withdraw(w.clamp(when.min() - DAY), refunds, "USDT", int(amount[back].sum() * 1.05) + 1)
        fuel += w.gas_topups(gas, {refunds: int(when.min())})
        w.send(when, refunds, payee, "USDT", amount[back])
    w.withdraw(w.t0 + HOUR, gas, w.native, w.units(w.native, fuel * 1.2))
    # weekly settlements to the merchants, banked two days later
    week = (sweep - w.t0) // (7 * DAY)
    shop = rng.integers(0, merchants, size=len(i))
    keys, inv = np.unique(shop * 100_000 + week, return_inverse=True)
    total = np.bincount(inv, weights=amount).astype(np.int64)
    ks, kw = keys // 100_000, keys % 100_000
    paid = w.clamp(w.t0 + (kw + 1) * 7 * DAY + rng.integers(HOUR, DAY, size=len(keys)))
    w.send(paid, hot, shops[ks], "USDT", total)
    w.send(w.clamp(paid + 2 * DAY), shops[ks], banks[ks], "USDT", total)
