"""The learned lexical model: character n-grams of the host and the named signals, logistic regression.

Third step of ``check-url`` for a host no list knows, done for the whole batch at once: every host's character
3-, 4- and 5-grams are hashed into ``BUCKETS`` weights with numpy (no loop per n-gram), the weights of its
signals (``url_signals``) are added, and the sum is the log-odds that the host is a scam site. The weights are
fitted by ``lexical_train`` at label build time and shipped as ``data/labels/url-model.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pigtrace.labels.packs import DATA_DIR
from pigtrace.labels.url_signals import SIGNALS

BUCKETS = 1 << 18
NGRAMS = (3, 4, 5)
WIDTH = 64  # characters of a host read, from the right (the registrable domain and what is next to it)
MODEL_FILE = "url-model.npz"
_MULT = np.uint64(0x100000001B3)
_SEEDS = {n: np.uint64(0xCBF29CE484222325 ^ n) for n in NGRAMS}


def host_text(host: str) -> str:
    return "^" + (host[4:] if host.startswith("www.") else host)[-WIDTH:] + "$"


def ngram_buckets(hosts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(buckets, valid): for each host, the bucket of every n-gram of ``host_text``, shape (hosts, grams)."""
    texts = [host_text(h).encode("utf-8", "replace")[: WIDTH + 2] for h in hosts]
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    codes = np.zeros((len(texts), WIDTH + 2), dtype=np.uint64)
    flat = np.frombuffer(b"".join(t.ljust(WIDTH + 2, b"\0") for t in texts), dtype=np.uint8)
    codes[:] = flat.reshape(len(texts), WIDTH + 2)
    out_b, out_v = [], []
    pos = np.arange(WIDTH + 2)
    with np.errstate(over="ignore"):
        for n in NGRAMS:
            h = np.full((len(texts), WIDTH + 3 - n), _SEEDS[n], dtype=np.uint64)
            for j in range(n):  # FNV-style: xor the byte, multiply
                h = (h ^ codes[:, j: WIDTH + 3 - n + j]) * _MULT
            out_b.append((h >> np.uint64(20)) % np.uint64(BUCKETS))
            out_v.append(pos[None, : WIDTH + 3 - n] + n <= lens[:, None])
    return np.concatenate(out_b, axis=1).astype(np.int64), np.concatenate(out_v, axis=1)


def signal_matrix(signals: list[dict[str, str]]) -> np.ndarray:
    cols = {k: i for i, k in enumerate(SIGNALS)}
    m = np.zeros((len(signals), len(cols)), dtype=np.float32)
    for r, sig in enumerate(signals):
        for k in sig:
            m[r, cols[k]] = 1.0
    return m


@dataclass(frozen=True)
class LexicalModel:
    ngram_weights: np.ndarray  # (BUCKETS,)
    signal_weights: np.ndarray  # (len(SIGNALS),)
    bias: float

    def parts(self, hosts: list[str], signals: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """(n-gram log-odds, total score in 0..1) for each host."""
        if not hosts:
            return np.zeros(0), np.zeros(0)
        b, v = ngram_buckets(hosts)
        ngram = np.where(v, self.ngram_weights[b], 0.0).sum(axis=1)
        total = self.bias + ngram + signal_matrix(signals) @ self.signal_weights
        return ngram, 1.0 / (1.0 + np.exp(-total))

    def save(self, path) -> None:
        np.savez_compressed(path, ngram=self.ngram_weights.astype(np.float16),
                            signals=self.signal_weights.astype(np.float32), bias=np.float32(self.bias),
                            signal_names=np.array(list(SIGNALS)))


@lru_cache(maxsize=1)
def model() -> LexicalModel:
    with np.load(DATA_DIR / MODEL_FILE) as z:
        if list(z["signal_names"]) != list(SIGNALS):
            raise RuntimeError(f"{MODEL_FILE} was fitted with other signals; rebuild the label packs")
        return LexicalModel(z["ngram"].astype(np.float32), z["signals"].astype(np.float32), float(z["bias"]))
