"""The learned lexical model: character n-grams of the host and the named signals, logistic regression.

Third step of ``check-url`` for a host no list knows, done for the whole batch at once: every host's character
2- to 6-grams are hashed into ``BUCKETS`` weights with numpy over one byte stream of all the batch's hosts
(no loop per host or n-gram), the weights of its
signals (``url_signals``) and of its registrable name's shape bins (``url_shape``) are added, and the sum is the
log-odds that the host is a scam site. The weights are
fitted by ``lexical_train`` at label build time and shipped as ``data/labels/url-model.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pigtrace.labels import url_shape
from pigtrace.labels.hostnames import is_ip, name_labels
from pigtrace.labels.packs import DATA_DIR
from pigtrace.labels.url_signals import SIGNALS

BUCKETS = 1 << 18
NGRAMS = (2, 3, 4, 5, 6)  # 3-5 before: 2- and 6-grams flag 1.6 points more of 2022-2025 at the same out-of-fold FPs
WIDTH = 64  # characters of a host read, from the right (the registrable domain and what is next to it)
MODEL_FILE = "url-model.npz"
_MULT = np.uint64(0x100000001B3)
_SEED = np.uint64(0xCBF29CE484222325)


def host_text(host: str) -> str:
    return "^" + (host[4:] if host.startswith("www.") else host)[-WIDTH:] + "$"


def ngram_buckets(hosts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, buckets): the bucket of every n-gram of every host's ``host_text``, and the host it belongs to.
    The texts are hashed as one byte stream (FNV-style: xor a byte, multiply; each n-gram's hash extends
    the (n-1)-gram's); grams that cross from one text into the next are dropped."""
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


def shape_of(hosts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(values, columns) of ``url_shape`` for each host: its registrable name (the whole host for an IP) and
    the subdomain levels above it."""
    labels = [name_labels(h) if not is_ip(h) else (h,) for h in hosts]
    names = [lab[0] if lab else h for lab, h in zip(labels, hosts)]
    depths = np.fromiter((len(lab) for lab in labels), dtype=np.float64, count=len(hosts))
    vals = url_shape.values(names, np.maximum(depths - 1, 0))
    return vals, url_shape.columns(vals)


@dataclass(frozen=True)
class LexicalModel:
    ngram_weights: np.ndarray  # (BUCKETS,)
    signal_weights: np.ndarray  # (len(SIGNALS),)
    bias: float
    shape_weights: np.ndarray = field(default_factory=lambda: np.zeros(url_shape.WIDTH, dtype=np.float32))

    def parts(self, hosts: list[str], signals: list[dict[str, str]],
              shape: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(n-gram log-odds, total score in 0..1) for each host; ``shape`` is ``shape_of(hosts)`` if the caller
        has it already."""
        if not hosts:
            return np.zeros(0), np.zeros(0)
        rows, b = ngram_buckets(hosts)
        ngram = np.bincount(rows, weights=self.ngram_weights[b], minlength=len(hosts))
        cols = (shape or shape_of(hosts))[1]
        total = self.bias + ngram + signal_matrix(signals) @ self.signal_weights + self.shape_weights[cols].sum(axis=1)
        return ngram, 1.0 / (1.0 + np.exp(-total))

    def save(self, path) -> None:
        np.savez_compressed(path, ngram=self.ngram_weights.astype(np.float16),
                            signals=self.signal_weights.astype(np.float32), bias=np.float32(self.bias),
                            signal_names=np.array(list(SIGNALS)), shape=self.shape_weights.astype(np.float32),
                            shape_names=np.array(url_shape.bin_names()), ngrams=np.array(NGRAMS))


@lru_cache(maxsize=1)
def model() -> LexicalModel:
    with np.load(DATA_DIR / MODEL_FILE) as z:
        shapes = list(z["shape_names"]) if "shape_names" in z.files else []
        grams = tuple(z["ngrams"].tolist()) if "ngrams" in z.files else (3, 4, 5)
        if list(z["signal_names"]) != list(SIGNALS) or shapes != url_shape.bin_names() or grams != NGRAMS:
            raise RuntimeError(f"{MODEL_FILE} was fitted with other features; rebuild the label packs")
        return LexicalModel(z["ngram"].astype(np.float32), z["signals"].astype(np.float32), float(z["bias"]),
                            z["shape"].astype(np.float32))
