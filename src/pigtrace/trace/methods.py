"""How one wallet passes traced money on: the three spending rules of ``pigtrace trace --method``.

Place in the flow: graph/flows (edges) -> trace/walk (frontier, one wallet and asset at a time) ->
**trace/methods** -> back to the walk. Each rule gets one wallet's history in one asset, in ledger order:
its receipts (position = edge id, amount, and the traced part of each as two columns: token units and
input-USD value) and its payments (position, amount), and returns the traced part each payment carried
and what stayed in the wallet. Money only moves forward: a payment can carry only receipts whose edge id
is smaller (earlier in the ledger). Every rule conserves: what the payments carry plus what is held equals
what was traced in, never more.

- ``fifo``: the wallet spends its receipts in the order they arrived (a queue); traced money leaves when
  the receipts ahead of it have been spent.
- ``haircut``: every payment carries the traced share of the wallet's balance at that moment.
- ``poison``: traced money is spent first: each payment after it arrived carries as much of it as is
  left, clean money waits. Classic poison taints every later payment in full, which cannot conserve
  amounts; this is its conserving form, the reading that pins the most victim money on the earliest
  payments out.

A payment larger than the wallet's known balance (history before the warehouse's first block) spends
the unknown earlier money for the rest; balances never go below zero. All three are vectorised over the
wallet's history (``haircut`` loops over the stretches of history where traced money is present); short
histories take an equivalent plain loop, which is faster there. The vectorised balance is a running sum, so
it is exact to about 1e-16 of the wallet's lifetime volume: far below a token's smallest unit for real
balances.
"""

from __future__ import annotations

import numpy as np

METHODS = ("fifo", "haircut", "poison")


SHORT = 200  # histories up to this many events run as a plain loop: numpy's per-call cost dominates there


class History:
    """One wallet's receipts and payments in one asset, in ledger order, with what the rules can work out
    before knowing what is traced: the queue positions (fifo) and the balance path (haircut). Worked out
    once, on first use; the walk keeps busy wallets' histories for the next visit."""

    def __init__(self, in_pos: np.ndarray, in_amt: np.ndarray, out_pos: np.ndarray, out_amt: np.ndarray) -> None:
        self.in_pos, self.in_amt, self.out_pos, self.out_amt = in_pos, in_amt, out_pos, out_amt
        self._queue: tuple | None = None
        self._balance: tuple | None = None

    @property
    def size(self) -> int:
        return len(self.in_pos) + len(self.out_pos)

    def queue(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(c_in, d, d_prev): payment k consumes the stretch [d_prev[k], d[k]) of the cumulated receipts
        c_in, where d[k] = min(d[k-1] + amount_k, receipts before k): no spending of money not yet there."""
        if self._queue is None:
            self._queue = _consumption(self.in_pos, self.in_amt, self.out_pos, self.out_amt)
        return self._queue

    def balance(self) -> tuple:
        """The haircut factors: per event in ledger order, f = balance after / balance before a payment
        (1 for receipts, 0 where a payment empties the wallet), their cumulated log, and blocks of events
        (starting where a payment empties the wallet or the cumulated log leaves its bucket)."""
        if self._balance is None:
            n_in = len(self.in_pos)
            order = np.argsort(np.concatenate((self.in_pos, self.out_pos)), kind="stable")
            is_in = order < n_in
            amt = np.concatenate((self.in_amt, self.out_amt))[order]
            s = np.cumsum(np.where(is_in, amt, -amt))
            after = s - np.minimum(0.0, np.minimum.accumulate(s))
            before = np.concatenate(([0.0], after[:-1]))
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(is_in | (before <= 0), 1.0, after / np.where(before > 0, before, 1.0))
                lc = np.cumsum(np.log(np.where(f > 0, f, 1.0)))
            bucket = np.floor(lc / _BUCKET)
            starts = np.flatnonzero(np.concatenate(([True], (bucket[1:] != bucket[:-1]) | (f[1:] <= 0))))
            event_of = np.empty(len(order), dtype=np.int32)
            event_of[order] = np.arange(len(order), dtype=np.int32)
            self._balance = (is_in, f, lc, starts, event_of[:n_in], event_of[n_in:])
        return self._balance


def spend(method: str, hist: History, in_traced: np.ndarray, out_cap: np.ndarray | None = None,
          short: int = SHORT) -> tuple[np.ndarray, np.ndarray]:
    """(carried per payment, shape (payments, 2); held, shape (2,)) for the traced part of each receipt
    ``in_traced`` (shape (receipts, 2): token units, USD value; token units at most the receipt's amount).
    ``out_cap``: for poison, what each payment can still carry (default its amount). ``short``: histories of
    at most this many events take the plain loop (same results)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    n_out = len(hist.out_pos)
    if method == "poison":  # a queue of the traced receipts alone
        traced = in_traced[:, 0] > 0
        cap = hist.out_amt if out_cap is None else out_cap
        hist = History(hist.in_pos[traced], in_traced[traced, 0], hist.out_pos, cap)
        in_traced = in_traced[traced]
    if hist.size <= short:
        rule = _haircut_loop if method == "haircut" else _queue_loop
        carried, held = rule(hist.in_pos.tolist(), hist.in_amt.tolist(), in_traced.tolist(), hist.out_pos.tolist(),
                             hist.out_amt.tolist())
        return np.array(carried, dtype=np.float64).reshape(n_out, 2), np.array(held)
    if method == "haircut":
        return _haircut(hist, in_traced)
    return _queue(hist, in_traced)


def _events(in_pos, out_pos):
    """Receipts (index >= 0) and payments (~index) merged in ledger order."""
    i = j = 0
    n_in, n_out = len(in_pos), len(out_pos)
    while i < n_in or j < n_out:
        if j >= n_out or (i < n_in and in_pos[i] < out_pos[j]):
            yield i
            i += 1
        else:
            yield ~j
            j += 1


def _queue_loop(in_pos, in_amt, in_traced, out_pos, out_amt):
    """``_queue`` one event at a time: a queue of [amount left, tokens per unit, value per unit]; stops once
    the last traced receipt has been spent."""
    queue: list[list[float]] = []
    head = 0
    carried = [[0.0, 0.0] for _ in out_pos]
    last = max((i for i, r in enumerate(in_traced) if r[0] > 0 or r[1] > 0), default=-1)
    for ev in _events(in_pos, out_pos):
        if ev >= 0:
            a = in_amt[ev]
            if a > 0:
                queue.append([a, in_traced[ev][0] / a, in_traced[ev][1] / a, ev])
            continue
        need = out_amt[~ev]
        row = carried[~ev]
        while need > 0 and head < len(queue):
            item = queue[head]
            take = item[0] if item[0] <= need else need
            row[0] += take * item[1]
            row[1] += take * item[2]
            item[0] -= take
            need -= take
            if item[0] <= 0:
                head += 1
                if item[3] >= last:
                    return carried, _held(in_traced, carried)
    return carried, _held(in_traced, carried)


def _held(in_traced, carried) -> list[float]:
    return [max(sum(r[c] for r in in_traced) - sum(r[c] for r in carried), 0.0) for c in (0, 1)]


def _haircut_loop(in_pos, in_amt, in_traced, out_pos, out_amt):
    """``_haircut`` one event at a time: balance b, traced balance (t0 tokens, t1 value); stops once no
    traced money is left and none is still to come."""
    b = t0 = t1 = 0.0
    carried = [[0.0, 0.0] for _ in out_pos]
    last = max((i for i, r in enumerate(in_traced) if r[0] > 0 or r[1] > 0), default=-1)
    for ev in _events(in_pos, out_pos):
        if ev >= 0:
            b += in_amt[ev]
            t0 += in_traced[ev][0]
            t1 += in_traced[ev][1]
            continue
        a = out_amt[~ev]
        if a > b:
            a = b
        if a > 0:
            share = a / b
            row = carried[~ev]
            row[0], row[1] = t0 * share, t1 * share
            t0 -= row[0]
            t1 -= row[1]
            b -= a
            if b <= 0:
                b = t0 = t1 = 0.0
                if last < 0 or in_pos[last] < out_pos[~ev]:
                    break
    return carried, [max(t0, 0.0), max(t1, 0.0)]


def _consumption(in_pos, in_amt, out_pos, out_amt):
    c_in = np.concatenate(([0.0], np.cumsum(in_amt)))
    available = c_in[np.searchsorted(in_pos, out_pos, side="left")]
    spent = np.cumsum(out_amt)
    # d[k] = min over j <= k of (available[j] + spent[k] - spent[j]), and spent[k] itself (the j = 0 term)
    d = spent + np.minimum(0.0, np.minimum.accumulate(available - spent)) if len(out_pos) else spent
    return c_in, d, np.concatenate(([0.0], d[:-1]))


def _queue(hist: History, in_traced: np.ndarray):
    """Each payment's traced part is the traced mass in the stretch of receipts it consumed (piecewise
    linear in the cumulated receipts); only payments whose stretch meets the traced receipts are looked at."""
    total = in_traced.sum(axis=0)
    carried = np.zeros((len(hist.out_pos), 2))
    rows = np.flatnonzero((in_traced[:, 0] > 0) | (in_traced[:, 1] > 0))
    if not len(rows) or not len(hist.out_pos):
        return carried, total
    c_in, d, d_prev = hist.queue()
    first, last = int(rows[0]), int(rows[-1])
    lo = int(np.searchsorted(d, c_in[first], side="right"))
    hi = int(np.searchsorted(d_prev, c_in[last + 1], side="left"))
    if hi > lo:
        xp = c_in[first:last + 2]
        for j in (0, 1):
            g = np.concatenate(([0.0], np.cumsum(in_traced[first:last + 1, j])))
            carried[lo:hi, j] = np.interp(d[lo:hi], xp, g) - np.interp(d_prev[lo:hi], xp, g)
    np.maximum(carried, 0.0, out=carried)
    return carried, np.maximum(total - carried.sum(axis=0), 0.0)


_BUCKET = 500.0  # stretch of cumulated log-shrinkage per block: exp(500) stays far inside float64's range


def _haircut(hist: History, in_traced: np.ndarray):
    """Traced balance T: a receipt adds its traced part t, a payment multiplies T by f. Within a block
    starting at event s, T[i] = P[i] (T[s] + sum over receipts s < j <= i of t[j] / P[j]) with P the product
    of f since s, exp(cumulated log); blocks with no traced money in or carried over are skipped."""
    is_in, f, lc, starts, in_event, out_event = hist.balance()
    n_events = len(f)
    total = in_traced.sum(axis=0)
    carried = np.zeros((len(hist.out_pos), 2))
    rows = np.flatnonzero((in_traced[:, 0] > 0) | (in_traced[:, 1] > 0))
    if not len(rows):
        return carried, total
    add_at = in_event[rows]  # ascending: receipts are in ledger order
    add = in_traced[rows]
    block_of_add = np.searchsorted(starts, add_at, side="right") - 1
    t_end = np.zeros(2)  # T after the last event handled
    b = int(block_of_add[0])
    a = 0  # next traced receipt to add
    while b < len(starts):
        lo = int(starts[b])
        hi = int(starts[b + 1]) if b + 1 < len(starts) else n_events
        if not t_end.any() and (a >= len(add_at) or add_at[a] >= hi):
            if a >= len(add_at):
                break
            b = int(block_of_add[a])  # nothing traced until the block of the next traced receipt
            continue
        rel = lc[lo:hi] - lc[lo]
        here = slice(a, int(np.searchsorted(add_at, hi, side="left")))
        inc = np.zeros((hi - lo, 2))
        np.add.at(inc, add_at[here] - lo, add[here] * np.exp(-rel[add_at[here] - lo])[:, None])
        t_start = f[lo] * t_end  # what the block's first event leaves of T before it (its receipt is in inc)
        t = np.exp(rel)[:, None] * (t_start + np.cumsum(inc, axis=0))
        t_prev = np.vstack((t_end, t[:-1]))
        outs = ~is_in[lo:hi]
        carried_here = np.maximum(t_prev[outs] - t[outs], 0.0)
        carried[_out_index(out_event, lo, hi)] = carried_here
        a = here.stop
        t_end = t[-1]
        b += 1
    return carried, np.maximum(t_end, 0.0)


def _out_index(out_event: np.ndarray, lo: int, hi: int) -> slice:
    """Payments whose events lie in [lo, hi) (payments are in ledger order, so they are a slice)."""
    return slice(int(np.searchsorted(out_event, lo, side="left")), int(np.searchsorted(out_event, hi, side="left")))
