"""Every address of the synthetic world, by entity id: random ones drawn from the seed, real ones
(token contracts, exchange hot wallets, routers) given as text, and look-alikes that copy the first and
last characters of a target, as address poisoners do. Also the vectorised hex helpers the writers use.
"""

from __future__ import annotations

import numpy as np


def hex_ascii(raw: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, 2k) ASCII hex digits."""
    n, k = raw.shape
    text = np.ascontiguousarray(raw, dtype=np.uint8).tobytes().hex().encode()
    return np.frombuffer(text, dtype=np.uint8).reshape(n, 2 * k)


def u64_hex(v: np.ndarray) -> np.ndarray:
    """uint64 values -> (n, 16) ASCII hex digits, big-endian, zero-padded."""
    return hex_ascii(np.ascontiguousarray(v, dtype=">u8").view(np.uint8).reshape(-1, 8))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A fast, well-mixed 64-bit hash of integers (deterministic stand-in for keccak-derived ids)."""
    z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash32_ascii(keys: np.ndarray, salt: int) -> np.ndarray:
    """(n, 64) ASCII hex of a 32-byte pseudo-hash of each integer key (tx and block hashes)."""
    mix = splitmix64(np.array([salt], dtype=np.uint64))[0]
    base = (np.asarray(keys, dtype=np.uint64) << np.uint64(2)) ^ mix
    return np.concatenate([u64_hex(splitmix64(base + np.uint64(i))) for i in range(4)], axis=1)


class AddressBook:
    """Entity id -> 20 address bytes. Ids are dense, in creation order."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._raw = np.zeros((1024, 20), dtype=np.uint8)
        self.n = 0
        self._fixed: dict[str, int] = {}

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        if need > len(self._raw):
            cap = max(need, 2 * len(self._raw))
            bigger = np.zeros((cap, 20), dtype=np.uint8)
            bigger[: self.n] = self._raw[: self.n]
            self._raw = bigger

    def random(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` fresh random addresses (drawn from ``rng`` when given: a knob's own stream)."""
        self._grow(n)
        self._raw[self.n : self.n + n] = (rng or self.rng).integers(0, 256, size=(n, 20), dtype=np.uint8)
        ids = np.arange(self.n, self.n + n, dtype=np.int32)
        self.n += n
        return ids

    def one(self, rng: np.random.Generator | None = None) -> int:
        return int(self.random(1, rng)[0])

    def fixed(self, address: str) -> int:
        """The entity for a real address given as 0x-hex text (one entity per address)."""
        key = address.lower()
        if key in self._fixed:
            return self._fixed[key]
        body = bytes.fromhex(key[2:])
        if len(body) != 20:
            raise ValueError(f"{address!r}: not a 20-byte address")
        self._grow(1)
        self._raw[self.n] = np.frombuffer(body, dtype=np.uint8)
        self._fixed[key] = self.n
        self.n += 1
        return self.n - 1

    def lookalike(self, target: int, head: int, tail: int) -> int:
        """A new address whose first ``head`` and last ``tail`` hex digits equal ``target``'s."""
        t = self.hex(target)[2:]
        r = bytes(self.rng.integers(0, 256, size=20, dtype=np.uint8)).hex()
        body = t[:head] + r[head : 40 - tail] + t[40 - tail :]
        if body == t:
            body = t[:head] + ("0" if t[head] != "0" else "1") + body[head + 1 :]
        self._grow(1)
        self._raw[self.n] = np.frombuffer(bytes.fromhex(body), dtype=np.uint8)
        self.n += 1
        return self.n - 1

    def hex(self, entity: int) -> str:
        return "0x" + bytes(self._raw[entity]).hex()

    def raw(self) -> np.ndarray:
        """(n, 20) address bytes of every entity."""
        return self._raw[: self.n]

    def hex_all(self) -> list[str]:
        """Every entity's 0x-hex address (a Python list, for truth and small lookups)."""
        ascii_ = hex_ascii(self.raw())
        return ["0x" + s.decode() for s in ascii_.view("S40").ravel()]
