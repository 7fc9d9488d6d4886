"""The shape of a host's registrable name: features of the learned model that a person can read.

How long the name is, how many digits and hyphens it has, the longest run of consonants and of digits, the share
of vowels, how evenly its characters are spread (Shannon entropy in bits: random strings such as ``czqmxtj`` or
``kfoy9cuik3hf6ok`` are high), and how many subdomain levels sit above it. Each is cut into a few bins; a bin is a
yes/no feature of the lexical model (``lexical``) with a weight the label build learns (``lexical_train``), and a
verdict names the bins that pushed its score up ("7 consonants in a row"). Computed for the whole batch at once
with numpy over one byte stream of the names (no loop per character).
"""

from __future__ import annotations

import numpy as np

# (feature, upper edges of its bins, how a value reads); a value v falls in the first bin whose edge is >= v
SHAPES: tuple[tuple[str, tuple[float, ...], str], ...] = (
    ("letters", (4, 7, 11, 15, 20), "characters in the name: {v:.0f}"),
    ("digits", (0, 1, 3), "digits in the name: {v:.0f}"),
    ("consonant_run", (2, 3, 4), "consonants in a row: {v:.0f}"),
    ("digit_run", (0, 2, 4), "digits in a row: {v:.0f}"),
    ("vowel_share", (0.2, 0.3, 0.45), "share of vowels among the letters: {v:.0%}"),
    ("entropy", (2.5, 3.0, 3.5), "character entropy (random text is high): {v:.1f} bits"),
    ("hyphens", (0, 1, 2), "hyphens in the name: {v:.0f}"),
    ("subdomains", (0, 1, 2), "subdomain levels above the name: {v:.0f}"),
)
OFFSETS = np.cumsum([0] + [len(e) + 1 for _, e, _ in SHAPES])[:-1]
WIDTH = int(sum(len(e) + 1 for _, e, _ in SHAPES))


def bin_names() -> list[str]:
    """One name per model column: ``consonant_run>4``, ``letters<=7`` ..."""
    out = []
    for name, edges, _ in SHAPES:
        out += [f"{name}<={e:g}" for e in edges] + [f"{name}>{edges[-1]:g}"]
    return out


_VOWEL = np.zeros(256, dtype=bool)
_VOWEL[np.frombuffer(b"aeiouy", dtype=np.uint8)] = True
_CONSONANT = np.zeros(256, dtype=bool)
_CONSONANT[np.frombuffer(b"bcdfghjklmnpqrstvwxz", dtype=np.uint8)] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[np.frombuffer(b"0123456789", dtype=np.uint8)] = True
_SYMBOL = np.full(256, 36, dtype=np.int64)  # entropy alphabet: a-z, 0-9, anything else
_SYMBOL[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)] = np.arange(36)


def _max_run(mask: np.ndarray, row_of: np.ndarray, n: int) -> np.ndarray:
    """Per row, the longest run of True in ``mask`` (rows are separated by a False)."""
    out = np.zeros(n, dtype=np.float64)
    if not mask.any():
        return out
    run_id = np.cumsum(~mask)  # constant along a run of True
    ids, lengths = np.unique(run_id[mask], return_counts=True)
    first = np.searchsorted(run_id, ids, side="left") + 1  # the run's first True follows its id's False
    first = np.minimum(first, mask.size - 1)
    np.maximum.at(out, row_of[first], lengths)
    return out


def values(names: list[str], depths: np.ndarray) -> np.ndarray:
    """(len(names), len(SHAPES)) raw values for registrable names (``name_labels(host)[0]``, ASCII form) and
    their hosts' subdomain levels."""
    n = len(names)
    out = np.zeros((n, len(SHAPES)), dtype=np.float64)
    if not n:
        return out
    texts = [t.encode("ascii", "replace") + b"." for t in names]  # '.' ends each name: no run crosses it
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    codes = np.frombuffer(b"".join(texts), dtype=np.uint8)
    row_of = np.repeat(np.arange(n), lens)
    hyphen = codes == 45
    char = ~hyphen & (codes != 46)
    nchar = np.bincount(row_of, weights=char, minlength=n)
    ndig = np.bincount(row_of, weights=_DIGIT[codes], minlength=n)
    nvow = np.bincount(row_of, weights=_VOWEL[codes], minlength=n)
    sym = _SYMBOL[codes[char]]
    counts = np.bincount(row_of[char] * 37 + sym, minlength=n * 37).reshape(n, 37).astype(np.float64)
    total = np.maximum(nchar, 1.0)
    p = counts / total[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=1)
    letters = np.maximum(nchar - ndig, 1.0)
    out[:, 0] = nchar
    out[:, 1] = ndig
    out[:, 2] = _max_run(_CONSONANT[codes], row_of, n)
    out[:, 3] = _max_run(_DIGIT[codes], row_of, n)
    out[:, 4] = nvow / letters
    out[:, 5] = ent
    out[:, 6] = np.bincount(row_of, weights=hyphen, minlength=n)
    out[:, 7] = depths
    return out


def columns(vals: np.ndarray) -> np.ndarray:
    """(rows, len(SHAPES)) the model column of each feature's bin."""
    cols = np.empty(vals.shape, dtype=np.int64)
    for j, (_, edges, _) in enumerate(SHAPES):
        cols[:, j] = OFFSETS[j] + np.searchsorted(np.asarray(edges, dtype=np.float64), vals[:, j], side="left")
    return cols


def describe(vals_row: np.ndarray, cols_row: np.ndarray, weights: np.ndarray, at_least: float = 0.5) -> list[str]:
    """Plain words for the bins of one host whose learned weight adds at least ``at_least`` log-odds."""
    out = []
    for j, (_, _, text) in enumerate(SHAPES):
        w = float(weights[cols_row[j]])
        if w >= at_least:
            out.append(f"name shape: {text.format(v=vals_row[j])} ({w:+.1f} log-odds)")
    return out


def describe_batch(vals: np.ndarray, cols: np.ndarray, weights: np.ndarray, at_least: float = 0.5) -> list[list[str]]:
    """``describe`` for every host of a batch: one pass over the (host, feature) pairs that qualify, each text
    formatted once per distinct value."""
    out: list[list[str]] = [[] for _ in range(len(vals))]
    rows, feats = np.nonzero(weights[cols] >= at_least)
    memo: dict[tuple[int, int, float], str] = {}
    for r, j, c, v in zip(rows.tolist(), feats.tolist(), cols[rows, feats].tolist(), vals[rows, feats].tolist()):
        key = (j, c, v)
        text = memo.get(key)
        if text is None:
            text = memo[key] = (f"name shape: {SHAPES[j][2].format(v=v)} ({float(weights[c]):+.1f} log-odds)")
        out[r].append(text)
    return out
