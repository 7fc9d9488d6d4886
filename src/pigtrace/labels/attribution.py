"""Mapping block-explorer label slugs (Etherscan's label cloud) to pigtrace categories and concepts.

Used by the pack build: an explorer row (its slugs and public name tag) becomes one label with a
category from ``labels/taxonomy.py``, its concepts, an actor id (the exchange or protocol) and a label
text. Rows whose slugs say nothing useful for tracing (games, NFTs, airdrop hunters, ...) are dropped.
"""

from __future__ import annotations

import re

EXPLORER_CHAIN = {
    "etherscan": "ethereum", "basescan": "base", "bscscan": "bsc", "arbiscan": "arbitrum",
    "optimism": "optimism", "celo": "celo", "gnosis": "gnosis",
}

# Centralised exchanges: slug -> display name (the exchange's name as the simulator and reports show it).
EXCHANGES: dict[str, str] = {
    "binance": "Binance", "binance-deposit": "Binance", "coinbase": "Coinbase", "kraken": "Kraken", "okx": "OKX",
    "huobi": "Huobi", "bitfinex": "Bitfinex", "kucoin": "KuCoin", "crypto-com": "Crypto.com", "gate-io": "Gate.io",
    "bithumb": "Bithumb", "bitstamp": "Bitstamp", "gemini": "Gemini", "ftx": "FTX", "poloniex": "Poloniex",
    "bittrex": "Bittrex", "upbit": "Upbit", "bitget": "Bitget", "bitmart": "BitMart", "bitmex": "BitMEX",
    "deribit": "Deribit", "hitbtc": "HitBTC", "hotbit": "Hotbit", "korbit": "Korbit", "coinone": "Coinone",
    "liquid": "Liquid", "zb-com": "ZB.com", "ascendex": "AscendEX", "latoken": "LATOKEN", "digifinex": "DigiFinex",
    "paribu": "Paribu", "remitano": "Remitano", "coinhako": "Coinhako", "coinmetro": "CoinMetro",
    "crex24": "Crex24", "tidex": "Tidex", "yunbi": "Yunbi", "quadrigacx": "QuadrigaCX", "cobinhood": "Cobinhood",
    "abcc": "ABCC", "allbit": "Allbit", "bgogo": "Bgogo", "coss-io": "COSS", "kryptono": "Kryptono",
    "topbtc": "TopBTC", "trade-io": "Trade.io", "coinbit": "Coinbit", "maskex": "MaskEX", "lcx-ag": "LCX",
    "changenow": "ChangeNOW", "shapeshift": "ShapeShift", "coinsquare": "Coinsquare", "uphold": "Uphold",
    "coinlist": "CoinList", "coin-list": "CoinList", "bitcoin-suisse": "Bitcoin Suisse", "hoo-com": "Hoo.com",
    "coinhub": "Coinhub", "switcheo": "Switcheo",
}
_EXCHANGE_GENERIC = {"exchange", "hot-wallet"}
_WALLET_SERVICES = {"nexo": "Nexo", "celsius-network": "Celsius", "blockfi": "BlockFi", "wirex": "Wirex",
                    "crypto-card": None, "fiat-gateway": None}

_BRIDGES = {"bridge", "optimism-bridge", "orbit-bridge", "wormhole", "hop-protocol", "across-protocol", "synapse",
            "celer-network", "anyswap", "connext", "multichain", "axelar", "interoperability-cross-chain",
            "cross-chain"}
_DEXES = {"dex", "uniswap", "sushiswap", "1inch", "0x-protocol", "balancer", "curve-fi", "kyberswap", "pancakeswap",
          "quickswap", "bancor", "paraswap", "cow-protocol", "dex-ag", "trader-joe", "spookyswap", "spiritswap",
          "camelot", "airswap", "tokenlon", "mdex", "bscswap", "burgerswap", "ubeswap", "pangolin", "sudoswap",
          "solidly", "amm", "dydx", "idex", "loopring", "beethoven-x", "wigoswap", "dexalot", "firebird-finance",
          "rubicon", "swipeswap", "morpheus-swap"}
_LENDING = {"aave", "compound", "maker", "cream-finance", "venus-protocol", "lending", "loans", "liquity",
            "benqi-finance", "alpaca-finance", "rari-capital", "dforce", "fortube", "hundred-finance"}
_MIXERS = {"tornado-cash": "Tornado Cash", "ethereum-mixer": None, "typhoon-cash": "Typhoon Cash",
           "typhoon-network": "Typhoon Network"}
_ISSUERS = {"centre": "Circle", "circle": "Circle", "trusttoken": "TrustToken"}
_RISKY = {"phish-hack": ("scam", ["phishing", "scam"]), "scam": ("scam", ["scam"]),
          "heist": ("hacker", ["hacker", "theft"]), "exploit": ("hacker", ["hacker"])}

# Exchange rows are shipped only when the tag names a wallet ("Binance 14", "Kraken: Hot Wallet 2",
# "Gate.io"); exchange-run token contracts, deployers and charities are not wallets a customer pays.
_WALLET_NAME = re.compile(r"^[^:()]+?(\s+\d+|:\s*(hot\s+|cold\s+)?wallet(\s*\d+)?|\s+(hot|cold)\s+wallet(\s*\d+)?"
                          r"|:\s*deposit(\s*\d+)?)?$", re.I)
_NOT_WALLET = re.compile(r"\b(wrapped|token|pool|charity|beacon|peg|swap|contract|deployer|funder|depositor|"
                         r"recovery|usd|btc|eth|bnb|proxy|multisig|router|bridge|vault)\b", re.I)
_NON_WALLET_SLUGS = {"token-contract", "bridged-token", "binance-pegged", "bitcoin-pegged", "dot-pegged", "stablecoin",
                     "staking", "charity", "donate", "mining", "derivatives", "industry-recovery-initiative"}
_TOKEN_NAME = re.compile(r"\([A-Za-z0-9$.\-_ ]{1,12}\)\s*$")  # "KickToken (KICK)": a token contract, not a wallet
_NAME_SUFFIX = re.compile(r"(:.*$|\s+\d+$|\s+(hot|cold|deposit)?\s*wallet\s*\d*$)", re.I)


def exchange_name(name_tag: str) -> str | None:
    """'Binance: Hot Wallet 14' -> 'Binance', 'KuCoin 2' -> 'KuCoin', 'AscendEX Hot Wallet' -> 'AscendEX'."""
    n = (name_tag or "").strip()
    for _ in range(3):
        n = _NAME_SUFFIX.sub("", n).strip()
    return n or None


def _slug_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def classify(slugs: list[str], name_tag: str) -> tuple[str, list[str], str | None, str] | None:
    """(category, concepts, actor, label) for an explorer row, or None when not shipped."""
    s = set(slugs)
    tag = (name_tag or "").strip()
    for slug, (category, concepts) in _RISKY.items():
        if slug in s:
            return category, concepts, None, tag or f"Etherscan {slug}"
    if "blocked" in s and not tag.lower().startswith("null"):
        return "issuer_blocked", ["issuer_blocked"], None, tag or "Blocked by stablecoin issuer"
    for slug, name in _MIXERS.items():
        if slug in s:
            return "mixing_service", ["mixing_service"], _slug_id(name) if name else None, tag or (name or "Mixer")
    named = [sl for sl in slugs if sl in EXCHANGES]
    if named or (s & _EXCHANGE_GENERIC):
        if (_TOKEN_NAME.search(tag) or s & _NON_WALLET_SLUGS or _NOT_WALLET.search(tag)
                or (tag and not _WALLET_NAME.match(tag))):
            return None
        name = EXCHANGES[named[0]] if named else exchange_name(tag)
        if name is None:
            return None
        return "exchange", ["exchange"], _slug_id(name), tag or name
    for slug, name in _WALLET_SERVICES.items():
        if slug in s and not _TOKEN_NAME.search(tag):
            return "wallet_service", ["wallet_service"], _slug_id(name) if name else None, tag or (name or slug)
    for slug, name in _ISSUERS.items():
        if slug in s and not _TOKEN_NAME.search(tag):
            return "stablecoin_issuer", ["stablecoin_issuer"], _slug_id(name), tag or name
    if s & _BRIDGES:
        slug = sorted(s & _BRIDGES)[0]
        return "bridge", ["bridge", "defi_bridge"], slug, tag or f"Bridge ({slug})"
    if s & _DEXES:
        slug = sorted(s & _DEXES)[0]
        return "defi_dex", ["defi_dex", "defi"], slug, tag or f"DEX ({slug})"
    if s & _LENDING:
        slug = sorted(s & _LENDING)[0]
        return "defi_lending", ["defi_lending", "defi"], slug, tag or f"Lending ({slug})"
    if "otc" in s:
        return "otc_desk", ["otc_desk"], None, tag or "OTC desk"
    return None
