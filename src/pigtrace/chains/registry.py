"""Chains and assets: which chains exist, their address family, native coin, and known tokens.

Extra EVM chains can be declared at run time with ``PIGTRACE_EVM_CHAINS="name:chain_id:SYMBOL,..."``.
Assets carry the contract address per chain and decimals; stablecoins are valued at 1 USD, other assets
from a reference price whose source is recorded alongside every derived USD value.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass

from pigtrace.errors import PigtraceError

NATIVE = "native"  # token column value for a chain's native coin


@dataclass(frozen=True)
class Chain:
    name: str
    family: str  # "evm" or "tron"
    chain_id: int | None
    native_symbol: str
    native_decimals: int


@dataclass(frozen=True)
class Asset:
    chain: str
    address: str  # canonical contract address, or NATIVE
    symbol: str
    decimals: int
    stablecoin: bool = False


_CHAINS: dict[str, Chain] = {
    c.name: c
    for c in [
        Chain("ethereum", "evm", 1, "ETH", 18),
        Chain("bsc", "evm", 56, "BNB", 18),
        Chain("polygon", "evm", 137, "POL", 18),
        Chain("arbitrum", "evm", 42161, "ETH", 18),
        Chain("optimism", "evm", 10, "ETH", 18),
        Chain("base", "evm", 8453, "ETH", 18),
        Chain("tron", "tron", None, "TRX", 6),
    ]
}


_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_SYMBOL = re.compile(r"[A-Za-z0-9]{1,12}")


def _load_extra_chains() -> None:
    spec = os.environ.get("PIGTRACE_EVM_CHAINS", "").strip()
    for item in filter(None, (p.strip() for p in spec.split(","))):
        parts = item.split(":")
        if len(parts) != 3 or not parts[1].isdigit() or not _NAME.fullmatch(parts[0]) or not _SYMBOL.fullmatch(parts[2]):
            raise PigtraceError(
                f"PIGTRACE_EVM_CHAINS: {item!r} should look like name:chain_id:SYMBOL "
                "(name: lower-case letters, digits, - or _; SYMBOL: letters and digits)"
            )
        _CHAINS.setdefault(parts[0], Chain(parts[0], "evm", int(parts[1]), parts[2], 18))


_load_extra_chains()


def get_chain(name: str) -> Chain:
    try:
        return _CHAINS[name]
    except KeyError:
        known = ", ".join(sorted(_CHAINS))
        raise PigtraceError(f"unknown chain {name!r} (known: {known}; add EVM chains with PIGTRACE_EVM_CHAINS)") from None


def require_chain(name: str, family: str, why: str) -> Chain:
    """The chain ``--chain name`` names, which must exist and be of ``family`` ("evm" or "tron"); else one
    PigtraceError a person can act on. ``why`` says what data the command reads, for the message."""
    chain = _CHAINS.get(name)
    if chain is None:
        close = difflib.get_close_matches(name, list(_CHAINS), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        known = ", ".join(sorted(c.name for c in _CHAINS.values() if c.family == family))
        raise PigtraceError(
            f"--chain {name!r}: unknown chain; {hint}known {family} chains: {known} "
            "(declare other EVM chains with PIGTRACE_EVM_CHAINS=name:chain_id:SYMBOL)"
        )
    if chain.family != family:
        known = ", ".join(sorted(c.name for c in _CHAINS.values() if c.family == family))
        raise PigtraceError(f"--chain {name}: a {chain.family} chain, but {why}; pass one of: {known}")
    return chain


def chains() -> list[Chain]:
    return list(_CHAINS.values())


_ASSETS: list[Asset] = [
    Asset("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", 6, True),
    Asset("ethereum", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", 6, True),
    Asset("ethereum", "0x6b175474e89094c44da98b954eedeac495271d0f", "DAI", 18, True),
    Asset("ethereum", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "WETH", 18),
    Asset("ethereum", "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", "WBTC", 8),
    Asset("bsc", "0x55d398326f99059ff775485246999027b3197955", "USDT", 18, True),
    Asset("bsc", "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d", "USDC", 18, True),
    Asset("polygon", "0xc2132d05d31c914a87c6611c10748aeb04b58e8f", "USDT", 6, True),
    Asset("polygon", "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", "USDC", 6, True),
    Asset("arbitrum", "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9", "USDT", 6, True),
    Asset("arbitrum", "0xaf88d065e77c8cc2239327c5edb3a432268e5831", "USDC", 6, True),
    Asset("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT", 6, True),
    Asset("tron", "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", "USDC", 6, True),
    Asset("tron", "TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR", "WTRX", 6),
]
_ASSETS += [Asset(c.name, NATIVE, c.native_symbol, c.native_decimals) for c in _CHAINS.values()]

# Reference USD prices for non-stable assets when no price source is configured. Values derived from
# these are marked with PRICE_SOURCE so a reader knows they are approximate.
PRICE_SOURCE = "pigtrace reference price (static, 2023-2025 typical level)"
REFERENCE_USD = {"ETH": 2500.0, "WETH": 2500.0, "BNB": 550.0, "POL": 0.5, "TRX": 0.2, "WTRX": 0.2, "WBTC": 60000.0}


def assets(chain: str | None = None) -> list[Asset]:
    return [a for a in _ASSETS if chain is None or a.chain == chain]


def find_asset(chain: str, address: str) -> Asset | None:
    for a in _ASSETS:
        if a.chain == chain and a.address == address:
            return a
    return None


def usd_price(asset: Asset) -> tuple[float | None, str | None]:
    """(price, source) for one unit of ``asset``; (None, None) when unknown."""
    if asset.stablecoin:
        return 1.0, "stablecoin at par"
    p = REFERENCE_USD.get(asset.symbol)
    return (p, PRICE_SOURCE) if p is not None else (None, None)


# Block explorers, for the links in reports: (transaction page, address page) per chain, ``{}`` the hash or
# address. Tron's explorer takes hashes without 0x. A chain declared with PIGTRACE_EVM_CHAINS has none.
EXPLORERS: dict[str, tuple[str, str]] = {
    "ethereum": ("https://etherscan.io/tx/{}", "https://etherscan.io/address/{}"),
    "bsc": ("https://bscscan.com/tx/{}", "https://bscscan.com/address/{}"),
    "polygon": ("https://polygonscan.com/tx/{}", "https://polygonscan.com/address/{}"),
    "arbitrum": ("https://arbiscan.io/tx/{}", "https://arbiscan.io/address/{}"),
    "optimism": ("https://optimistic.etherscan.io/tx/{}", "https://optimistic.etherscan.io/address/{}"),
    "base": ("https://basescan.org/tx/{}", "https://basescan.org/address/{}"),
    "tron": ("https://tronscan.org/#/transaction/{}", "https://tronscan.org/#/address/{}"),
}


def tx_url(chain: str, tx_hash: str) -> str | None:
    """The block-explorer page of a transaction, or None for a chain without a known explorer."""
    pages = EXPLORERS.get(chain)
    if pages is None or not tx_hash:
        return None
    return pages[0].format(tx_hash[2:] if chain == "tron" and tx_hash[:2].lower() == "0x" else tx_hash)


def address_url(chain: str, address: str) -> str | None:
    """The block-explorer page of an address, or None for a chain without a known explorer."""
    pages = EXPLORERS.get(chain)
    return pages[1].format(address) if pages is not None and address else None
