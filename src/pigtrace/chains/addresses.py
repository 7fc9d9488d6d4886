"""Address normalisation: one canonical text form per chain.

EVM: lower-case ``0x`` + 40 hex (checksummed input accepted; a mixed-case input with a wrong EIP-55
checksum is rejected). Tron: base58check ``T...``; the 41-prefixed hex form (``41`` + 40 hex, with or
without ``0x``) is converted to it. Everything downstream compares canonical strings.
"""

from __future__ import annotations

import hashlib
import re

from eth_utils import keccak as _keccak

from pigtrace.errors import InvalidAddress

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_EVM_RE = re.compile(r"^(0x)?[0-9a-fA-F]{40}$")
_TRON_HEX_RE = re.compile(r"^(0x)?41[0-9a-fA-F]{40}$")
_TRON_B58_RE = re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$")


def keccak256(data: bytes) -> bytes:
    return _keccak(data)


def b58encode(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58_ALPHABET[r])
    pad = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        if c not in _B58_INDEX:
            raise InvalidAddress(f"{text!r}: character {c!r} is not base58")
        n = n * 58 + _B58_INDEX[c]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def b58check_encode(payload: bytes) -> str:
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return b58encode(payload + check)


def b58check_decode(text: str) -> bytes:
    raw = b58decode(text)
    if len(raw) < 5:
        raise InvalidAddress(f"{text!r}: too short for base58check")
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        raise InvalidAddress(f"{text!r}: base58check checksum does not match (mistyped address?)")
    return payload


def to_checksum(address: str) -> str:
    """EIP-55 mixed-case form of an EVM address (for display and explorer links)."""
    lower = normalize_evm(address)[2:]
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest))


def normalize_evm(address: str) -> str:
    a = address.strip()
    if not _EVM_RE.match(a):
        raise InvalidAddress(f"{address!r}: not an EVM address (expected 0x followed by 40 hex digits)")
    body = a[2:] if a[:2] in ("0x", "0X") else a
    if body != body.lower() and body != body.upper():
        if to_checksum("0x" + body.lower())[2:] != body:
            raise InvalidAddress(f"{address!r}: EIP-55 checksum does not match (mistyped address?)")
    return "0x" + body.lower()


def tron_hex_to_base58(hex_address: str) -> str:
    h = hex_address.strip()
    h = h[2:] if h[:2] in ("0x", "0X") else h
    if len(h) == 40:  # 20-byte body as found in EVM-style topics and call data
        h = "41" + h
    if not re.fullmatch(r"41[0-9a-fA-F]{40}", h):
        raise InvalidAddress(f"{hex_address!r}: not a Tron hex address (expected 41 followed by 40 hex digits)")
    return b58check_encode(bytes.fromhex(h))


# The address mints come from and burns go to: the EVM zero address, and on Tron the same 20 zero bytes
# behind the 0x41 prefix in base58.
EVM_ZERO = "0x" + "0" * 40
TRON_ZERO = tron_hex_to_base58(EVM_ZERO)
ZERO_ADDRESSES = (EVM_ZERO, TRON_ZERO)


def tron_base58_to_hex(address: str) -> str:
    payload = b58check_decode(address.strip())
    if len(payload) != 21 or payload[0] != 0x41:
        raise InvalidAddress(f"{address!r}: not a Tron address (payload must be 0x41 + 20 bytes)")
    return payload.hex()


def normalize_tron(address: str) -> str:
    a = address.strip()
    if _TRON_HEX_RE.match(a):
        return tron_hex_to_base58(a)
    if not _TRON_B58_RE.match(a):
        raise InvalidAddress(f"{address!r}: not a Tron address (expected T... base58 or 41-prefixed hex)")
    tron_base58_to_hex(a)  # validates the checksum
    return a


def chain_family(chain: str) -> str:
    from pigtrace.chains.registry import get_chain

    return get_chain(chain).family


def normalize(address: str, chain: str = "ethereum") -> str:
    """Canonical form of ``address`` on ``chain``; raises InvalidAddress with the reason."""
    if address is None:
        raise InvalidAddress("empty address")
    if chain_family(chain) == "tron":
        return normalize_tron(address)
    return normalize_evm(address)


def guess_chain(address: str) -> str | None:
    """The chain family an address's form points to: 'evm', 'tron', 'bitcoin', ... or None."""
    a = address.strip()
    if _EVM_RE.match(a) and a[:2] in ("0x", "0X"):
        return "evm"
    if _TRON_B58_RE.match(a):
        return "tron"
    if _TRON_HEX_RE.match(a):
        return "tron"
    if re.fullmatch(r"(bc1|tb1)[02-9ac-hj-np-z]{11,71}", a.lower()) or re.fullmatch(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}", a):
        return "bitcoin"
    return None
