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
histories take an equivalent plain loop, which is faster there.
"""

from __future__ import annotations

import numpy as np

METHODS = ("fifo", "haircut", "poison")


SHORT = 200  # histories up to this many events run as a plain loop: numpy's per-call cost dominates there


def spend(method: str, in_pos: np.ndarray, in_amt: np.ndarray, in_traced: np.ndarray, out_pos: np.ndarray,
          out_amt: np.ndarray, short: int = SHORT) -> tuple[np.ndarray, np.ndarray]:
    """(carried per payment, shape (len(out_pos), 2); held, shape (2,)) for the traced part of each receipt
    ``in_traced`` (shape (len(in_pos), 2): token units, USD value). Positions ascending; ``in_traced[:, 0]``
    must not exceed ``in_amt``.
    ``short``: histories of at most this many events take the scalar loop (same results)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if method == "poison":
        traced = in_traced[:, 0] > 0
        in_pos, in_amt, in_traced = in_pos[traced], in_traced[traced, 0], in_traced[traced]
    if len(in_pos) + len(out_pos) <= short:
        rule = _haircut_loop if method == "haircut" else _queue_loop
        carried, held = rule(in_pos.tolist(), in_amt.tolist(), in_traced.tolist(), out_pos.tolist(), out_amt.tolist())
        return np.array(carried, dtype=np.float64).reshape(len(out_pos), 2), np.array(held)
    if method == "haircut":
        return _haircut(in_pos, in_amt, in_traced, out_pos, out_amt)
    return _queue(in_pos, in_amt, in_traced, out_pos, out_amt)


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


def _queue(in_pos, in_amt, in_traced, out_pos, out_amt):
    """Payments consume the receipt stream in order. Payment k consumes the stretch [D[k-1], D[k]) of the
    cumulated receipts, where D[k] = min(D[k-1] + amount_k, receipts before k) (no spending of money not yet
    received); its traced part is the traced mass in that stretch (piecewise linear interpolation)."""
    k = in_traced.shape[1]
    total = in_traced.sum(axis=0)
    if not len(out_pos) or not len(in_pos):
        return np.zeros((len(out_pos), k)), total
    c_in = np.concatenate(([0.0], np.cumsum(in_amt)))
    available = c_in[np.searchsorted(in_pos, out_pos, side="left")]
    spent = np.cumsum(out_amt)
    # D[k] = min over j <= k of (available[j] + spent[k] - spent[j]), and spent[k] itself (j = 0 term)
    d = spent + np.minimum(0.0, np.minimum.accumulate(available - spent))
    d_prev = np.concatenate(([0.0], d[:-1]))
    carried = np.empty((len(out_pos), k))
    for j in range(k):
        g = np.concatenate(([0.0], np.cumsum(in_traced[:, j])))
        carried[:, j] = np.interp(d, c_in, g) - np.interp(d_prev, c_in, g)
    np.maximum(carried, 0.0, out=carried)
    return carried, np.maximum(total - carried.sum(axis=0), 0.0)


_BUCKET = 500.0  # stretch of log-shrinkage per block: exp(500) stays far inside float64's range


def _haircut(in_pos, in_amt, in_traced, out_pos, out_amt):
    """Traced balance T: a receipt adds its traced part; a payment multiplies T by f = balance after /
    balance before (it takes the traced share of what it takes). Within a block of events where the log of
    the product of f moves by less than _BUCKET, T[i] = P[i] (T[s] + sum_{s<j<=i} t[j] / P[j]) with P the
    product relative to the block's start s; blocks start where that product leaves its bucket or where a
    payment empties the wallet (f = 0)."""
    k = in_traced.shape[1]
    n_in, n_out = len(in_pos), len(out_pos)
    if not n_out or not n_in:
        return np.zeros((n_out, k)), in_traced.sum(axis=0)
    pos = np.concatenate((in_pos, out_pos))
    order = np.argsort(pos, kind="stable")
    is_in = order < n_in
    amt = np.concatenate((in_amt, out_amt))[order]
    add = np.zeros((len(order), k))
    add[is_in] = in_traced[order[is_in]]
    s = np.cumsum(np.where(is_in, amt, -amt))
    after = s - np.minimum(0.0, np.minimum.accumulate(s))
    before = np.concatenate(([0.0], after[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(is_in | (before <= 0), 1.0, after / np.where(before > 0, before, 1.0))
        logf = np.log(np.where(f > 0, f, 1.0))
    empties = f <= 0
    lc = np.cumsum(logf)
    bucket = np.floor(lc / _BUCKET)
    starts = np.flatnonzero(np.concatenate(([True], (bucket[1:] != bucket[:-1]) | empties[1:])))
    ends = np.append(starts[1:], len(order))
    has_add = np.add.reduceat((add[:, 0] > 0).astype(np.int64), starts) > 0
    t = np.zeros((len(order), k))
    carry_in = np.zeros(k)  # T just before the block
    b = int(np.argmax(has_add)) if has_add.any() else len(starts)
    while b < len(starts):
        lo, hi = starts[b], ends[b]
        if not carry_in.any() and not has_add[b]:
            nxt = np.flatnonzero(has_add[b + 1:])
            if not len(nxt):
                break
            b += 1 + int(nxt[0])
            continue
        t_start = f[lo] * carry_in + add[lo]
        rel = lc[lo:hi] - lc[lo]
        inc = add[lo + 1:hi] * np.exp(-rel[1:])[:, None]
        acc = t_start + np.concatenate((np.zeros((1, k)), np.cumsum(inc, axis=0)))
        t[lo:hi] = np.exp(rel)[:, None] * acc
        carry_in = t[hi - 1]
        b += 1
    t_before = np.concatenate((np.zeros((1, k)), t[:-1]))
    carried_sorted = np.maximum(t_before - t, 0.0)
    carried = np.zeros((n_out, k))
    carried[order[~is_in] - n_in] = carried_sorted[~is_in]
    return carried, np.maximum(t[-1], 0.0)
