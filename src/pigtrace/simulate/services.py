"""Services and accounts of the synthetic world: real token contracts, exchanges with real labelled hot
wallets, customer deposit accounts (swept to the hot wallets, with gas top-ups), the Uniswap V2 router
and USDT/WETH pair, CoW Protocol's settlement contract and vault relayer, a bridge, OTC desks, and the
retail users with their own exchange deposit accounts.
"""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.context import HOUR, MINUTE, Exchange, SimToken, World
from pigtrace.simulate.ledger import LOG_TRANSFER

ZERO = "0x0000000000000000000000000000000000000000"
UNISWAP_V2_ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
UNISWAP_V2_USDT_WETH = "0x0d4a11d5eeaac28ec3f61d100daf4d40471f1852"  # token0 WETH, token1 USDT
COW_SETTLEMENT = "0x9008d19f58aabd9ed0d60971565aa8510560ab41"
COW_VAULT_RELAYER = "0xc92e8bdf79f0507f65a392b0ab4667716bfe0110"


def setup_services(w: World, hot_wallets: list[tuple[str, str]], max_exchanges: int = 8) -> str:
    """Tokens, exchanges (real hot wallets), DEX, bridge and OTC desks. Returns where the hot wallets came
    from: the shipped labels, or — for a chain they hold no exchange wallets for (Tron today) — synthetic
    addresses under the names of the exchanges labelled on Ethereum."""
    from pigtrace.chains.addresses import tron_base58_to_hex
    from pigtrace.chains.registry import REFERENCE_USD, assets

    tron = w.chain == "tron"
    body = (lambda a: "0x" + tron_base58_to_hex(a)[2:]) if tron else (lambda a: a)
    names = {"USDT": "Tether USD", "USDC": "USD Coin", "DAI": "Dai Stablecoin", "WETH": "Wrapped Ether"}
    for a in assets(w.chain):
        if a.address == "native":
            w.tokens[a.symbol] = SimToken(-1, a.symbol, a.symbol, a.decimals, 9 if a.decimals == 18 else 0,
                                          REFERENCE_USD.get(a.symbol, 1.0), "native")
        elif a.symbol in names:
            e = w.book.fixed(body(a.address))
            w.tokens[a.symbol] = SimToken(e, a.symbol, names[a.symbol], a.decimals, 9 if a.decimals == 18 else 0,
                                          1.0 if a.stablecoin else REFERENCE_USD[a.symbol], a.address)
            w.service(e, "token", a.symbol)
    by_name: dict[str, list[str]] = {}
    for addr, name in hot_wallets:
        by_name.setdefault(name, []).append(addr)
    ranked = sorted(by_name.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:max_exchanges]
    source = "shipped labels (etherscan-attribution)"
    if len(ranked) < 2:
        from pigtrace.labels.shipped import exchange_hot_wallets

        eth = {}
        for _, name in exchange_hot_wallets("ethereum"):
            eth[name] = eth.get(name, 0) + 1
        names_ = [n for n, _ in sorted(eth.items(), key=lambda kv: (-kv[1], kv[0]))[:max_exchanges]] or ["Exchange A", "Exchange B"]
        ranked = [(n, None) for n in names_]
        source = f"synthetic (the shipped labels hold no {w.chain} exchange wallets)"
    for name, addrs in ranked:
        hot = [w.book.fixed(body(a)) for a in sorted(addrs)[:4]] if addrs else [int(x) for x in w.book.random(3)]
        for h in hot:
            w.service(h, "exchange_hot_wallet", name)
        w.exchanges.append(Exchange(name, hot))
    zero = w.book.fixed(ZERO)
    w.named["zero"] = w.service(zero, "mint", "zero address (mints)")
    if not tron:
        w.named["uniswap_router"] = w.service(w.book.fixed(UNISWAP_V2_ROUTER), "dex_router", "Uniswap V2 Router02")
        w.named["uniswap_pool"] = w.service(w.book.fixed(UNISWAP_V2_USDT_WETH), "dex_pool", "Uniswap V2 USDT/WETH")
        w.named["cow_settlement"] = w.service(w.book.fixed(COW_SETTLEMENT), "dex_router", "CoW Protocol GPv2Settlement")
        w.named["cow_relayer"] = w.service(w.book.fixed(COW_VAULT_RELAYER), "dex_router", "CoW Protocol GPv2VaultRelayer")
    w.named["bridge"] = w.service(w.book.one(), "bridge", "token bridge (synthetic)")
    desks = w.book.random(int(w.rng.integers(3, 6)))
    w.groups["otc_desk"] = [int(d) for d in desks]
    for i, d in enumerate(desks):
        w.service(int(d), "otc_desk", f"OTC desk {i + 1}")
    # an airdrop project's token
    airdrop = w.book.one()
    w.tokens["PGA"] = SimToken(airdrop, "PGA", "Pagoda Governance", 18, 9, 0.0, "")
    w.service(airdrop, "token", "PGA")
    return source


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
    """Exchange deposit accounts forward everything they receive to their exchange's hot wallet; the
    exchange tops up each account's gas before its first token sweep."""
    rng = w.rng
    if not w.deposit_exchange:
        return
    deps = np.fromiter(w.deposit_exchange.keys(), dtype=np.int64)
    exch = np.fromiter(w.deposit_exchange.values(), dtype=np.int64)
    is_dep = np.full(w.book.n, -1, dtype=np.int64)
    is_dep[deps] = exch
    hot_of = [np.asarray(ex.hot) for ex in w.exchanges]
    swept_to, swept_t = [], []
    tx_parts, log_parts = w.ledger.batches()
    tx_parts, log_parts = list(tx_parts), list(log_parts)
    tx_times = np.concatenate([b["time"] for b in tx_parts]) if tx_parts else np.zeros(0, np.int64)
    for b in log_parts:
        sel = (b["kind"] == LOG_TRANSFER) & (is_dep[b["b"]] >= 0) & (b["amt"] > 0)
        if not sel.any():
            continue
        to, amt, scale, token, t = b["b"][sel], b["amt"][sel], b["scale"][sel], b["contract"][sel], tx_times[b["tx"][sel]]
        st = np.maximum(w.clamp(t + rng.integers(10 * MINUTE, 12 * HOUR, size=len(to))), t + MINUTE)
        ex = is_dep[to]
        hot = _pick_hot(hot_of, ex, rng)
        w.ledger.token_transfer(st, to, token, to, hot, amt, scale)
        swept_to.append(to)
        swept_t.append(st)
    for b in tx_parts:
        sel = (b["value"] > 0) & (b["to"] >= 0) & (is_dep[np.maximum(b["to"], 0)] >= 0)
        if not sel.any():
            continue
        to, val = b["to"][sel], b["value"][sel]
        st = np.maximum(w.clamp(b["time"][sel] + rng.integers(10 * MINUTE, 12 * HOUR, size=len(to))),
                        b["time"][sel] + MINUTE)
        w.ledger.native(st, to, _pick_hot(hot_of, is_dep[to], rng), val)
    if swept_to:
        ents, inv = np.unique(np.concatenate(swept_to), return_inverse=True)
        firsts = np.full(len(ents), np.iinfo(np.int64).max)
        np.minimum.at(firsts, inv, np.concatenate(swept_t))
        ex = is_dep[ents]
        w.ledger.native(np.maximum(firsts - rng.integers(2 * MINUTE, HOUR, len(ents)), w.t0 + MINUTE),
                        _pick_hot(hot_of, ex, rng), ents, w.units(w.native, rng.uniform(2, 6, len(ents))))


def _pick_hot(hot_of: list[np.ndarray], ex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(ex), dtype=np.int32)
    for e, hots in enumerate(hot_of):
        sel = ex == e
        if sel.any():
            out[sel] = hots[rng.integers(0, len(hots), size=int(sel.sum()))]
    return out
