"""A second world generator, written apart from `pigtrace simulate`, for measuring detection on ledgers whose
conventions the detectors were never developed against.

Place in the flow: alt_world.py -> ethereum-etl CSVs (``--chain tron``: a per-account TronGrid crawl in
OUT/trongrid, bare TRC-20 rows and TRX transfers, each listed under both its parties) + tagpack.yaml + truth.json
-> `pigtrace ingest etl` (or `ingest trongrid`), `labels import`, `analyze`, `evaluate --truth`
(`bench/stress.py --generator alt` runs the loop and the 60-line rule beside it).

It shares no code, constant or price with `pigtrace.simulate` or the detectors: it was written from the
scam's description (DESIGN.md's roles) with its own choices of amounts, timing and structure, so that a
figure measured on it says how detection carries to a generator nobody tuned to. Its choices:

- Benign economy: users buy stablecoins at their exchange (one per person) and withdraw them, pay friends on a small social graph,
  pay shops (each with its own pool of regular customers), get monthly salaries from employers, save into
  their exchange accounts, swap at a DEX pool (one transaction: token in, other token out), trade with OTC
  desks; savings circles pay each month's pot to one member; a project pays a one-off airdrop; active traders
  move large sums between exchanges and each other. Exchange deposit addresses are swept to a hot wallet
  after hours, some exchanges topping them up with ETH first.
- Pig-butchering rings: victims (recruited at random among users) pay a ring's deposit addresses a run of
  payments over weeks (sizes drift up with dips, sometimes ending in a "tax" payment), from their own wallet
  after an exchange withdrawal, or straight from the exchange; the ring uses one shared address, one per
  victim or a pool it rotates; some rings pay small "profits" back from a payout wallet; deposit addresses
  are swept whole to a consolidation wallet on a schedule (minutes to weeks); the consolidation wallet's
  money leaves through a peel chain, a fan-out to splitter wallets, layers of pass-through wallets or a
  swap, and ends at the ring's mule accounts (exchange deposit addresses) or an OTC desk; laundering wallets
  sometimes take unrelated money too. Gas comes from a ring gas wallet or from exchange withdrawals.

Truth roles follow DESIGN.md: the wallets victims paid are scam_collection; payout and gas wallets are
scam_operator; consolidation, hops and splitters are laundering; mule accounts and desks the ring's money
reached are cash_out; victims who paid from their own wallet are victim (one who paid only from an exchange
has no address of their own in the ledger and no role).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
DECIMALS = {USDT: 6, USDC: 6}
ETH = "ETH"
START = 1_704_067_200  # 2024-01-01 UTC
DAY, HOUR, MIN = 86_400, 3_600, 60
EXCHANGE_NAMES = ["Kestrel", "Heron", "Osprey", "Plover", "Wren", "Finch", "Lark"]


@dataclass
class Exchange:
    name: str
    hot: list[str]
    gas: str
    tops_up: bool  # tops deposit addresses up with ETH before sweeping them


@dataclass
class World:
    rng: np.random.Generator
    days: int
    rows: list = field(default_factory=list)  # (t, kind, frm, to, token, raw, signer, group)
    roles: dict = field(default_factory=dict)  # address -> (role, ring)
    services: dict = field(default_factory=dict)
    benign: dict = field(default_factory=dict)
    exchanges: list = field(default_factory=list)
    deposit_of: dict = field(default_factory=dict)  # deposit address -> Exchange
    funded: set = field(default_factory=set)  # wallets holding ETH for gas
    home: dict = field(default_factory=dict)  # wallet -> the exchange it buys at (one per person)
    rings: list = field(default_factory=list)  # the scam rings, in order
    group: int = 0

    @property
    def end(self) -> int:
        return START + self.days * DAY

    def addr(self) -> str:
        return "0x" + self.rng.bytes(20).hex()

    def next_group(self) -> int:
        self.group += 1
        return self.group

    def token(self, t: int, frm: str, to: str, usd: float, tok: str = USDT, group: int | None = None) -> None:
        raw = int(round(usd * 10 ** DECIMALS[tok]))
        if raw <= 0 or t >= self.end:
            return
        self.rows.append((int(t), "token", frm, to, tok, raw, frm, group if group is not None else self.next_group()))

    def eth(self, t: int, frm: str, to: str, eth: float) -> None:
        if t >= self.end:
            return
        self.rows.append((int(t), "eth", frm, to, ETH, int(eth * 1e18), frm, self.next_group()))

    def gas_for(self, t: int, wallet: str, funder: str | None = None) -> None:
        """ETH for the wallet's fees before its first token payment: from ``funder`` or an exchange withdrawal."""
        if wallet in self.funded or wallet in self.services:
            return
        self.funded.add(wallet)
        src = funder or self.hot_wallet(self.home_of(wallet))
        self.eth(t - int(self.rng.integers(10 * MIN, 6 * HOUR)), src, wallet, float(self.rng.uniform(0.004, 0.03)))

    def home_of(self, who: str) -> Exchange:
        if who not in self.home:
            self.home[who] = self.exchanges[int(self.rng.integers(len(self.exchanges)))]
        return self.home[who]

    def hot_wallet(self, ex: Exchange | None = None) -> str:
        ex = ex or self.exchanges[int(self.rng.integers(len(self.exchanges)))]
        return ex.hot[int(self.rng.integers(len(ex.hot)))]

    def deposit_address(self, ex: Exchange | None = None) -> str:
        ex = ex or self.exchanges[int(self.rng.integers(len(self.exchanges)))]
        a = self.addr()
        self.deposit_of[a] = ex
        self.services[a] = "exchange_deposit"
        return a


def build_exchanges(w: World) -> None:
    n = int(w.rng.integers(4, 7))
    for name in EXCHANGE_NAMES[:n]:
        hot = [w.addr() for _ in range(int(w.rng.integers(1, 4)))]
        ex = Exchange(name, hot, w.addr(), bool(w.rng.random() < 0.7))
        w.exchanges.append(ex)
        for h in hot:
            w.services[h] = "exchange_hot_wallet"
        w.services[ex.gas] = "exchange_gas_wallet"


def sweep_deposits(w: World) -> None:
    """Every exchange deposit address hands what it got to its exchange's hot wallet, hours later (grouped
    when several payments arrive before the sweep)."""
    incoming: dict[str, list] = {}
    for r in w.rows:
        if r[1] == "token" and r[3] in w.deposit_of:
            incoming.setdefault(r[3], []).append(r)
    for dep, rows in incoming.items():
        ex = w.deposit_of[dep]
        rows.sort()
        pending: dict[str, int] = {}
        sweep_at = None
        for r in rows + [None]:
            if r is not None and (sweep_at is None or r[0] < sweep_at):
                pending[r[4]] = pending.get(r[4], 0) + r[5]
                if sweep_at is None:
                    sweep_at = r[0] + int(w.rng.lognormal(np.log(3 * HOUR), 1.0)) + MIN
                continue
            if pending and sweep_at is not None and sweep_at < w.end:
                if ex.tops_up and dep not in w.funded:
                    w.funded.add(dep)
                    w.eth(sweep_at - int(w.rng.integers(5 * MIN, 40 * MIN)), ex.gas, dep, 0.003)
                for tok, raw in pending.items():
                    w.rows.append((sweep_at, "token", dep, w.hot_wallet(ex), tok, raw, dep, w.next_group()))
            pending, sweep_at = {}, None
            if r is not None:
                pending[r[4]] = r[5]
                sweep_at = r[0] + int(w.rng.lognormal(np.log(3 * HOUR), 1.0)) + MIN


def usd_draw(w: World, median: float, sigma: float = 0.9, lo: float = 5.0) -> float:
    return round(max(lo, float(w.rng.lognormal(np.log(median), sigma))), 2)


def when(w: World, lo_day: float = 0.0, hi_day: float | None = None) -> int:
    hi = w.days if hi_day is None else hi_day
    return START + int(w.rng.uniform(lo_day, hi) * DAY)


# ----------------------------------------------------------------------------------------------- benign
@dataclass
class People:
    wallets: list[str]
    account: dict[str, str]  # wallet -> own exchange deposit address
    friends: dict[str, list[str]]


def build_people(w: World, n: int) -> People:
    wallets = [w.addr() for _ in range(n)]
    account = {}
    for p in wallets:
        w.benign[p] = "user"
        if w.rng.random() < 0.65:
            account[p] = w.deposit_address()
            w.home[p] = w.deposit_of[account[p]]
    friends = {p: [wallets[int(i)] for i in w.rng.integers(0, n, size=int(w.rng.integers(2, 9)))] for p in wallets}
    return People(wallets, account, friends)


def buy(w: World, t: int, who: str, usd: float, tok: str = USDT) -> int:
    """An exchange withdrawal to ``who`` shortly before ``t``; returns the withdrawal's time."""
    tw = t - int(w.rng.integers(2 * MIN, 8 * HOUR))
    w.token(tw, w.hot_wallet(w.home_of(who)), who, usd, tok)
    return tw


def everyday(w: World, pp: People) -> None:
    for p in pp.wallets:
        for _ in range(int(w.rng.poisson(4))):
            t = when(w, 1)
            amt = usd_draw(w, 250)
            buy(w, t, p, amt)
            w.gas_for(t, p)
            r = w.rng.random()
            if r < 0.45:
                w.token(t, p, pp.friends[p][int(w.rng.integers(len(pp.friends[p])))], round(amt * w.rng.uniform(0.2, 1.0), 2))
            elif r < 0.7 and p in pp.account:
                w.token(t + int(w.rng.integers(HOUR, 20 * DAY)), p, pp.account[p], round(amt * w.rng.uniform(0.5, 1.0), 2))
            elif r < 0.85:
                w.token(t, p, w.addr(), round(amt * w.rng.uniform(0.3, 1.0), 2))  # a one-off payee
        if w.rng.random() < 0.3:  # savers: growing deposits into their own account
            if p in pp.account:
                base = usd_draw(w, 100)
                t = when(w, 0, 40)
                for k in range(int(w.rng.integers(3, 8))):
                    t += int(w.rng.uniform(5, 15) * DAY)
                    buy(w, t, p, base * (1.3 ** k))
                    w.gas_for(t, p)
                    w.token(t + HOUR, p, pp.account[p], round(base * (1.3 ** k), 2))


def shops(w: World, pp: People, n: int) -> None:
    for _ in range(n):
        shop = w.addr()
        w.benign[shop] = "shop"
        bank = w.deposit_address()
        customers = [pp.wallets[int(i)] for i in w.rng.integers(0, len(pp.wallets), size=int(w.rng.integers(8, 150)))]
        ticket = float(w.rng.uniform(15, 400))
        got = 0.0
        for c in customers:
            for _ in range(int(w.rng.integers(1, 7))):
                t = when(w, 1)
                amt = usd_draw(w, ticket, 0.6)
                buy(w, t, c, amt)
                w.gas_for(t, c)
                w.token(t, c, shop, amt)
                got += amt
        w.gas_for(START + DAY * 3, shop)
        for week in range(1, w.days // 7):  # weekly settlement into its exchange account
            w.token(START + week * 7 * DAY + int(w.rng.integers(0, DAY)), shop, bank, round(got / (w.days / 7) * 0.9, 2))


def employers(w: World, pp: People, n: int) -> None:
    for _ in range(n):
        boss = w.addr()
        w.benign[boss] = "employer"
        staff = [pp.wallets[int(i)] for i in w.rng.integers(0, len(pp.wallets), size=int(w.rng.integers(5, 40)))]
        pay = {s: usd_draw(w, 2500, 0.4) for s in staff}
        for month in range(w.days // 30):
            t = START + (month * 30 + 25) * DAY + int(w.rng.integers(0, 6 * HOUR))
            buy(w, t, boss, sum(pay.values()) * 1.02)
            w.gas_for(t, boss)
            for s in staff:
                w.token(t + int(w.rng.integers(0, 2 * HOUR)), boss, s, round(pay[s] * w.rng.uniform(0.98, 1.02), 2))


def circles(w: World, pp: People, n: int) -> None:
    """Savings circles: each member pays the organiser monthly; the organiser pays the pot to one member."""
    for _ in range(n):
        org = w.addr()
        w.benign[org] = "savings_circle"
        members = [pp.wallets[int(i)] for i in w.rng.integers(0, len(pp.wallets), size=int(w.rng.integers(5, 13)))]
        dues = float(w.rng.choice([100, 200, 500, 1000]))
        w.gas_for(START + DAY, org)
        for month in range(w.days // 30):
            t0 = START + month * 30 * DAY + int(w.rng.integers(DAY, 5 * DAY))
            for m in members:
                t = t0 + int(w.rng.integers(0, 3 * DAY))
                buy(w, t, m, dues)
                w.gas_for(t, m)
                w.token(t, m, org, dues)
            w.token(t0 + 4 * DAY, org, members[month % len(members)], dues * len(members))


def dex(w: World, pp: People) -> str:
    pool = w.addr()
    w.services[pool] = "dex_pool"
    for p in w.rng.choice(pp.wallets, size=len(pp.wallets) // 6):
        t = when(w, 1)
        amt = usd_draw(w, 600)
        buy(w, t, p, amt)
        w.gas_for(t, p)
        g = w.next_group()
        w.token(t, p, pool, amt, USDT, g)
        w.token(t, pool, p, round(amt * 0.997, 2), USDC, g)
    return pool


def desks(w: World, pp: People, n: int) -> list[str]:
    out = []
    for _ in range(n):
        desk = w.addr()
        w.benign[desk] = "otc_desk"
        out.append(desk)
        w.gas_for(START + DAY, desk)
        for _ in range(int(w.rng.integers(20, 80))):
            c = pp.wallets[int(w.rng.integers(len(pp.wallets)))]
            t = when(w, 2)
            amt = usd_draw(w, 8000, 0.8)
            if w.rng.random() < 0.5:  # a customer sells to the desk; the desk banks it
                buy(w, t, c, amt)
                w.gas_for(t, c)
                w.token(t, c, desk, amt)
                w.token(t + int(w.rng.integers(HOUR, 3 * DAY)), desk, w.deposit_address(), round(amt * 0.99, 2))
            else:  # a customer buys from the desk (paid in cash off chain)
                w.token(t - HOUR, w.hot_wallet(w.home_of(desk)), desk, amt)
                w.token(t, desk, pp.account.get(c, c), round(amt * 0.99, 2))
    return out


def traders(w: World, pp: People, n: int) -> None:
    ts = [w.addr() for _ in range(n)]
    for a in ts:
        w.benign[a] = "trader"
        acct = w.deposit_address()
        for _ in range(int(w.rng.integers(10, 40))):
            t = when(w, 1)
            amt = usd_draw(w, 20000, 0.7)
            buy(w, t, a, amt)
            w.gas_for(t, a)
            r = w.rng.random()
            dst = acct if r < 0.5 else (ts[int(w.rng.integers(n))] if r < 0.8 else w.deposit_address())
            if dst != a:
                w.token(t + int(w.rng.integers(MIN, 2 * DAY)), a, dst, round(amt * w.rng.uniform(0.8, 1.0), 2))


def airdrop(w: World) -> None:
    src = w.addr()
    w.benign[src] = "airdrop"
    t = when(w, 10, 60)
    w.gas_for(t, src)
    for _ in range(int(w.rng.integers(100, 400))):
        w.token(t + int(w.rng.integers(0, 2 * HOUR)), src, w.addr(), round(float(w.rng.uniform(5, 40)), 2))


# ------------------------------------------------------------------------------------------------ scams
@dataclass
class Ring:
    id: str
    params: dict
    gas: str | None
    victims: list = field(default_factory=list)
    cash_out: dict = field(default_factory=dict)


def role(w: World, a: str, r: str, ring: Ring) -> None:
    w.roles.setdefault(a, (r, ring.id))


def scam_ring(w: World, pp: People, k: int, desks_: list[str], pool: str) -> Ring:
    rng = w.rng
    p = {
        "deposit": str(rng.choice(["shared", "per_victim", "rotating"])),
        "exchange_paid": float(rng.choice([0.0, 0.3, 0.7])),
        "paybacks": bool(rng.random() < 0.5),
        "sweep_hours": float(rng.choice([0.5, 6, 48, 240])),
        "launder": str(rng.choice(["peel", "fan_out", "layers", "swap"])),
        "mixing": bool(rng.random() < 0.3),
        "gas": str(rng.choice(["ring", "exchange"])),
        "desk_share": float(rng.choice([0.0, 0.0, 0.3])),
    }
    ring = Ring(f"alt-{k}", p, None)
    if p["gas"] == "ring":
        ring.gas = w.addr()
        role(w, ring.gas, "scam_operator", ring)
        w.eth(START + int(rng.integers(0, 3 * DAY)), w.hot_wallet(w.home_of(ring.gas)), ring.gas, float(rng.uniform(0.5, 3)))
    mules = [w.deposit_address() for _ in range(int(rng.integers(2, 7)))]
    cons = w.addr()
    role(w, cons, "laundering", ring)
    payout = None
    if p["paybacks"]:
        payout = w.addr()
        role(w, payout, "scam_operator", ring)
    pool_addrs = [w.addr() for _ in range(int(rng.integers(2, 6)))]
    shared = w.addr()
    n_vict = int(rng.integers(4, 31))
    people = [pp.wallets[int(i)] for i in rng.choice(len(pp.wallets), size=n_vict, replace=False)]
    deposits_in: dict[str, list] = {}
    for v in people:
        t = when(w, 0, w.days * 0.6)
        per_victim = w.addr()
        from_exchange = rng.random() < p["exchange_paid"]
        amt = usd_draw(w, 400, 0.8, 50)
        lost = 0.0
        groups = []
        for j in range(int(rng.integers(2, 11))):
            if p["deposit"] == "shared":
                dst = shared
            elif p["deposit"] == "per_victim":
                dst = per_victim
            else:
                dst = pool_addrs[min(len(pool_addrs) - 1, int((t - START) / DAY // 15))]
            g = w.next_group()
            groups.append(g)
            if from_exchange:
                w.token(t, w.hot_wallet(w.home_of(v)), dst, amt, USDT, g)
            else:
                buy(w, t, v, amt)
                w.gas_for(t, v)
                w.token(t, v, dst, amt, USDT, g)
            deposits_in.setdefault(dst, []).append((t, amt))
            role(w, dst, "scam_collection", ring)
            lost += amt
            if payout and j in (0, 1) and not from_exchange and rng.random() < 0.7:
                tb = t + int(rng.uniform(1, 4) * DAY)
                w.token(tb, payout, v, round(amt * rng.uniform(0.04, 0.15), 2))
            t += int(rng.exponential(5) * DAY) + HOUR
            if rng.random() < 0.2:
                amt = round(amt * rng.uniform(0.5, 0.9), 2)
            else:
                amt = round(amt * rng.uniform(1.1, 2.3), 2)
            if j >= 2 and rng.random() < 0.3:  # the "tax" to unlock a balance
                amt = float(round(lost * rng.uniform(0.1, 0.3), -2) or 100)
            if t >= w.end:
                break
        if not from_exchange:
            role(w, v, "victim", ring)
        ring.victims.append({"address": v, "lost_usd": round(lost, 2), "groups": groups,
                             "paid_from": "exchange" if from_exchange else "wallet"})
    # paybacks: the payout wallet is filled from the consolidation wallet (or bought at an exchange)
    if payout:
        buy(w, START + DAY, payout, 5000)
        w.gas_for(START + DAY, payout, ring.gas)
    # sweeps: each deposit address hands its balance to the consolidation wallet after sweep_hours
    arrivals = []
    for dst, got in deposits_in.items():
        got.sort()
        bal, due = 0.0, None
        for t, amt in got + [(None, 0.0)]:
            if t is not None and (due is None or t < due):
                bal += amt
                due = due or t + int(rng.exponential(p["sweep_hours"] * HOUR)) + 5 * MIN
                continue
            if bal > 0 and due < w.end:
                w.gas_for(due, dst, ring.gas)
                w.token(due, dst, cons, round(bal, 2))
                arrivals.append((due, bal))
            bal, due = amt, (None if t is None else t + int(rng.exponential(p["sweep_hours"] * HOUR)) + 5 * MIN)
    # laundering: every few days the consolidation wallet moves what it holds
    arrivals.sort()
    held, i = 0.0, 0
    t = START + 3 * DAY
    while t < w.end and i <= len(arrivals):
        while i < len(arrivals) and arrivals[i][0] <= t:
            held += arrivals[i][1]
            i += 1
        if held > 500:
            w.gas_for(t, cons, ring.gas)
            launder(w, ring, t, cons, held, mules, desks_, pool)
            held = 0.0
        if i == len(arrivals) and held <= 500:
            break
        t += int(rng.uniform(2, 9) * DAY)
    return ring


def launder(w: World, ring: Ring, t: int, cons: str, amt: float, mules: list[str], desks_: list[str], pool: str) -> None:
    rng = w.rng
    p = ring.params

    def hop() -> str:
        a = w.addr()
        role(w, a, "laundering", ring)
        if p["mixing"] and rng.random() < 0.5:  # unrelated money into the same wallet
            w.token(t - int(rng.integers(HOUR, 3 * DAY)), w.hot_wallet(w.home_of(a)), a, usd_draw(w, amt * 0.2, 0.5))
        return a

    def cash(tt: int, frm: str, a: float, tok: str = USDT) -> None:
        if desks_ and rng.random() < p["desk_share"]:
            dst = desks_[int(rng.integers(len(desks_)))]
        else:
            dst = mules[int(rng.integers(len(mules)))]
        w.gas_for(tt, frm, ring.gas)
        w.token(tt, frm, dst, round(a, 2), tok)
        role(w, dst, "cash_out", ring)
        ring.cash_out[dst] = ring.cash_out.get(dst, 0.0) + a

    kind = p["launder"]
    if kind == "peel":
        cur, left, tt = cons, amt, t
        for _ in range(int(rng.integers(3, 9))):
            nxt = hop()
            tt += int(rng.uniform(0.2, 12) * HOUR)
            w.gas_for(tt, cur, ring.gas)
            w.token(tt, cur, nxt, round(left, 2))
            peel = left * rng.uniform(0.05, 0.25)
            cash(tt + int(rng.uniform(0.1, 6) * HOUR), nxt, peel)
            left -= peel
            cur = nxt
            tt += 7 * HOUR
        cash(tt + HOUR, cur, left)
    elif kind == "fan_out":
        parts = rng.dirichlet(np.ones(int(rng.integers(3, 7))))
        for share in parts:
            a = hop()
            tt = t + int(rng.uniform(0.1, 6) * HOUR)
            w.token(tt, cons, a, round(amt * share, 2))
            cash(tt + int(rng.uniform(1, 48) * HOUR), a, amt * share)
    elif kind == "layers":
        cur, tt = cons, t
        for _ in range(int(rng.integers(2, 4))):
            nxt = hop()
            tt += int(rng.uniform(0.5, 30) * HOUR)
            w.gas_for(tt, cur, ring.gas)
            w.token(tt, cur, nxt, round(amt, 2))
            cur = nxt
        cash(tt + int(rng.uniform(1, 24) * HOUR), cur, amt)
    else:  # swap to USDC at the pool, then out through one hop
        g = w.next_group()
        w.token(t, cons, pool, round(amt, 2), USDT, g)
        w.token(t, pool, cons, round(amt * 0.997, 2), USDC, g)
        a = hop()
        w.token(t + HOUR, cons, a, round(amt * 0.997, 2), USDC)
        cash(t + int(rng.uniform(2, 30) * HOUR), a, amt * 0.997, USDC)


# ----------------------------------------------------------------------------------------------- output
def build(seed: int, users: int, rings: int, days: int) -> World:
    w = World(np.random.default_rng(seed), days)
    build_exchanges(w)
    pp = build_people(w, users)
    everyday(w, pp)
    shops(w, pp, max(3, users // 60))
    employers(w, pp, max(2, users // 250))
    circles(w, pp, max(1, users // 400))
    pool = dex(w, pp)
    ds = desks(w, pp, 3)
    traders(w, pp, max(3, users // 100))
    airdrop(w)
    w.rings = [scam_ring(w, pp, k + 1, ds, pool) for k in range(rings)]
    sweep_deposits(w)
    return w


def write(w: World, out: Path, label_share: float) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    rows = sorted(w.rows, key=lambda r: (r[0], r[7]))
    blocks: dict[int, int] = {}
    base_block = 18_900_000
    tx_rows, tt_rows = [], []
    by_group: dict[int, list] = {}
    for r in rows:
        by_group.setdefault(r[7], []).append(r)
    seen = set()
    tx_of: dict[int, str] = {}
    tx_index: dict[int, int] = {}
    for r in rows:
        g = r[7]
        if g in seen:
            continue
        seen.add(g)
        t = r[0]
        bn = base_block + (t - START) // 12
        blocks.setdefault(bn, t - (t - START) % 12)
        txh = tx_of[g] = "0x" + w.rng.bytes(32).hex()
        idx = tx_index.get(bn, 0)
        tx_index[bn] = idx + 1
        first = by_group[g][0]
        if first[1] == "eth":
            tx_rows.append([txh, bn, idx, first[2], first[3], str(first[5]), 21000, 20_000_000_000, "0x", blocks[bn]])
            continue
        tx_rows.append([txh, bn, idx, first[6], first[4] if len(by_group[g]) == 1 else pool_of(by_group[g]),
                        "0", 65000, 20_000_000_000, "0xa9059cbb", blocks[bn]])
        for li, x in enumerate(by_group[g]):
            tt_rows.append([x[4], x[2], x[3], str(x[5]), txh, li, bn])
    with open(out / "blocks.csv", "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["number", "hash", "timestamp"])
        for bn in sorted(blocks):
            c.writerow([bn, "0x" + w.rng.bytes(32).hex(), blocks[bn]])
    with open(out / "transactions.csv", "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["hash", "block_number", "transaction_index", "from_address", "to_address", "value", "gas",
                    "gas_price", "input", "block_timestamp"])
        c.writerows(tx_rows)
    with open(out / "token_transfers.csv", "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"])
        c.writerows(tt_rows)
    with open(out / "tokens.csv", "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["address", "symbol", "name", "decimals"])
        c.writerow([USDT, "USDT", "Tether USD", 6])
        c.writerow([USDC, "USDC", "USD Coin", 6])
    services_and_truth(w, out, label_share, "ethereum", str, tx_of)
    return {"transfers": len(tt_rows), "transactions": len(tx_rows), "rings": len(w.rings), "roles": role_counts(w)}


def services_and_truth(w: World, out: Path, label_share: float, chain: str, addr, tx_of: dict[int, str]) -> None:
    """OUT/tagpack.yaml (``label_share`` of the exchanges' hot wallets and the DEX pool) and OUT/truth.json, every
    address written by ``addr`` (the chain's form) and each victim's payments by their transaction hashes."""
    hot = [(a, ex.name) for ex in w.exchanges for a in ex.hot]
    keep = [hot[i] for i in sorted(w.rng.choice(len(hot), size=int(round(label_share * len(hot))), replace=False))]
    lines = ["title: alt_world services", "creator: bench/alt_world.py", "is_public: false", f"network: {chain}",
             "source: bench/alt_world.py (synthetic world)", "confidence: ownership", "lastmod: '2024-01-01'", "tags:"]
    for a, name in keep:
        lines += [f"- address: '{addr(a)}'", f"  label: '{name}: hot wallet'", "  category: exchange", f"  actor: {name}"]
    for a, kind in w.services.items():
        if kind == "dex_pool":
            lines += [f"- address: '{addr(a)}'", "  label: 'DEX pool'", "  category: defi_dex"]
    (out / "tagpack.yaml").write_text("\n".join(lines) + "\n")
    truth = {
        "chain": chain, "generator": "bench/alt_world.py",
        "roles": [{"address": addr(a), "role": r, "ring": ring, "typology": "fake_platform"}
                  for a, (r, ring) in w.roles.items()],
        "rings": [{"id": r.id, "typology": "fake_platform", "params": r.params, "knobs": r.params,
                   "victims": [{**{k: x for k, x in v.items() if k != "groups"}, "address": addr(v["address"]),
                                "payments": [tx_of[g] for g in v["groups"] if g in tx_of]} for v in r.victims],
                   "cash_out": [{"address": addr(a), "received_usd": round(u, 2)} for a, u in r.cash_out.items()]}
                  for r in w.rings],
        "services": [{"address": addr(a), "kind": k} for a, k in w.services.items()],
        "benign": [{"address": addr(a), "kind": k} for a, k in w.benign.items() if a not in w.roles],
    }
    (out / "truth.json").write_text(json.dumps(truth))


def role_counts(w: World) -> dict[str, int]:
    return {r: sum(1 for x in w.roles.values() if x[0] == r)
            for r in ("victim", "scam_collection", "scam_operator", "laundering", "cash_out")}

TRON_TOKENS = {USDT: ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT", "Tether USD"),
               USDC: ("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", "USDC", "USD Coin")}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def tron_address(evm: str) -> str:
    """The Tron base58check form of a 20-byte address (version byte 0x41)."""
    import hashlib

    raw = bytes.fromhex("41" + evm[2:])
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return out


def write_tron(w: World, out: Path, label_share: float, histories: bool = True) -> dict:
    """The same world as a per-account TronGrid crawl: every account's TRC-20 transfer listing (bare rows, no
    ``detail``) and its account-transaction listing (TRX transfers, TransferContract), so each transfer is
    listed under both its sender and its receiver; token amounts keep their 6 decimals, gas money is TRX."""
    t_ = tron_address
    trc20: dict[str, list] = {}
    txs: dict[str, list] = {}
    tx_of: dict[int, str] = {}
    for r in sorted(w.rows, key=lambda r: (r[0], r[7])):
        t, kind, frm, to, tok, raw, _, g = r
        txh = tx_of.setdefault(g, w.rng.bytes(32).hex())
        if kind == "eth":
            item = {"txID": txh, "blockNumber": 60_000_000 + (t - START) // 3, "block_timestamp": t * 1000,
                    "ret": [{"contractRet": "SUCCESS", "fee": 0}],
                    "raw_data": {"timestamp": t * 1000, "contract": [{"type": "TransferContract", "parameter": {
                        "value": {"owner_address": "41" + frm[2:], "to_address": "41" + to[2:],
                                  "amount": raw // 10**12 * 100}}}]}}  # 1 ETH-unit of gas money -> 100 TRX
            for a in dict.fromkeys((frm, to)):  # both parties' listings, in a fixed order
                txs.setdefault(t_(a), []).append(item)
            continue
        addr, sym, name = TRON_TOKENS[tok]
        item = {"transaction_id": txh, "token_info": {"symbol": sym, "address": addr, "decimals": 6, "name": name},
                "block_timestamp": t * 1000, "from": t_(frm), "to": t_(to), "type": "Transfer", "value": str(raw)}
        for a in dict.fromkeys((frm, to)):  # both parties' listings, in a fixed order
            trc20.setdefault(t_(a), []).append(item)
    folder = out / "trongrid"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trc20.json").write_text(json.dumps({a: {"data": d, "success": True} for a, d in trc20.items()}))
    if histories:
        (folder / "transactions.json").write_text(json.dumps({a: {"data": d, "success": True} for a, d in txs.items()}))
    services_and_truth(w, out, label_share, "tron", t_, tx_of)
    return {"transfers": sum(1 for r in w.rows if r[1] == "token"), "rings": len(w.rings), "chain": "tron",
            "roles": role_counts(w)}

def pool_of(group: list) -> str:
    """The contract a multi-transfer transaction calls: the pool the first transfer paid (a swap's token in)."""
    return group[0][3]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=2500)
    ap.add_argument("--rings", type=int, default=8)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--labelled-hot-wallets", type=float, default=0.6)
    ap.add_argument("--chain", choices=["ethereum", "tron"], default="ethereum",
                    help="ethereum: ethereum-etl CSVs; tron: a per-account TronGrid crawl in OUT/trongrid (bare TRC-20 "
                    "rows and TRX transfers)")
    ap.add_argument("--no-account-history", action="store_true",
                    help="tron: write the TRC-20 listings only (no account-transaction pages, so no TRX)")
    a = ap.parse_args(argv)
    w = build(a.seed, a.users, a.rings, a.days)
    if a.chain == "tron":
        info = write_tron(w, a.out, a.labelled_hot_wallets, histories=not a.no_account_history)
    else:
        info = write(w, a.out, a.labelled_hot_wallets)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
