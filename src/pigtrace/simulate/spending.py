"""Payments by funded actors: ``Spends`` queues what users pay (plain transfers, swaps through the
router, subscription pulls, solver-settled intents, bridge deposits) and ``emit`` writes them together
with the exchange withdrawals that fund them, each withdrawal preceding the payments it covers — so no
user ever spends more than it received.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import DAY, HOUR, MINUTE, World
from pigtrace.simulate.ledger import CALL, LOG_SWAP, LOG_TRANSFER, SETTLE, SWAP

# how a queued payment is carried out
PLAIN, VIA_SWAP, VIA_PULL, VIA_SOLVER, VIA_BRIDGE = 0, 1, 2, 3, 4


class Spends:
    """Queued payments by funded actors; ``emit`` writes them with the exchange withdrawals that fund them."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in ("time", "payer", "to", "sym", "amt", "via", "sender")}
        self.syms = ["USDT", "USDC", "DAI", w.native]

    def add(self, time, payer, to, sym: str, amt, via=PLAIN, sender=-1) -> None:
        arrs = np.broadcast_arrays(np.asarray(time, np.int64), np.asarray(payer, np.int32), np.asarray(to, np.int32),
                                   np.int8(self.syms.index(sym)), np.asarray(amt, np.int64), np.int8(via),
                                   np.asarray(sender, np.int32))
        for k, a in zip(self.cols, arrs):
            self.cols[k].append(np.ascontiguousarray(a).ravel())

    def emit(self) -> None:
        w, rng = self.w, self.w.rng
        c = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self.cols.items()}
        self.cols = {k: [] for k in self.cols}
        n = len(c["time"])
        if not n:
            return
        c["time"] = w.clamp(c["time"])
        # funding: per (payer, asset) in time order, consecutive payments are covered by one withdrawal
        order = np.lexsort((c["time"], c["sym"], c["payer"]))
        c = {k: v[order] for k, v in c.items()}
        key_change = np.r_[True, (np.diff(c["payer"]) != 0) | (np.diff(c["sym"]) != 0)]
        grp_start = np.flatnonzero(key_change)
        pos = np.arange(n) - np.repeat(grp_start, np.diff(np.r_[grp_start, n]))
        per = rng.integers(1, 6, size=n)[np.repeat(np.arange(len(grp_start)), np.diff(np.r_[grp_start, n]))]
        batch_start = key_change | (pos % per == 0)
        starts = np.flatnonzero(batch_start)
        total = np.add.reduceat(c["amt"], starts)
        lead = rng.integers(30 * MINUTE, 3 * DAY, size=len(starts))
        f_time = np.maximum(c["time"][starts] - lead, w.t0 + MINUTE)
        f_amt = (total * rng.uniform(1.0, 1.3, size=len(starts))).astype(np.int64) + 1
        for si, sym in enumerate(self.syms):
            sel = c["sym"][starts] == si
            if sel.any():
                w.withdraw(f_time[sel], c["payer"][starts][sel], sym, _round_up_some(w, sym, f_amt[sel]))
        # payments
        for si, sym in enumerate(self.syms):
            for via in (PLAIN, VIA_SWAP, VIA_PULL, VIA_SOLVER, VIA_BRIDGE):
                sel = (c["sym"] == si) & (c["via"] == via)
                if not sel.any():
                    continue
                t, payer, to, amt, sender = (c[k][sel] for k in ("time", "payer", "to", "amt", "sender"))
                if via == PLAIN:
                    w.send(t, payer, to, sym, amt)
                elif via == VIA_SWAP:
                    _swaps(w, t, payer, sym, amt)
                elif via == VIA_PULL:
                    tok = w.tokens[sym]
                    w.ledger.transfer_from(t, sender, tok.entity, payer, to, amt, tok.scale)
                elif via == VIA_SOLVER:
                    _solver_settlements(w, t, payer, sender, sym, amt)
                else:
                    _bridge_deposits(w, t, payer, sym, amt)


ROUND_SHARE = 0.22  # share of real ETH transfers over $100 that are whole multiples of $100


def _round_up_some(w: World, sym: str, stored: np.ndarray) -> np.ndarray:
    """People withdraw round figures from exchanges: 40% of withdrawals worth $100 or more rounded up to
    $100 (stablecoins) or 0.1 ETH / 100 TRX; rounding up keeps every payment covered."""
    t = w.tokens[sym]
    whole = 10 ** (t.decimals - t.scale)
    step = whole // 10 if sym == "ETH" else 100 * whole
    pick = (w.rng.random(len(stored)) < 0.4) & (w.usd(sym, stored) >= 100)
    return np.where(pick, -(-stored // step) * step, stored)


def round_native(w: World, stored: np.ndarray) -> np.ndarray:
    """Native-coin amounts a person would type: ROUND_SHARE of those worth $100 or more rounded to 0.1 ETH
    (1 ETH above 10) or 100 TRX (1,000 above 20,000)."""
    t = w.tokens[w.native]
    whole = 10 ** (t.decimals - t.scale)
    small, big, big_from = (whole // 10, whole, 10 * whole) if t.symbol == "ETH" else (100 * whole, 1000 * whole, 20_000 * whole)
    stored = np.asarray(stored, np.int64)
    pick = (w.rng.random(len(stored)) < ROUND_SHARE) & (w.usd(w.native, stored) >= 100)
    step = np.where(stored >= big_from, big, small)
    return np.where(pick, np.maximum(step, np.round(stored / step).astype(np.int64) * step), stored)


def _swaps(w: World, t, user, sym: str, amt) -> None:
    """Users swap a stablecoin for WETH through the Uniswap V2 router (approving the router once, unlimited)."""
    router, pool = w.named["uniswap_router"], w.named["uniswap_pool"]
    tok, weth = w.tokens[sym], w.tokens["WETH"]
    u, inv = np.unique(user, return_inverse=True)
    first_t = np.full(len(u), np.iinfo(np.int64).max)
    np.minimum.at(first_t, inv, t)
    w.ledger.approve(np.maximum(first_t - w.rng.integers(2 * MINUTE, HOUR, len(u)), w.t0 + MINUTE),
                     u, tok.entity, router, 0, tok.scale, unlimited=True)
    out = w.units("WETH", w.usd(sym, amt) * 0.997)
    ids = w.ledger.add_txs(t, user, router, SWAP, a0=user, a1=tok.entity, a2=weth.entity, amt=amt, scale=tok.scale)
    w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, user, pool, amt, tok.scale)
    w.ledger.add_logs(ids, 1, LOG_TRANSFER, weth.entity, pool, user, out, weth.scale)
    w.ledger.add_logs(ids, 2, LOG_SWAP, pool, router, user, amt, tok.scale, amt2=out, scale2=weth.scale, in_pos=1, out_pos=2)


def _solver_settlements(w: World, t, user, solver, sym: str, amt) -> None:
    """CoW intents: users approve the vault relayer once; a solver's settle() moves the stablecoin from the
    user into the settlement contract and WETH back (tx.from is the solver, not the user)."""
    settlement, relayer = w.named["cow_settlement"], w.named["cow_relayer"]
    tok, weth = w.tokens[sym], w.tokens["WETH"]
    u, inv = np.unique(user, return_inverse=True)
    first_t = np.full(len(u), np.iinfo(np.int64).max)
    np.minimum.at(first_t, inv, t)
    w.ledger.approve(np.maximum(first_t - w.rng.integers(5 * MINUTE, DAY, len(u)), w.t0 + MINUTE), u, tok.entity,
                     relayer, 0, tok.scale, unlimited=True)
    out = w.units("WETH", w.usd(sym, amt) * 0.998)
    ids = w.ledger.add_txs(t, solver, settlement, SETTLE, a0=user, a1=tok.entity, amt=amt, scale=tok.scale)
    w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, user, settlement, amt, tok.scale)
    w.ledger.add_logs(ids, 1, LOG_TRANSFER, weth.entity, settlement, user, out, weth.scale)


def _bridge_deposits(w: World, t, user, sym: str, amt) -> None:
    """Users move stablecoins to another chain: approve the bridge for the amount, then its deposit call
    pulls the tokens (the same two steps a laundering wallet takes)."""
    bridge = w.named["bridge"]
    tok = w.tokens[sym]
    w.ledger.approve(np.maximum(t - w.rng.integers(MINUTE, HOUR, len(t)), w.t0 + MINUTE), user, tok.entity, bridge,
                     amt, tok.scale)
    ids = w.ledger.add_txs(t, user, bridge, CALL, a0=tok.entity, a1=user, amt=amt, scale=tok.scale)
    w.ledger.add_logs(ids, 0, LOG_TRANSFER, tok.entity, user, bridge, amt, tok.scale)


def draw_usd(rng, n, median: float, sigma: float, lo: float = 1.0, hi: float = 250_000.0) -> np.ndarray:
    """``n`` log-normal USD amounts around ``median``, clipped to [lo, hi]; as real people do, about
    ROUND_SHARE of those of $100 or more are round figures ($100 steps, $1,000 steps from $5,000)."""
    usd = np.clip(rng.lognormal(np.log(median), sigma, size=n), lo, hi)
    pick = (rng.random(n) < ROUND_SHARE) & (usd >= 100)
    step = np.where(usd >= 5000, 1000.0, 100.0)
    return np.where(pick, np.maximum(step, np.round(usd / step) * step), usd)


