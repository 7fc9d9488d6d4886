"""The learned lexical model: character n-grams of the host and the named signals, logistic regression.

Third step of ``check-url`` for a host no list knows, done for the whole batch at once: every host's character
3-, 4- and 5-grams are hashed into ``BUCKETS`` weights with numpy over one byte stream of all the batch's hosts
(no loop per host or n-gram), the weights of its
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
_SEED = np.uint64(0xCBF29CE484222325)


def host_text(host: str) -> str:
    return "^" + (host[4:] if host.startswith("www.") else host)[-WIDTH:] + "$"


def ngram_buckets(hosts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, buckets): the bucket of every n-gram of every host's ``host_text``, and the host it belongs to.
    The texts are hashed as one byte stream (FNV-style: xor a byte, multiply; the 4-gram hash extends the
    3-gram's, the 5-gram the 4-gram's); grams that cross from one text into the next are dropped."""
    texts = [host_text(h).encode("utf-8", "replace")[: WIDTH + 2] for h in hosts]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer(b"".join(texts), dtype=np.uint8).astype(np.uint64)
    ends = np.cumsum(lens)
    row_of = np.repeat(np.arange(len(texts)), lens)
    end_of = ends[row_of]
    pos = np.arange(codes.size)
    rows, buckets = [], []
    with np.errstate(over="ignore"):
        h = np.full(codes.size, _SEED, dtype=np.uint64)
        for j in range(NGRAMS[-1]):  # h[p] = hash of the (j+1)-gram starting at p
            h = (h[: codes.size - j] ^ codes[j:]) * _MULT
            n = j + 1
            if n in NGRAMS:
                ok = np.flatnonzero(pos[: h.size] + n <= end_of[: h.size])
                rows.append(row_of[ok])
                buckets.append(((h[ok] >> np.uint64(20)) % np.uint64(BUCKETS)).astype(np.int64))
    return np.concatenate(rows), np.concatenate(buckets)


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
        rows, b = ngram_buckets(hosts)
        ngram = np.bincount(rows, weights=self.ngram_weights[b], minlength=len(hosts))
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
