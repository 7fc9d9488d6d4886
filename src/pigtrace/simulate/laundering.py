"""What a ring does with the money its collection wallets receive: sweeps to consolidation wallets
(directly or through an intermediate hop: the ``sweeps`` knob), then per release one of several paths —
straight to a mule's exchange deposit account, splitting, a peel chain, a USDT→WETH swap through the DEX
router, an OTC desk, or a bridge — with delays drawn per ring. Laundering wallets may be reused across
rings and by ordinary business (``wallet_reuse``), and consolidation wallets may take in clean money
that leaves with the ring's (``laundering_mixing``). Every wallet forwards only what reached it; the ring's
gas comes from its funder or from exchanges (``scams.GasFunders``).
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import DAY, HOUR, MINUTE, World
from pigtrace.simulate.ledger import CALL, LOG_SWAP, LOG_TRANSFER, SWAP

PATHS = ("mule", "split", "peel", "swap", "otc", "bridge")


class RingBook:
    """Per-ring bookkeeping: first transaction time of each ring wallet (for gas) and cash-out receipts."""

    def __init__(self, w: World, ring: dict) -> None:
        self.w, self.ring = w, ring
        self.first_send: dict[int, int] = {}
        self.first_to: dict[int, int] = {}  # whom a ring wallet's first recorded payment went to, when known
        self.cash: dict[int, list] = {}  # entity -> [exchange/desk name, usd]

    def sent(self, entity: int, time: int, to: int | None = None) -> None:
        e, t = int(entity), int(time)
        if e not in self.first_send or t < self.first_send[e]:
            self.first_send[e] = t
            if to is None:
                self.first_to.pop(e, None)
            else:
                self.first_to[e] = int(to)

    def cashed(self, entity: int, name: str, usd: float) -> None:
        self.cash.setdefault(int(entity), [name, 0.0])[1] += float(usd)


def draw_profile(w: World, tron: bool) -> dict:
    rng = w.rng
    weights = rng.dirichlet(np.ones(len(PATHS)) * 0.7)
    return {
        "sweep_delay_h": float(rng.choice([0.3, 1, 3, 8, 24, 48]) * rng.uniform(0.7, 1.3)),
        "sweep_batch_days": float(rng.choice([0, 0, 1, 3])),
        "consolidation_wallets": int(rng.integers(1, 3)),
        "hold_days": float(rng.uniform(0.3, 8)),
        "paths": {p: round(float(x), 3) for p, x in zip(PATHS, weights)},
        "peel_hops": int(rng.integers(3, 12)),
        "peel_fraction": float(rng.uniform(0.05, 0.25)),
        "split_ways": int(rng.integers(2, 7)),
        "hop_delay_h": float(rng.choice([0.1, 0.5, 2, 12])),
        "mules": int(rng.integers(2, 9)),
        "mule_exchanges": int(rng.integers(1, 4)),
    }


REUSE_POOL = "reused_laundering"  # world group: laundering wallets shared across rings and with business


class Launderer:
    def __init__(self, w: World, rb: RingBook, profile: dict, knobs: dict) -> None:
        self.w, self.rb, self.p = w, rb, profile
        self.reuse = knobs.get("wallet_reuse") == "yes"
        self.mixing = float(knobs.get("laundering_mixing", 0.0))
        self.multi_hop = knobs.get("sweeps") == "multi_hop"
        self.desk = knobs.get("desk_customers") == "yes"
        self.cover = knobs.get("hop_cover") == "yes"
        stretch = 1.0
        if knobs.get("pace") == "slow":  # the same draws, stretched: the ring waits days to weeks
            stretch = float(w.knobs.late.uniform(5, 20))
            profile = {**profile, "sweep_delay_h": profile["sweep_delay_h"] * stretch,
                       "hold_days": profile["hold_days"] * stretch, "hop_delay_h": profile["hop_delay_h"] * stretch}
            self.p = profile
            rb.ring["params"]["laundering"]["pace_stretch"] = round(stretch, 2)
        self.p = profile = self._hold(w, profile, knobs.get("collection_hold", "hours"), stretch)
        self.own = 1.0  # the ring's share of the money now being moved (clean money mixed in lowers it)
        ring = rb.ring
        self.rid = ring["id"]
        n_ex = min(profile["mule_exchanges"], len(w.exchanges))
        exs = w.rng.choice(len(w.exchanges), size=n_ex, replace=False)
        self.mules = []
        for i in range(profile["mules"]):
            ex = int(exs[i % n_ex])
            m = int(w.deposit_accounts(1, ex)[0])
            self.mules.append((m, w.exchanges[ex].name))
        self.otc = [int(x) for x in w.rng.choice(w.named_list("otc_desk"), size=min(2, len(w.named_list("otc_desk"))), replace=False)]
        # drawn up front, recorded in the truth only once a sweep reaches them (an unused one is no wallet)
        self.cons = [self._wallet() for _ in range(profile["consolidation_wallets"])]

    def _hold(self, w: World, profile: dict, hold: str, stretch: float) -> dict:
        """The collection wallets' sweep delay and batching under ``collection_hold`` (drawn from the knob's
        own stream; "hours" keeps the profile's draws), stretched too by a slow pace."""
        if hold == "hours":
            return profile
        rng = w.knobs.hold
        days, batch = ((1, 7), (0, 1, 3, 7)) if hold == "days" else ((20, 60), (0, 14, 30, 60))
        out = {**profile, "sweep_delay_h": float(rng.uniform(*days)) * 24 * stretch,
               "sweep_batch_days": float(rng.choice(batch))}
        self.rb.ring["params"]["laundering"]["collection_hold"] = {
            "sweep_delay_h": round(out["sweep_delay_h"], 1), "sweep_batch_days": out["sweep_batch_days"]}
        return out

    # -- primitives ------------------------------------------------------------------------------------

    def _pay(self, t: int, frm: int, to: int, sym: str, amt: int) -> None:
        self.w.send(t, frm, to, sym, amt)
        self.rb.sent(frm, t, to)

    def _delay(self, hours: float) -> int:
        return int(self.w.rng.exponential(hours * HOUR)) + MINUTE

    def _after(self, prev: int, t: int) -> int:
        """``t`` kept inside the world when possible, but never before ``prev`` (money must arrive first)."""
        return max(prev + MINUTE, min(t, self.w.t1 - MINUTE))

    def _wallet(self) -> int:
        """A new wallet, or with wallet_reuse one other rings and ordinary business also use."""
        w = self.w
        pool = w.groups.setdefault(REUSE_POOL, [])
        if self.reuse and pool and w.rng.random() < 0.6:
            return pool[int(w.rng.integers(len(pool)))]
        e = w.book.one()
        if self.reuse:
            pool.append(e)
        return e

    def _fresh(self) -> int:
        e = self._wallet()
        self.w.role(e, "laundering", self.rid, "laundering")
        return e

    def _hop(self, t: int, sym: str) -> int:
        """A laundering hop the ring pays at ``t``; with hop_cover=yes it first gets a small withdrawal of its own
        from an exchange, hours to days before (drawn from the knob's own stream)."""
        x = self._fresh()
        if self.cover:
            w, rng = self.w, self.w.knobs.cover
            hot = w.onramp_hot_wallet(rng)
            amount = int(w.units(sym, rng.uniform(20, 300))[0])
            w.send(int(w.clamp(t - int(rng.integers(HOUR, 3 * DAY)))), hot, x, sym, amount)
        return x

    def _cash_out(self, t: int, frm: int, sym: str, amt: int, to_otc: bool = False) -> None:
        w = self.w
        if to_otc and self.otc:
            desk = self.otc[int(w.rng.integers(len(self.otc)))]
            self._pay(t, frm, desk, sym, amt)
            w.role(desk, "cash_out", self.rid, "cash_out")
            self.rb.cashed(desk, w.services.get(desk, ("otc_desk", "OTC desk"))[1], w.usd(sym, amt) * self.own)
            return
        m, ex = self.mules[int(w.rng.integers(len(self.mules)))]
        self._pay(t, frm, m, sym, amt)
        w.role(m, "cash_out", self.rid, "cash_out")
        self.rb.cashed(m, ex, w.usd(sym, amt) * self.own)

    # -- entry point -----------------------------------------------------------------------------------

    def run(self, arrivals: list[tuple[int, int, str, int]]) -> None:
        """``arrivals``: (collection wallet, time, symbol, stored amount) of victims' money."""
        w, p = self.w, self.p
        if not arrivals:
            return
        arr = sorted(arrivals, key=lambda a: (a[0], a[2], a[1]))
        sweeps: list[tuple[int, int, str, int]] = []  # (consolidation wallet, time, sym, amt)
        period = p["sweep_batch_days"] * DAY
        i = 0
        while i < len(arr):
            wallet, t, sym, _ = arr[i]
            j, total, last = i, 0, t
            while j < len(arr) and arr[j][0] == wallet and arr[j][2] == sym and (
                    period == 0 and j == i or period > 0 and arr[j][1] < t + period):
                total += arr[j][3]
                last = arr[j][1]
                j += 1
            st = min(last + self._delay(p["sweep_delay_h"]), w.t1 - 3 * DAY)
            st = max(st, last + MINUTE)
            k = self.cons[int(w.rng.integers(len(self.cons)))]
            w.role(k, "laundering", self.rid, "laundering")
            if self.multi_hop:
                hop = self._fresh()
                self._pay(st, wallet, hop, sym, total)
                st = max(st + MINUTE, min(st + self._delay(p["hop_delay_h"]), w.t1 - 3 * DAY))
                wallet = hop
            self._pay(st, wallet, k, sym, total)
            sweeps.append((k, st, sym, total))
            i = j
        sweeps.sort(key=lambda s: (s[0], s[2], s[1]))
        if self.desk:
            self._desk_customers(sweeps)
        hold = p["hold_days"] * DAY
        i = 0
        while i < len(sweeps):
            k, t, sym, _ = sweeps[i]
            j, total, last = i, 0, t
            while j < len(sweeps) and sweeps[j][0] == k and sweeps[j][2] == sym and sweeps[j][1] < t + hold:
                total += sweeps[j][3]
                last = sweeps[j][1]
                j += 1
            rt = max(last + MINUTE, min(last + self._delay(p["hold_days"] * 6), w.t1 - 2 * DAY))
            clean = self._mix_in(k, last, rt, sym, total)
            self.own = total / (total + clean)
            self._release(rt, k, sym, total + clean)
            self.own = 1.0
            i = j

    def _mix_in(self, k: int, after: int, before: int, sym: str, amt: int) -> int:
        """Clean money (an exchange withdrawal) reaching consolidation wallet ``k`` between the ring's last
        sweep and the release, so that it is ``laundering_mixing`` of what leaves; returns the amount."""
        if self.mixing <= 0 or before - after < 2 * MINUTE:
            return 0
        w = self.w
        clean = int(amt * self.mixing / (1.0 - min(self.mixing, 0.95)))
        if clean <= 0:
            return 0
        t = int(w.rng.integers(after + MINUTE, before))
        w.withdraw(t, k, sym, clean)
        return clean

    def _desk_customers(self, sweeps: list[tuple[int, int, str, int]]) -> None:
        """desk_customers=yes: two or three people sell each consolidation wallet coins two to four times between
        its first and last sweep, each from a wallet of their own kept for it, paying on the whole of a withdrawal
        from an exchange made hours before (gas withdrawn with the first); the desk pays them in cash, so nothing
        goes back on chain. Drawn from the knob's own stream (the wallets' addresses too), so the rest of the
        world is the one the same seed gives without it."""
        w, rng = self.w, self.w.knobs.desk
        by_wallet: dict[tuple[int, str], list[int]] = {}
        for k, t, sym, _ in sweeps:
            by_wallet.setdefault((k, sym), []).append(t)
        for (k, sym), times in sorted(by_wallet.items()):
            first, last = min(times), max(max(times), min(times) + 7 * DAY)
            for _ in range(int(rng.integers(2, 4))):
                customer = w.book.one(rng)
                w.mark_benign(customer, "desk_customer")
                hot = w.onramp_hot_wallet(rng)
                for n, t in enumerate(np.sort(rng.integers(first, last, size=int(rng.integers(2, 5)))).tolist()):
                    amount = int(w.units(sym, rng.uniform(300, 8000))[0])
                    bought = int(w.clamp(t - int(rng.integers(HOUR, 12 * HOUR))))
                    if n == 0 and sym != w.native:
                        w.send(bought, hot, customer, w.native, int(w.units(w.native, rng.uniform(3, 20))[0]))
                    w.send(bought, hot, customer, sym, amount)
                    w.send(int(w.clamp(t)), customer, k, sym, amount)

    def _release(self, t: int, k: int, sym: str, amt: int) -> None:
        w, p = self.w, self.p
        names = list(p["paths"])
        weights = np.array(list(p["paths"].values()))
        path = names[int(w.rng.choice(len(names), p=weights / weights.sum()))]
        if path == "swap" and sym not in ("USDT", "USDC") or (path == "swap" and "uniswap_pool" not in w.named):
            path = "otc"
        if path == "mule":
            self._cash_out(t, k, sym, amt)
        elif path == "otc":
            self._cash_out(t, k, sym, amt, to_otc=True)
        elif path == "bridge":
            self._bridge(t, k, sym, amt)
        elif path == "split":
            parts = self._split(amt, p["split_ways"])
            for part in parts:
                x = self._hop(t, sym)
                self._pay(t, k, x, sym, part)
                t2 = t + self._delay(p["hop_delay_h"])
                self._cash_out(self._after(t, t2), x, sym, part, to_otc=bool(w.rng.random() < 0.2))
        elif path == "peel":
            cur, rest, tt = k, amt, t
            for _ in range(p["peel_hops"]):
                nxt = self._hop(tt, sym)
                self._pay(tt, cur, nxt, sym, rest)
                tt = self._after(tt, tt + self._delay(p["hop_delay_h"]))
                peel = int(rest * p["peel_fraction"] * w.rng.uniform(0.6, 1.4))
                if 0 < peel < rest:
                    self._cash_out(tt, nxt, sym, peel)
                    rest -= peel
                    tt += MINUTE
                cur = nxt
            self._cash_out(self._after(tt, tt + MINUTE), cur, sym, rest, to_otc=bool(w.rng.random() < 0.3))
        elif path == "swap":
            x = self._hop(t, sym)
            self._pay(t, k, x, sym, amt)
            t2 = self._after(t + 2 * MINUTE, t + self._delay(p["hop_delay_h"]))
            weth = self._swap(t2, x, sym, amt)
            t3 = self._after(t2 + 3 * MINUTE, t2 + self._delay(p["hop_delay_h"]))
            if w.rng.random() < 0.4:
                self._bridge(t3, x, "WETH", weth)
            else:
                self._cash_out(t3, x, "WETH", weth, to_otc=bool(w.rng.random() < 0.5))

    def _split(self, amt: int, ways: int) -> list[int]:
        shares = self.w.rng.dirichlet(np.ones(ways) * 2)
        parts = [int(amt * s) for s in shares[:-1]]
        parts.append(amt - sum(parts))
        return [x for x in parts if x > 0]

    def _swap(self, t: int, x: int, sym: str, amt: int) -> int:
        """``x`` swaps ``amt`` of a stablecoin for WETH through the Uniswap V2 router; returns the WETH got."""
        w = self.w
        router, pool = w.named["uniswap_router"], w.named["uniswap_pool"]
        tok, weth = w.tokens[sym], w.tokens["WETH"]
        w.ledger.approve(t - 2 * MINUTE, x, tok.entity, router, 0, 0, unlimited=True)
        out = int(w.units("WETH", w.usd(sym, amt) * 0.997)[0])
        ids = w.ledger.add_txs(t, x, router, SWAP, a0=x, a1=tok.entity, a2=weth.entity, amt=amt, scale=tok.scale)
        w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, x, pool, amt, tok.scale)
        w.ledger.add_logs(ids, 1, LOG_TRANSFER, weth.entity, pool, x, out, weth.scale)
        w.ledger.add_logs(ids, 2, LOG_SWAP, pool, router, x, amt, tok.scale, amt2=out, scale2=weth.scale,
                          in_pos=1, out_pos=2)
        self.rb.sent(x, t - 2 * MINUTE)
        return out

    def _bridge(self, t: int, frm: int, sym: str, amt: int) -> None:
        """Deposit into a bridge: approve the bridge, then its deposit call pulls the tokens."""
        w = self.w
        bridge = w.named["bridge"]
        tok = w.tokens[sym]
        w.ledger.approve(t - 3 * MINUTE, frm, tok.entity, bridge, amt, tok.scale)
        ids = w.ledger.add_txs(t, frm, bridge, CALL, a0=tok.entity, a1=frm, amt=amt, scale=tok.scale)
        w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, frm, bridge, amt, tok.scale)
        self.rb.sent(frm, t - 3 * MINUTE)

