"""Services and accounts of the synthetic world, all of them the simulator's own: the token contracts (the
real USDT/USDC/DAI/WETH contract addresses, facts of the chain, with the simulator's own price for ETH/TRX
drawn per world), exchanges with the simulator's own hot wallets and per-customer deposit accounts (swept
to the hot wallets directly or through forwarder wallets in batches, per exchange: the ``sweeps`` knob),
a DEX router and USDT/WETH pool (on Tron a SunSwap-style router and USDT/WTRX pair), an intent-settlement contract and its vault relayer, a bridge, OTC desks,
and the retail users with their own exchange deposit accounts.

Nothing here comes from pigtrace's shipped labels or price tables: the world writes its own TagPack
(``tagpack_rows``) with only a share of its hot wallets (the ``labelled_hot_wallets`` knob).
"""

from __future__ import annotations

import numpy as np

from pigtrace.arrays import distinct
from pigtrace.simulate.context import DAY, HOUR, MINUTE, Exchange, SimToken, World
from pigtrace.simulate.ledger import LOG_TRANSFER

ZERO = "0x0000000000000000000000000000000000000000"
# token contracts: (symbol, name, decimals, stablecoin) by contract address, as deployed on each chain
TOKENS = {
    "ethereum": [("0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", "Tether USD", 6, True),
                 ("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", "USD Coin", 6, True),
                 ("0x6b175474e89094c44da98b954eedeac495271d0f", "DAI", "Dai Stablecoin", 18, True),
                 ("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "WETH", "Wrapped Ether", 18, False)],
    "tron": [("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT", "Tether USD", 6, True),
             ("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", "USDC", "USD Coin", 6, True),
             ("TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR", "WTRX", "Wrapped TRX", 6, False)],
}
NATIVE = {"ethereum": ("ETH", 18, (1_600.0, 4_200.0)), "tron": ("TRX", 6, (0.07, 0.32))}
EXCHANGE_NAMES = ("Exchange Alder", "Exchange Birch", "Exchange Cedar", "Exchange Dogwood", "Exchange Elm",
                  "Exchange Fir", "Exchange Ginkgo", "Exchange Hazel")


def setup_services(w: World) -> dict:
    """Tokens (with this world's native-coin price), exchanges, DEX, settlement, bridge and OTC desks.
    Returns what the truth records about them (price, each exchange's sweep mode)."""
    rng = w.rng
    tron = w.chain == "tron"
    native, native_dec, (lo, hi) = NATIVE[w.chain]
    price = float(round(rng.uniform(lo, hi), 4))
    body = _evm_body if tron else (lambda a: a)
    w.tokens[native] = SimToken(-1, native, native, native_dec, 9 if native_dec == 18 else 0, price, "native")
    for address, symbol, name, decimals, stable in TOKENS[w.chain]:
        e = w.book.fixed(body(address))
        w.tokens[symbol] = SimToken(e, symbol, name, decimals, 9 if decimals == 18 else 0,
                                    1.0 if stable else price, address)
        w.service(e, "token", symbol)
    n_ex = int(rng.integers(5, len(EXCHANGE_NAMES) + 1))
    modes = []
    for name in EXCHANGE_NAMES[:n_ex]:
        hot = [int(x) for x in w.book.random(int(rng.integers(1, 5)))]
        for h in hot:
            w.service(h, "exchange_hot_wallet", name)
        mode = w.knobs.pick("sweeps")
        forwarders = [int(x) for x in w.book.random(int(rng.integers(1, 4)))] if mode == "multi_hop" else []
        for f in forwarders:
            w.service(f, "exchange_forwarder", name)
        w.exchanges.append(Exchange(name, hot, mode, forwarders))
        modes.append({"name": name, "hot_wallets": len(hot), "sweeps": mode})
    if w.knobs.pick("exchange_use") == "mixed":
        off = w.knobs.exchange.choice(n_ex, size=max(1, n_ex // 2), replace=False)
        for i in off.tolist():
            w.exchanges[i].offramp = True
            modes[i]["offramp"] = True
    if w.knobs.pick("exchange_gas") == "gas_wallet":
        for ex, mode in zip(w.exchanges, modes):
            ex.gas = int(w.book.one())
            w.service(ex.gas, "exchange_gas_wallet", ex.name)
            mode["gas_wallet"] = True
    if tron:
        w.tokens["WETH"] = w.tokens["WTRX"]  # the wrapped native coin, whatever the chain calls it
    zero = w.book.fixed(ZERO)
    w.named["zero"] = w.service(zero, "mint", "zero address (mints)")
    dex = "SunSwap-style" if tron else "DEX"
    w.named["uniswap_router"] = w.service(w.book.one(), "dex_router", f"{dex} router (synthetic)")
    w.named["uniswap_pool"] = w.service(w.book.one(), "dex_pool", f"{dex} USDT/W{w.native} pair (synthetic)")
    if not tron:
        w.named["cow_settlement"] = w.service(w.book.one(), "dex_router", "intent settlement contract (synthetic)")
        w.named["cow_relayer"] = w.service(w.book.one(), "dex_router", "intent vault relayer (synthetic)")
    w.named["bridge"] = w.service(w.book.one(), "bridge", "token bridge (synthetic)")
    desks = w.book.random(int(rng.integers(3, 6)))
    w.groups["otc_desk"] = [int(d) for d in desks]
    for i, d in enumerate(desks):
        w.service(int(d), "otc_desk", f"OTC desk {i + 1}")
    # an airdrop project's token
    airdrop = w.book.one()
    w.tokens["PGA"] = SimToken(airdrop, "PGA", "Pagoda Governance", 18, 9, 0.0, "")
    w.service(airdrop, "token", "PGA")
    return {"native_usd": price, "exchanges": modes}


def _evm_body(tron_address: str) -> str:
    from pigtrace.chains.addresses import tron_base58_to_hex

    return "0x" + tron_base58_to_hex(tron_address)[2:]


def tagpack_rows(w: World, address_text) -> tuple[list[dict], dict]:
    """The labels an investigator would bring: a ``labelled_hot_wallets`` share of the hot wallets (drawn
    at random, at least one per world when the share is above 0), and the DEX, settlement and bridge
    contracts (widely labelled). Returns the rows and a summary for the truth."""
    share = w.knobs.share("labelled_hot_wallets")
    hot = [(h, ex.name) for ex in w.exchanges for h in ex.hot]
    k = int(round(share * len(hot)))
    if share > 0 and k == 0:
        k = 1
    chosen = sorted(int(i) for i in w.rng.choice(len(hot), size=k, replace=False)) if k else []
    rows = [{"address": address_text(hot[i][0]), "label": f"{hot[i][1]}: hot wallet", "category": "exchange",
             "actor": hot[i][1]} for i in chosen]
    for key, category in (("uniswap_router", "defi_dex"), ("uniswap_pool", "defi_dex"), ("cow_settlement", "defi_dex"),
                          ("cow_relayer", "defi_dex"), ("bridge", "bridge")):
        if key in w.named:
            rows.append({"address": address_text(w.named[key]), "label": w.services[w.named[key]][1],
                         "category": category})
    return rows, {"hot_wallets": len(hot), "labelled": k, "share": share}


def create_users(w: World, n: int, deposit_share: float = 0.7) -> None:
    w.users = w.book.random(n)
    w.mark_benign(w.users, "retail")
    has = w.rng.random(n) < deposit_share
    dep = np.full(n, -1, dtype=np.int32)
    ex = w.rng.integers(0, len(w.exchanges), size=n)
    for e in range(len(w.exchanges)):
        sel = np.flatnonzero(has & (ex == e))
        if len(sel):
            dep[sel] = w.deposit_accounts(len(sel), e)
    w.user_deposit = dep


def sweeps(w: World) -> None:
    """Exchange deposit accounts forward everything they receive: at a ``direct`` exchange each receipt
    straight to a hot wallet; at a ``multi_hop`` exchange a day's receipts at once to one of the exchange's
    forwarder wallets, which passes them on to a hot wallet in half-day batches. The exchange tops up each
    sweeping wallet's gas from a hot wallet before its first sweep."""
    rng = w.rng
    if not w.deposit_exchange:
        return
    deps = np.fromiter(w.deposit_exchange.keys(), dtype=np.int64)
    exch = np.fromiter(w.deposit_exchange.values(), dtype=np.int64)
    is_dep = np.full(w.book.n, -1, dtype=np.int64)
    is_dep[deps] = exch
    acct, token, scale, amt, t = _receipts(w, is_dep)
    if not len(acct):
        return
    ex = is_dep[acct]
    multi = np.array([e.sweeps == "multi_hop" for e in w.exchanges])[ex]
    hot_of = [np.asarray(e.hot) for e in w.exchanges]
    owner = is_dep.copy()  # the exchange of every wallet that sweeps: deposit accounts and forwarders
    for i, e in enumerate(w.exchanges):
        owner[np.asarray(e.forwarders, dtype=np.int64)] = i
    d = ~multi
    st = np.maximum(w.clamp(t[d] + rng.integers(10 * MINUTE, 12 * HOUR, size=int(d.sum()))), t[d] + MINUTE)
    _move(w, st, acct[d], _pick_hot(hot_of, ex[d], rng), token[d], scale[d], amt[d])
    senders, first = [acct[d]], [st]
    if multi.any():
        m = multi
        g_acct, g_tok, g_scale, g_amt, g_last = _batch(acct[m], token[m], scale[m], amt[m], t[m], (t[m] - w.t0) // DAY)
        st1 = np.maximum(w.clamp(g_last + rng.integers(HOUR, 18 * HOUR, size=len(g_acct))), g_last + MINUTE)
        fw_of = [np.asarray(e.forwarders or e.hot) for e in w.exchanges]
        fw = _pick_hot(fw_of, is_dep[g_acct], rng)
        _move(w, st1, g_acct, fw, g_tok, g_scale, g_amt)
        f_fw, f_tok, f_scale, f_amt, f_last = _batch(fw, g_tok, g_scale, g_amt, st1, (st1 - w.t0) // (12 * HOUR))
        st2 = np.maximum(w.clamp(f_last + rng.integers(30 * MINUTE, 6 * HOUR, size=len(f_fw))), f_last + MINUTE)
        _move(w, st2, f_fw, _pick_hot(hot_of, owner[f_fw], rng), f_tok, f_scale, f_amt)
        senders += [g_acct, f_fw]
        first += [st1, st2]
    _gas_for_sweepers(w, np.concatenate(senders), np.concatenate(first), owner, hot_of, rng)


def _receipts(w: World, is_dep: np.ndarray) -> tuple[np.ndarray, ...]:
    """(account, token entity or -1 for native, scale, stored amount, time) of every value a deposit
    account received so far."""
    tx_parts, log_parts = w.ledger.batches()
    tx_parts, log_parts = list(tx_parts), list(log_parts)
    tx_times = np.concatenate([b["time"] for b in tx_parts]) if tx_parts else np.zeros(0, np.int64)
    native_scale = w.tokens[w.native].scale
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    for b in log_parts:
        sel = (b["kind"] == LOG_TRANSFER) & (is_dep[b["b"]] >= 0) & (b["amt"] > 0)
        if sel.any():
            for c, v in zip(cols, (b["b"][sel], b["contract"][sel], b["scale"][sel], b["amt"][sel], tx_times[b["tx"][sel]])):
                c.append(np.asarray(v, np.int64))
    for b in tx_parts:
        sel = (b["value"] > 0) & (b["to"] >= 0) & (is_dep[np.maximum(b["to"], 0)] >= 0)
        if sel.any():
            n = int(sel.sum())
            for c, v in zip(cols, (b["to"][sel], np.full(n, -1), np.full(n, native_scale), b["value"][sel], b["time"][sel])):
                c.append(np.asarray(v, np.int64))
    return tuple(np.concatenate(c) if c else np.zeros(0, np.int64) for c in cols)


def _batch(holder, token, scale, amt, t, bucket) -> tuple[np.ndarray, ...]:
    """Receipts summed per (holder, token, bucket): holder, token, scale, exact total, last arrival."""
    keys = np.stack([holder, token, bucket], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    tot = np.zeros(len(uniq), np.int64)
    np.add.at(tot, inv, amt)
    last = np.full(len(uniq), np.iinfo(np.int64).min)
    np.maximum.at(last, inv, t)
    sc = np.zeros(len(uniq), np.int64)
    sc[inv] = scale
    return uniq[:, 0], uniq[:, 1], sc, tot, last


def _move(w: World, t, frm, to, token, scale, amt) -> None:
    """Sweeps: tokens with transfer(), native coin as plain value transfers."""
    tok = token >= 0
    if tok.any():
        w.ledger.token_transfer(t[tok], frm[tok], token[tok], frm[tok], to[tok], amt[tok], scale[tok])
    if (~tok).any():
        w.ledger.native(t[~tok], frm[~tok], to[~tok], amt[~tok])


def _gas_for_sweepers(w: World, senders, first_t, owner, hot_of, rng) -> None:
    ents, inv = np.unique(senders, return_inverse=True)
    firsts = np.full(len(ents), np.iinfo(np.int64).max)
    np.minimum.at(firsts, inv, first_t)
    at = np.maximum(firsts - rng.integers(2 * MINUTE, HOUR, len(ents)), w.t0 + MINUTE)
    payer = _pick_hot(hot_of, owner[ents], rng)
    amount = w.units(w.native, rng.uniform(2, 6, len(ents)))
    gas = np.array([e.gas for e in w.exchanges], dtype=np.int64)[owner[ents]]
    own = gas >= 0
    payer[own] = gas[own]  # exchange_gas=gas_wallet: the exchange's gas wallet, which a hot wallet funds
    for e in distinct(owner[ents][own]).tolist():
        sel = own & (owner[ents] == e)
        w.ledger.native(np.array([max(int(at[sel].min()) - HOUR, w.t0)]), np.array([w.exchanges[e].hot[0]]),
                        np.array([w.exchanges[e].gas]), np.array([int(amount[sel].sum()) * 2]))
    w.ledger.native(at, payer, ents, amount)


def _pick_hot(hot_of: list[np.ndarray], ex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(ex), dtype=np.int32)
    for e, hots in enumerate(hot_of):
        sel = ex == e
        if sel.any():
            out[sel] = hots[rng.integers(0, len(hots), size=int(sel.sum()))]
    return out
