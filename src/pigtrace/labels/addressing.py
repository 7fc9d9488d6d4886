"""Address forms for labels and screening: which chain an address's form points to, and its canonical text.

Labels cover more networks than the warehouse ingests (OFAC lists Bitcoin, Monero, XRP, ...). EVM and
Tron addresses use the warehouse's canonical forms (``chains/addresses.py``); bech32 and CashAddr forms
are case-insensitive and stored lower-case; the other base58 forms are case-sensitive and kept as given.
The ``chain`` value is the canonical chain name for EVM/Tron chains and the network name for the others.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from pigtrace.chains.addresses import normalize_evm, normalize_tron
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.labels.checksums import check_form

EVM_CHAINS = ("ethereum", "bsc", "polygon", "arbitrum", "optimism", "base", "avalanche", "fantom", "celo",
              "gnosis", "ethereum_classic")

# Network names of the non-EVM chains labels can carry, with their GraphSense/ticker code.
NETWORK_CODES: dict[str, str] = {
    "ethereum": "ETH", "bsc": "BSC", "polygon": "MATIC", "arbitrum": "ARB", "optimism": "OP", "base": "BASE",
    "avalanche": "AVAX", "fantom": "FTM", "celo": "CELO", "gnosis": "GNO", "ethereum_classic": "ETC",
    "tron": "TRX", "bitcoin": "BTC", "litecoin": "LTC", "bitcoin_cash": "BCH", "bitcoin_sv": "BSV",
    "bitcoin_gold": "BTG", "monero": "XMR", "dash": "DASH", "zcash": "ZEC", "ripple": "XRP", "verge": "XVG",
    "solana": "SOL", "bnb_beacon": "BNB", "dogecoin": "DOGE",
}
CODE_NETWORKS: dict[str, str] = {v: k for k, v in NETWORK_CODES.items()}
CODE_NETWORKS.update({"XBT": "bitcoin", "USDT": "ethereum", "USDC": "ethereum", "WETH": "ethereum",
                      "BNB_BSC": "bsc", "POLYGON": "polygon", "POL": "polygon", "TRON": "tron"})

_FORMS: list[tuple[str, re.Pattern]] = [
    ("bitcoin", re.compile(r"^(bc1)[02-9ac-hj-np-z]{11,71}$")),
    ("litecoin", re.compile(r"^(ltc1)[02-9ac-hj-np-z]{11,71}$")),
    ("bitcoin_cash", re.compile(r"^(bitcoincash:)?[qp][02-9ac-hj-np-z]{41}$")),
    ("bnb_beacon", re.compile(r"^bnb1[02-9ac-hj-np-z]{38}$")),
]
_B58 = "[1-9A-HJ-NP-Za-km-z]"
_B58_FORMS: list[tuple[str, re.Pattern]] = [
    ("bitcoin", re.compile(rf"^[13]{_B58}{{25,34}}$")),
    ("litecoin", re.compile(rf"^[LM]{_B58}{{26,33}}$")),
    ("monero", re.compile(rf"^[48]{_B58}{{94}}$|^[48]{_B58}{{105}}$")),
    ("dash", re.compile(rf"^X{_B58}{{33}}$")),
    ("zcash", re.compile(rf"^t[13]{_B58}{{33}}$")),
    ("ripple", re.compile(r"^r[1-9A-HJ-NP-Za-km-z]{24,34}$")),
    ("verge", re.compile(rf"^D{_B58}{{33}}$")),
    ("bitcoin_gold", re.compile(rf"^[GA]{_B58}{{33}}$")),
    ("solana", re.compile(rf"^{_B58}{{32,44}}$")),
]
_EVM_RE = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_TRON_RE = re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$|^(0x)?41[0-9a-fA-F]{40}$")
_WHITESPACE = re.compile(r"\s")
_MONERO_VIEW_KEY = re.compile(r"^[0-9a-f]{64}$")  # OFAC lists one Monero entry as a 64-hex key


_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_PAIRS = {a + b: i * 58 + j for i, a in enumerate(_B58_ALPHABET) for j, b in enumerate(_B58_ALPHABET)}


def tron_checksum_ok(address: str) -> bool:
    """Fast check of a ``T...`` base58check address (34 characters): two characters per step, one
    big-integer conversion, the double-SHA256 checksum. Same answer as ``chains.addresses.normalize_tron``."""
    if len(address) != 34 or address[0] != "T":
        return False
    n = 0
    try:
        for k in range(0, 34, 2):
            n = n * 3364 + _B58_PAIRS[address[k:k + 2]]
        raw = n.to_bytes(25, "big")
    except (KeyError, OverflowError):
        return False
    return raw[0] == 0x41 and hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


@lru_cache(maxsize=256)
def family(chain: str) -> str:
    """'evm', 'tron' or the network's own name."""
    if chain in EVM_CHAINS:
        return "evm"
    from pigtrace.chains.registry import _CHAINS  # chains declared at run time (PIGTRACE_EVM_CHAINS)

    c = _CHAINS.get(chain)
    return c.family if c else chain


def check_chain(chain: str) -> str:
    """``chain`` when labels and screening know it; otherwise a PigtraceError listing the known names."""
    from pigtrace.chains.registry import _CHAINS

    if chain in NETWORK_CODES or chain in _CHAINS:
        return chain
    known = ", ".join(sorted(set(NETWORK_CODES) | set(_CHAINS)))
    raise PigtraceError(f"unknown chain {chain!r} (known: {known}; add EVM chains with PIGTRACE_EVM_CHAINS)")


def guess_network(address: str) -> str | None:
    """The network an address's form points to ('evm', 'tron', 'bitcoin', 'monero', ...), or None."""
    a = address.strip()
    if _EVM_RE.match(a):
        return "evm"
    if _TRON_RE.match(a):
        return "tron"
    low = a.lower()
    for name, rx in _FORMS:
        if rx.match(low):
            return name
    for name, rx in _B58_FORMS:
        if rx.match(a):
            return name
    if _MONERO_VIEW_KEY.match(low):
        return "monero"
    return None


def canonical(address: str, chain: str) -> str:
    """Canonical text of ``address`` on ``chain``; raises InvalidAddress naming the problem."""
    a = (address or "").strip()
    if not a:
        raise InvalidAddress("empty address")
    fam = family(chain)
    if fam == "evm":
        return normalize_evm(a)
    if fam == "tron":
        return normalize_tron(a)
    if _WHITESPACE.search(a):
        raise InvalidAddress(f"{address!r}: contains whitespace")
    check_form(a, chain)
    low = a.lower()
    if low.startswith("bitcoincash:"):
        low = low[len("bitcoincash:"):]
    if low.startswith(("bc1", "ltc1", "bnb1", "tb1")) or re.match(r"^[qp][02-9ac-hj-np-z]{41}$", low):
        return low  # bech32 / CashAddr: case-insensitive
    return a

