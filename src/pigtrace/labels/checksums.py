"""Checksums of the non-EVM address forms labels and screening accept, so a mistyped address is reported
as malformed instead of screening clean: bech32/bech32m (BIP-173/350: ``bc1``, ``ltc1``, ``bnb1``), CashAddr
(Bitcoin Cash ``q...``/``p...``), base58check (legacy Bitcoin-family forms, XRP with its own alphabet) and
the 32-byte key length of Solana. Monero's block-wise base58 is checked for form only.
"""

from __future__ import annotations

import hashlib

from pigtrace.errors import InvalidAddress

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BTC_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XRP_B58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def check_bech32(address: str) -> None:
    if address != address.lower() and address != address.upper():
        raise InvalidAddress(f"{address!r}: mixes upper and lower case (bech32 addresses use one case)")
    a = address.lower()
    pos = a.rfind("1")
    if pos < 1 or len(a) - pos < 7:
        raise InvalidAddress(f"{address!r}: not a bech32 address")
    hrp, data = a[:pos], a[pos + 1:]
    try:
        values = [_BECH32_INDEX[c] for c in data]
    except KeyError as e:
        raise InvalidAddress(f"{address!r}: character {e.args[0]!r} is not bech32") from None
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + values) not in (1, 0x2BC830A3):  # bech32, bech32m
        raise InvalidAddress(f"{address!r}: bech32 checksum does not match (mistyped address?)")


def _cashaddr_polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for bit, g in ((1, 0x98F2BC8E61), (2, 0x79B76D99E2), (4, 0xF33E5FB3C4), (8, 0xAE2EABE2A8),
                       (16, 0x1E4F43E470)):
            if c0 & bit:
                c ^= g
    return c ^ 1


def check_cashaddr(address: str, prefix: str = "bitcoincash") -> None:
    body = address.lower().split(":", 1)[-1]
    try:
        values = [_BECH32_INDEX[c] for c in body]
    except KeyError as e:
        raise InvalidAddress(f"{address!r}: character {e.args[0]!r} is not CashAddr") from None
    if _cashaddr_polymod([ord(c) & 31 for c in prefix] + [0] + values) != 0:
        raise InvalidAddress(f"{address!r}: CashAddr checksum does not match (mistyped address?)")


_PAIRS = {alphabet: {a + b: i * 58 + j for i, a in enumerate(alphabet) for j, b in enumerate(alphabet)}
          for alphabet in (_BTC_B58, _XRP_B58)}


def _b58decode(text: str, alphabet: str) -> bytes:
    pairs = _PAIRS[alphabet]
    n = 0
    odd = len(text) % 2
    try:
        if odd:
            n = pairs[alphabet[0] + text[0]]  # a leading zero digit makes the first pair
        for k in range(odd, len(text), 2):
            n = n * 3364 + pairs[text[k:k + 2]]
    except KeyError:
        bad = next(c for c in text if c not in alphabet)
        raise InvalidAddress(f"{text!r}: character {bad!r} is not base58") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip(alphabet[0]))) + body


def check_base58check(address: str, alphabet: str = _BTC_B58) -> None:
    raw = _b58decode(address, alphabet)
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] != raw[-4:]:
        raise InvalidAddress(f"{address!r}: base58check checksum does not match (mistyped address?)")


def check_form(address: str, network: str) -> None:
    """Raise InvalidAddress when ``address`` fails the checksum of its form on ``network``."""
    low = address.lower()
    if network in ("bitcoin", "litecoin", "bnb_beacon") and low.startswith(("bc1", "ltc1", "bnb1", "tb1")):
        check_bech32(address)
    elif network == "bitcoin_cash" and (low.startswith("bitcoincash:") or low[:1] in ("q", "p")):
        check_cashaddr(address)
    elif network == "ripple":
        check_base58check(address, _XRP_B58)
    elif network == "solana":
        if len(_b58decode(address, _BTC_B58)) != 32:
            raise InvalidAddress(f"{address!r}: not a Solana address (a base58 32-byte key)")
    elif network == "monero":
        return
    elif network in ("bitcoin", "litecoin", "bitcoin_cash", "bitcoin_sv", "bitcoin_gold", "dash", "zcash",
                     "verge", "dogecoin"):
        check_base58check(address)
