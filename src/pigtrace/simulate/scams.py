"""The scam rings of the synthetic world: fake investment platforms, approval drains ("DeFi savings")
and address poisoning (zero-value transferFroms, fake-token transfers or real dust from a look-alike, right
after a real payment). Each ring draws its own parameters (amounts, counts, delays, shared or
per-victim wallets, self-custody or exchange-paid victims, unlimited or large approvals, EOA or contract
spenders, ...) so no two rings look alike; each records its victims' exact losses and its addresses'
true roles, and hands the money its collection wallets received to ``laundering``.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import DAY, HOUR, MINUTE, SimToken, World
from pigtrace.simulate.laundering import Launderer, RingBook, draw_profile
from pigtrace.simulate.ledger import CALL, LOG_TRANSFER


RING_KNOBS = ("paybacks", "round_amounts", "payment_route", "deposit_wallets", "deposit_addresses", "growth",
              "laundering_mixing", "wallet_reuse", "sweeps", "gas", "pace", "collection_hold", "victim_banks",
              "lenders")
LAUNDER_KNOBS = ("laundering_mixing", "wallet_reuse", "sweeps", "gas", "pace", "collection_hold", "gas_payee",
                 "desk_customers", "hop_cover")


class GasFunders:
    """Where scam wallets get gas (the ``gas`` knob): a dedicated funder, possibly shared between rings and
    funded from an exchange before its first top-up; or exchange withdrawals straight to each wallet. Under
    ``gas_payee=yes`` a wallet whose first payment went to another ring wallet gets its gas from that one."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.need: dict[int, list] = {}  # funder -> [first top-up time, usd]
        self.payees: dict[int, list] = {}  # gas_payee=yes: ring wallet topping up those that pay it -> the same

    def pick(self, ring: dict) -> int | None:
        """The ring's dedicated funder, or None when its wallets take gas from exchanges only."""
        w = self.w
        if ring["knobs"]["gas"] == "exchange":
            return None
        if self.need and w.rng.random() < 0.35:
            f = list(self.need)[int(w.rng.integers(len(self.need)))]
        else:
            f = w.book.one()
            self.need[f] = [w.t1, 0.0]
        return f  # a scam_operator once it tops up a wallet (top_up): a funder the ring never used never acts

    def top_up(self, funder: int | None, rb: RingBook) -> None:
        w = self.w
        firsts = {e: t for e, t in rb.first_send.items() if e != funder}
        if rb.ring["knobs"].get("gas_payee") == "yes":
            firsts = self._from_payees(firsts, rb)
        if not firsts:
            return
        if funder is not None and rb.ring["knobs"]["gas"] == "mixed":
            from_exchange = {e: t for e, t in firsts.items() if w.rng.random() < 0.5}
            firsts = {e: t for e, t in firsts.items() if e not in from_exchange}
        else:
            from_exchange = firsts if funder is None else {}
        if from_exchange:
            ents = np.fromiter(from_exchange.keys(), dtype=np.int32)
            t = np.fromiter(from_exchange.values(), dtype=np.int64)
            lead = w.rng.integers(10 * MINUTE, DAY, size=len(ents))
            w.withdraw(np.maximum(t - lead, w.t0 + MINUTE), ents, w.native,
                       w.units(w.native, w.rng.uniform(3.0, 40.0, size=len(ents))))
        if firsts and funder is not None:
            w.role(funder, "scam_operator", rb.ring["id"], rb.ring["typology"])
            usd = w.gas_topups(funder, firsts)
            n = self.need[funder]
            n[0] = min(n[0], min(firsts.values()) - 6 * HOUR)
            n[1] += usd

    def _from_payees(self, firsts: dict[int, int], rb: RingBook) -> dict[int, int]:
        """gas_payee=yes: each wallet whose first payment went to another of the ring's wallets gets its gas from
        that wallet (funded from an exchange before its first top-up); returns the wallets left to the ring's
        funder."""
        by_payee: dict[int, dict[int, int]] = {}
        for e, t in firsts.items():
            p = rb.first_to.get(e)
            if p is not None and p != e and p in rb.first_send:
                by_payee.setdefault(p, {})[e] = t
        for p, wallets in sorted(by_payee.items()):
            usd = self.w.gas_topups(p, wallets)
            n = self.payees.setdefault(p, [self.w.t1, 0.0])
            n[0] = min(n[0], min(wallets.values()) - 6 * HOUR)
            n[1] += usd
        topped = {e for wallets in by_payee.values() for e in wallets}
        return {e: t for e, t in firsts.items() if e not in topped}

    def fund(self) -> None:
        w = self.w
        for f, (first, usd) in [*self.need.items(), *self.payees.items()]:
            if usd > 0:
                t = w.clamp(first - w.rng.integers(HOUR, 2 * DAY))
                w.withdraw(t, f, w.native, w.units(w.native, usd * 1.2))


def _new_ring(w: World, typology: str, params: dict, knob_names: tuple[str, ...]) -> dict:
    ring = w.new_ring(typology, params)
    ring["knobs"] = w.knobs.ring(knob_names)
    return ring


def _finish(w: World, ring: dict, rb: RingBook, gas: GasFunders, funder: int | None, arrivals) -> None:
    Launderer(w, rb, ring["params"]["laundering"], ring["knobs"]).run(arrivals)
    gas.top_up(funder, rb)
    ring["cash_out"] = [{"address": e, "exchange": name, "received_usd": round(usd, 2)} for e, (name, usd) in rb.cash.items()]


def _victim_entry(w: World, address: int, sym: str, lost: int, paid_from: str, payments) -> dict:
    """A victim's loss; ``payments`` and ``refunds`` hold transaction ids (hashes in truth.json)."""
    return {"address": int(address), "lost_raw": w.raw_text(sym, lost), "token": w.tokens[sym].address,
            "symbol": sym, "lost_usd": round(float(w.usd(sym, lost)), 2), "paid_from": paid_from,
            "payments": [int(x) for x in np.atleast_1d(payments)], "refunds": [], "on_chain": True}


def _one_bank(w: World) -> int:
    """victim_banks=one: the exchange all of a ring's exchange-paid victims bank at (one that pays withdrawals)."""
    onramps = [i for i, e in enumerate(w.exchanges) if not e.offramp]
    return onramps[int(w.knobs.exchange.integers(len(onramps)))]


def _ring_window(w: World, span_days: float) -> tuple[int, float]:
    """A start time and a span that fit in the world, leaving room for laundering afterwards."""
    days = (w.t1 - w.t0) / DAY
    span = min(span_days, max(2.0, days * 0.55))
    latest = max(w.t0 + DAY, w.t1 - int((span + max(3.0, days * 0.12)) * DAY))
    start = int(w.rng.integers(w.t0 + DAY, latest + 1))
    return start, span


def _route_shares(w: World, route: str) -> np.ndarray:
    """Per-victim probabilities of (self_custody, exchange, relay) for a ring's payment_route."""
    if route == "self_custody":
        return np.array([1.0, 0.0, 0.0])
    if route == "exchange":
        return np.array([0.0, 1.0, 0.0])
    if route == "relay":
        return np.array([0.0, 0.0, 1.0])
    if w.knobs.style == "fixed" and "payment_route" not in w.knobs.given:  # as before knobs: no relays
        ex = float(w.rng.choice([0.0, 0.25, 0.5, 1.0]))
        return np.array([1.0 - ex, ex, 0.0])
    return w.rng.dirichlet(np.ones(3))


def _deposit_amounts(w: World, p: dict, knobs: dict, n: int) -> np.ndarray:
    """A victim's escalating deposits in USD: round or not, monotone or with setbacks."""
    rng = w.rng
    if knobs["growth"] == "noisy":
        steps = p["growth"] ** np.arange(n) * rng.uniform(0.45, 1.35, n)
    else:
        steps = np.maximum.accumulate(p["growth"] ** np.arange(n) * rng.uniform(0.8, 1.2, n))
    usd = p["first_deposit_usd"] * rng.uniform(0.6, 1.4) * steps
    if knobs["round_amounts"] == "yes":
        usd = np.where(usd > 1000, np.round(usd, -2), np.round(usd, 0))
        usd[0] = max(20.0, round(usd[0] / 10) * 10)
    else:
        usd = np.round(usd + rng.uniform(0.01, 9.99, n), 2)
    return usd


def _tax_amounts(w: World, p: dict, knobs: dict) -> np.ndarray:
    """The round "taxes/fees" to unlock a balance; with round_amounts=no, within 10% of a round figure."""
    usd = p["tax_unit_usd"] * w.rng.integers(1, 5, size=p["taxes"]).astype(np.float64)
    if knobs["round_amounts"] == "no":
        usd = np.round(usd * w.rng.uniform(0.9, 1.1, size=len(usd)), 2)
    return usd


def fake_platform(w: World, gas: GasFunders, max_victims: int) -> dict:
    rng = w.rng
    tron = w.chain == "tron"
    p = {
        "victims": int(rng.integers(3, max(4, max_victims) + 1)),
        "token": str(rng.choice(["USDT", "USDT", "USDT", "USDC"])),
        "platform_wallets": int(rng.integers(1, 4)),
        "first_deposit_usd": float(rng.uniform(50, 1500)),
        "growth": float(rng.uniform(1.15, 2.4)),
        "deposits": int(rng.integers(2, 9)),
        "span_days": float(rng.uniform(21, 60)),
        "inducements": int(rng.integers(1, 4)),
        "inducement_ratio": float(rng.uniform(0.05, 0.4)),
        "inducement_delay_h": float(rng.uniform(2, 72)),
        "taxes": int(rng.integers(1, 4)),
        "tax_unit_usd": float(rng.choice([500, 1000, 2000, 5000])),
        "laundering": draw_profile(w, tron),
    }
    ring = _new_ring(w, "fake_platform", p, RING_KNOBS)
    knobs = ring["knobs"]
    if knobs["deposit_wallets"] == "mixed" and w.knobs.style == "fixed" and "deposit_wallets" not in w.knobs.given:
        knobs["deposit_wallets"] = "shared" if rng.random() < 0.55 else "per_victim"  # as before knobs
    routes = _route_shares(w, knobs["payment_route"])
    p["route_shares"] = [round(float(x), 3) for x in routes]
    rid, sym = ring["id"], p["token"]
    rb = RingBook(w, ring)
    funder = gas.pick(ring)
    payout = None
    shared = [int(x) for x in w.book.random(p["platform_wallets"])] if knobs["deposit_wallets"] != "per_victim" else []
    start, span = _ring_window(w, p["span_days"])
    arrivals: list[tuple[int, int, str, int]] = []
    inducements: list[tuple[int, int, int]] = []
    user_pool = w.users
    bank = _one_bank(w) if knobs["victim_banks"] == "one" else None
    borrowers: dict[int, list] = {}  # platform wallet -> its victims paying from their own wallets
    picks = rng.choice(len(user_pool), size=min(p["victims"], len(user_pool)), replace=False)
    for vi in picks:
        route = int(rng.choice(3, p=routes))
        exchange = None
        if route == 1:
            dep = int(w.user_deposit[vi])
            if bank is not None and dep >= 0 and w.deposit_exchange[dep] != bank:
                dep = -1  # the victim opens an account at the exchange the ring's market uses
            if dep < 0:
                dep = int(w.deposit_accounts(1, bank if bank is not None else int(rng.integers(len(w.exchanges))))[0])
            victim = dep
            exchange = w.deposit_exchange[victim]
        elif route == 2:
            victim = w.book.one()  # a fresh wallet the scammer asked the victim to open
        else:
            victim = int(user_pool[vi])
        own_wallet = knobs["deposit_wallets"] == "per_victim" or (
            knobs["deposit_wallets"] == "mixed" and rng.random() < 0.5)
        platform = w.book.one() if own_wallet or not shared else shared[int(rng.integers(len(shared)))]
        sv = start + int(rng.uniform(0, span * 0.3) * DAY)
        n = max(2, p["deposits"] + int(rng.integers(-1, 2)))
        times = sv + np.sort(rng.uniform(0, span * rng.uniform(0.5, 0.8) * DAY, size=n)).astype(np.int64)
        times[0] = sv
        usd = _deposit_amounts(w, p, knobs, n)
        last = int(times[-1])
        tax_times = last + np.cumsum(rng.integers(DAY, 4 * DAY, size=p["taxes"]))
        all_t = w.clamp(np.r_[times, tax_times])
        amounts = w.units(sym, np.r_[usd, _tax_amounts(w, p, knobs)])
        # deposit_addresses=per_payment: the platform shows a fresh address for every payment
        to = np.array([platform] + [w.book.one() for _ in all_t[1:]]) \
            if knobs["deposit_addresses"] == "per_payment" else platform
        w.role(to, "scam_collection", rid, "fake_platform")
        if exchange is not None:
            paid = w.withdraw(all_t, to, sym, amounts, exchange=exchange)  # the exchange sends on the victim's order
        else:
            lead = rng.integers(10 * MINUTE, 2 * DAY, size=len(all_t))
            w.withdraw(np.maximum(all_t - lead, w.t0 + MINUTE), victim, sym,
                       (amounts * rng.uniform(1.0, 1.04, len(amounts))).astype(np.int64))
            paid = w.send(all_t, victim, to, sym, amounts)
            if route == 0:
                borrowers.setdefault(platform, []).append((victim, all_t, amounts))
            if route == 2 and rng.random() < 0.5:
                rb.sent(victim, int(all_t[0]))  # the scammer's gas funder pays the relay's first fees
        arrivals += [(int(d), int(t), sym, int(a)) for d, t, a in zip(np.broadcast_to(to, all_t.shape), all_t, amounts)]
        # "profit withdrawals": after each of the first k deposits, a small payment back builds trust
        pays_back = knobs["paybacks"] == "onchain" or (knobs["paybacks"] == "mixed" and rng.random() < 0.5)
        k = max(1, min(p["inducements"], n - 1)) if pays_back else 0
        ind_t = times[:k] + np.maximum(HOUR, rng.exponential(p["inducement_delay_h"] * HOUR, size=k)).astype(np.int64)
        ind_t = np.minimum(ind_t, np.r_[times[1:k + 1] - MINUTE, ind_t[-1:]][:k]) if n > 1 and k else ind_t
        ind = (amounts[:k] * p["inducement_ratio"] * rng.uniform(0.6, 1.4, size=k)).astype(np.int64)
        # A victim paying from an exchange account who is never paid back has no transfer that ties its
        # deposit account to the ring: the ledger cannot show it, so it is a loss but no role to find.
        on_chain = exchange is None or bool((ind > 0).any())
        if on_chain:
            w.role(victim, "victim", rid, "fake_platform")
        entry = _victim_entry(w, victim, sym, int(amounts.sum() - ind.sum()),
                              ("exchange", "self_custody", "relay")[(1, 0, 2)[route]], paid)
        entry["on_chain"] = on_chain
        ring["victims"].append(entry)
        inducements += [(int(t), victim, int(a), entry) for t, a in zip(ind_t, ind) if a > 0]
    if knobs["lenders"] == "shared":
        _lend(w, borrowers, sym, {int(e["address"]) for e in ring["victims"]})
    if inducements:
        payout = w.book.one()
        w.role(payout, "scam_operator", rid, "fake_platform")
        first = min(x[0] for x in inducements)
        total = sum(x[2] for x in inducements)
        w.withdraw(w.clamp(first - rng.integers(HOUR, 3 * DAY)), payout, sym, int(total * 1.1) + 1)
        for t, v, a, entry in inducements:
            entry["refunds"] += [int(x) for x in w.send(t, payout, v, sym, a)]
            rb.sent(payout, t)
    _finish(w, ring, rb, gas, funder, arrivals)
    return ring


def _lend(w: World, borrowers: dict[int, list], sym: str, victims_of_ring: set[int]) -> None:
    """lenders=shared: for each platform wallet that two or more victims pay from their own wallets, a person
    (none of the ring's victims) buys at an exchange and lends two of them part of a later deposit, hours before
    it, and each passes the loan on with that deposit. Drawn from the knob's own stream (the hot wallet too), so
    the rest of the world is the one the same seed gives without the knob."""
    rng = w.knobs.lend
    for victims in borrowers.values():
        if len(victims) < 2:
            continue
        lender = int(w.users[int(rng.integers(len(w.users)))])
        while lender in victims_of_ring:
            lender = int(w.users[int(rng.integers(len(w.users)))])
        w.mark_benign(lender, "lender")
        hot = w.onramp_hot_wallet(rng)
        for victim, times, amounts in victims[:2]:
            k = int(rng.integers(1, len(times))) if len(times) > 1 else 0
            loan = int(amounts[k] * rng.uniform(0.3, 0.9))
            w.send(w.clamp(int(times[k]) - int(rng.integers(DAY, 3 * DAY))), hot, lender, sym, loan + 1)
            w.send(w.clamp(int(times[k]) - int(rng.integers(HOUR, 12 * HOUR))), lender, victim, sym, loan)


def approval_drain(w: World, gas: GasFunders, max_victims: int) -> dict:
    rng = w.rng
    tron = w.chain == "tron"
    p = {
        "victims": int(rng.integers(3, max(4, max_victims) + 1)),
        "token": str(rng.choice(["USDT", "USDT", "USDC"])),
        "spender": str(rng.choice(["eoa", "contract"])),
        "unlimited": bool(rng.random() < 0.6),
        "approval_usd": float(10 ** rng.integers(5, 9)),
        "deposit_usd": float(rng.uniform(300, 20000)),
        "topups": int(rng.integers(0, 4)),
        "interest_daily": float(rng.uniform(0.004, 0.03)),
        "interest_every_days": int(rng.choice([1, 1, 2, 7])),
        "span_days": float(rng.uniform(10, 45)),
        "shared_receiver": bool(rng.random() < 0.6),
        "drain_burst": bool(rng.random() < 0.5),
        "operator_pays_interest": bool(rng.random() < 0.5),
        "laundering": draw_profile(w, tron),
    }
    ring = _new_ring(w, "approval_drain", p, ("paybacks",) + LAUNDER_KNOBS)
    rid, sym = ring["id"], p["token"]
    tok: SimToken = w.tokens[sym]
    rb = RingBook(w, ring)
    funder = gas.pick(ring)
    spender = w.book.one()
    operator = spender if p["spender"] == "eoa" else w.book.one()
    payer = operator if p["operator_pays_interest"] else w.book.one()
    w.role([spender, operator], "scam_operator", rid, "approval_drain")
    receiver = w.book.one() if p["shared_receiver"] else None
    start, span = _ring_window(w, p["span_days"])
    burst = start + int(span * DAY) + int(rng.integers(HOUR, 3 * DAY))
    arrivals, interest_events = [], []
    victims = w.book.random(p["victims"])
    for v in victims:
        v = int(v)
        sv = start + int(rng.uniform(0, span * 0.5) * DAY)
        end = burst if p["drain_burst"] else sv + int(span * rng.uniform(0.5, 1.0) * DAY)
        end = int(w.clamp(end))
        w.withdraw(sv - HOUR, v, w.native, w.units(w.native, rng.uniform(15, 60)))  # gas money
        dep = w.units(sym, p["deposit_usd"] * rng.uniform(0.5, 1.5))[0]
        w.withdraw(sv, v, sym, dep)
        amt = w.units(sym, p["approval_usd"])[0]
        w.ledger.approve(sv + int(rng.integers(5 * MINUTE, 6 * HOUR)), v, tok.entity, spender, amt, tok.scale,
                         unlimited=p["unlimited"])
        top_t = np.sort(rng.integers(sv + DAY, max(sv + DAY + 1, end - DAY), size=p["topups"]))
        top_a = w.units(sym, p["deposit_usd"] * rng.uniform(0.5, 3.0, size=p["topups"]))
        if len(top_t):
            w.withdraw(top_t, v, sym, top_a)
        every = p["interest_every_days"] * DAY
        pays = ring["knobs"]["paybacks"] == "onchain" or (ring["knobs"]["paybacks"] == "mixed" and rng.random() < 0.5)
        int_t = np.arange(sv + every, end - HOUR, every, dtype=np.int64) if pays else np.zeros(0, np.int64)
        int_a = np.full(len(int_t), max(1, int(dep * p["interest_daily"] * p["interest_every_days"])), np.int64)
        balance = int(dep + top_a.sum() + int_a.sum())
        to = receiver if receiver is not None else w.book.one()
        w.role(to, "scam_collection", rid, "approval_drain")
        if p["spender"] == "eoa":
            ids = w.ledger.transfer_from(end, spender, tok.entity, v, to, balance, tok.scale)
        else:
            ids = w.ledger.add_txs(end, operator, spender, CALL, a0=v, a1=to, amt=balance, scale=tok.scale)
            w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, v, to, balance, tok.scale)
        rb.sent(operator, end)
        arrivals.append((to, end, sym, balance))
        w.role(v, "victim", rid, "approval_drain")
        entry = _victim_entry(w, v, sym, balance - int(int_a.sum()), "self_custody", ids)
        ring["victims"].append(entry)
        interest_events += [(int(t), v, int(a), entry) for t, a in zip(int_t, int_a)]
    if interest_events:
        w.role(payer, "scam_operator", rid, "approval_drain")
        first = min(x[0] for x in interest_events)
        total = sum(x[2] for x in interest_events)
        w.withdraw(w.clamp(first - rng.integers(HOUR, 2 * DAY)), payer, sym, int(total * 1.05) + 1)
        t_, v_, a_ = (np.array(x) for x in list(zip(*interest_events))[:3])
        ids = w.send(t_, payer, v_, sym, a_)
        for tx_id, ev in zip(ids, interest_events):
            ev[3]["refunds"].append(int(tx_id))
        rb.sent(payer, int(t_.min()))
    _finish(w, ring, rb, gas, funder, arrivals)
    return ring


def _poisoning_candidates(w: World, min_usd: float) -> np.ndarray:
    """Indexes of retail stablecoin payments worth at least ``min_usd`` early enough to be followed up."""
    pay = w.payments
    cache = pay.setdefault("_candidates", {})
    if min_usd not in cache:
        if "_usd" not in pay:
            pay["_usd"] = w.usd("USDT", pay["amt"])  # USDT and USDC share decimals and price
        early = pay["time"] < w.t1 - 10 * DAY
        ok = np.flatnonzero((pay["_usd"] >= min_usd) & early)
        cache[min_usd] = ok if len(ok) else np.flatnonzero(early)
    return cache[min_usd]


def address_poisoning(w: World, gas: GasFunders, max_targets: int) -> dict | None:
    rng = w.rng
    tron = w.chain == "tron"
    pay = w.payments
    if not len(pay.get("time", [])):
        return None
    p = {
        "targets": int(rng.integers(5, max(6, max_targets) + 1)),
        "min_usd": float(rng.choice([50, 200, 1000, 5000])),
        "head": int(rng.integers(3, 7)),
        "tail": int(rng.integers(4, 7)),
        # how the look-alike is planted: zero-value transferFrom, fake-token transfer, real dust from the look-alike
        "method_shares": [round(float(x), 3) for x in rng.dirichlet([1.0, 1.0, 0.7])],
        "delay_min": float(rng.uniform(1, 30)),
        "pay_probability": float(rng.uniform(0.08, 0.35)),
        "poisoners": int(rng.integers(1, 4)),
        "laundering": draw_profile(w, tron),
    }
    ring = _new_ring(w, "address_poisoning", p, LAUNDER_KNOBS)
    rid = ring["id"]
    rb = RingBook(w, ring)
    funder = gas.pick(ring)
    ok = _poisoning_candidates(w, p["min_usd"])
    if len(ok) == 0:
        return ring
    chosen = rng.choice(ok, size=min(p["targets"], len(ok)), replace=False)
    poisoners = [int(x) for x in w.book.random(p["poisoners"])]
    planted: set[int] = set()  # the poisoners that sent a look-alike transfer: the others never act on chain
    fakes: dict[str, int] = {}
    lookalike: dict[int, int] = {}
    arrivals = []
    paid: set[int] = set()
    for i in chosen:
        t, s, r, sym, amt = int(pay["time"][i]), int(pay["sender"][i]), int(pay["recipient"][i]), str(pay["symbol"][i]), int(pay["amt"][i])
        if s in w.roles or r in w.roles:
            continue
        if r not in lookalike:
            lookalike[r] = w.book.lookalike(r, p["head"], p["tail"])
        la = lookalike[r]
        pz = poisoners[int(rng.integers(len(poisoners)))]
        tp = int(w.clamp(t + int(rng.exponential(p["delay_min"] * MINUTE)) + 24))
        tok = w.tokens[sym]
        shares = np.array(p["method_shares"])
        method = int(rng.choice(3, p=shares / shares.sum()))
        dust_ids: list[int] = []
        if method == 0:
            w.ledger.transfer_from(tp, pz, tok.entity, s, la, 0, tok.scale)
            planted.add(pz)
        elif method == 2:
            dust = int(rng.integers(10_000, 1_000_000))  # 0.01 to 1 of a 6-decimal stablecoin
            w.withdraw(tp - int(rng.integers(5 * MINUTE, 2 * HOUR)), la, sym, dust)
            dust_ids = [int(x) for x in w.send(tp, la, s, sym, dust)]
            rb.sent(la, tp)
        else:
            if sym not in fakes:
                fake = w.book.one()
                fakes[sym] = fake
                w.extra_tokens.append({"entity": fake, "symbol": sym, "name": tok.name, "decimals": tok.decimals})
                w.role(fake, "scam_operator", rid, "address_poisoning")
            near = max(1, int(amt * rng.uniform(0.9, 1.1)))
            ids = w.ledger.add_txs(tp, pz, fakes[sym], CALL, a0=la, a1=s, amt=near, scale=tok.scale)
            w.ledger.add_logs(ids, 0, LOG_TRANSFER, fakes[sym], la, s, near, tok.scale)
            planted.add(pz)
        rb.sent(pz, tp)
        if rng.random() < p["pay_probability"]:
            tv = int(w.clamp(tp + int(rng.uniform(0.2, 20) * DAY)))
            loss = int(amt * rng.uniform(0.5, 1.5))
            w.withdraw(tv - int(rng.integers(10 * MINUTE, DAY)), s, sym, loss)
            ids = w.send(tv, s, la, sym, loss)
            arrivals.append((la, tv, sym, loss))
            paid.add(la)
            w.role(s, "victim", rid, "address_poisoning")
            got = int(dust) if dust_ids else 0
            entry = _victim_entry(w, s, sym, loss - got, "self_custody", ids)
            entry["refunds"] = dust_ids
            ring["victims"].append(entry)
    w.role([pz for pz in poisoners if pz in planted], "scam_operator", rid, "address_poisoning")
    for la in lookalike.values():
        w.role(la, "scam_collection" if la in paid else "scam_operator", rid, "address_poisoning")
    ring["targets"] = len(lookalike)
    _finish(w, ring, rb, gas, funder, arrivals)
    return ring
