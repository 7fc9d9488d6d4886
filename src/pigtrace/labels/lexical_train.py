"""Fits the lexical model at label build time (``labels/build.py``) and writes ``url-model.npz``.

Examples come from ``url_corpus`` (only data the product may ship: MetaMask's, CryptoScamDB's and Sophos X-Ops's
scam hosts as positives; the ``train`` and ``tune`` parts of the Etherscan-labelled project websites and of the sites named in the
explorers' account name tags, host names made of labelled tokens' names (``url_corpus.token_name_hosts``: benign names of the
kind that scored highest among project sites, "spacexsafu"), MetaMask's allow and fuzzy lists and the brands'
official domains as negatives). Logistic
regression with an L2 penalty and class weights (balanced, then benign examples weighted ``NEGATIVE_WEIGHT``),
fitted with SciPy's L-BFGS on a sparse matrix of hashed n-gram counts, the signal columns and the name-shape bins
(``url_shape``). ``out_of_fold`` scores each fitted site by a model fitted without it, for choosing the threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from pigtrace.labels import url_corpus
from pigtrace.labels import url_shape
from pigtrace.labels.lexical import BUCKETS, LexicalModel, ngram_buckets, shape_of, signal_matrix
from pigtrace.labels.url_signals import SIGNALS

L2 = 1e-4  # penalty on the squared weights (3e-5 at first: n-grams outweighed the named signals; 3e-4 after)
NEGATIVE_WEIGHT = 3.0  # benign examples count this much more than in a balanced fit: the verdict must be precise
FOLDS = 5  # folds of the out-of-fold scores the threshold is chosen on


def examples(src: Path, official: set[str], leave_out: int | None = None,
             folds: int = FOLDS) -> tuple[list[str], np.ndarray]:
    """(hosts, labels): 1 for a scam host, 0 for a benign one. Project websites and the hosts named after them
    come from the fitted parts (``url_corpus.FIT_PARTS``); with ``leave_out`` also not from that fold
    (``url_corpus.cv_fold``), so the fold's sites can be scored out of fold."""
    def fitted(h: str) -> bool:
        return url_corpus.split_of(h) in url_corpus.FIT_PARTS and (
            leave_out is None or url_corpus.cv_fold(h, folds) != leave_out)

    mm = url_corpus.metamask_lists(src)
    pos = set(mm["blacklist"]) | set(url_corpus.cryptoscamdb_hosts(src)) | set(url_corpus.sophos_hosts(src))
    sites = [h for h in url_corpus.project_websites(src) if fitted(h)]
    neg = set(sites) | {d for d in official if fitted(d)}
    neg |= {h for h in set(mm["whitelist"]) | set(mm["fuzzylist"])
            if leave_out is None or url_corpus.cv_fold(h, folds) != leave_out}
    neg |= {h for h in url_corpus.name_tag_hosts(src) if fitted(h)}
    neg |= set(url_corpus.token_name_hosts(src, [h.rsplit(".", 1)[-1] for h in sites], set(sites)))
    pos -= neg
    hosts = sorted(pos) + sorted(neg)
    return hosts, np.r_[np.ones(len(pos)), np.zeros(len(neg))]


def design(hosts: list[str], signals: list[dict[str, str]]) -> sparse.csr_matrix:
    rows, b = ngram_buckets(hosts)
    grams = sparse.csr_matrix((np.ones(rows.size, dtype=np.float64), (rows, b)), shape=(len(hosts), BUCKETS))
    cols = shape_of(hosts)[1]
    shape = sparse.csr_matrix((np.ones(cols.size), (np.repeat(np.arange(len(hosts)), cols.shape[1]), cols.ravel())),
                              shape=(len(hosts), url_shape.WIDTH))
    return sparse.hstack([grams, sparse.csr_matrix(signal_matrix(signals).astype(np.float64)), shape], format="csr")


def fit(x: sparse.csr_matrix, y: np.ndarray) -> LexicalModel:
    weight = np.where(y == 1, 0.5 / y.mean(), NEGATIVE_WEIGHT * 0.5 / (1 - y.mean())) / len(y)
    xt = x.T.tocsr()

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        ll = np.logaddexp(0.0, z) - y * z
        g = weight * (p - y)
        return weight @ ll + 0.5 * L2 * (w @ w), np.r_[xt @ g + L2 * w, g.sum()]

    res = optimize.minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B",
                            options={"maxiter": 300})
    w = res.x[:-1]
    k = BUCKETS + len(SIGNALS)
    return LexicalModel(w[:BUCKETS].astype(np.float32), w[BUCKETS:k].astype(np.float32), float(res.x[-1]),
                        w[k:].astype(np.float32))


def train(src: Path, out: Path, checker) -> dict:
    """Fits on the examples of ``src`` with the signals ``checker`` finds; writes the model into ``out``."""
    official = set(checker.official)
    hosts, y = examples(src, official)
    signals = checker.signals(hosts)
    m = fit(design(hosts, signals), y)
    m.save(out / "url-model.npz")
    return {"positives": int(y.sum()), "negatives": int(len(y) - y.sum()),
            "signal_weights": {k: round(float(w), 3) for k, w in zip(SIGNALS, m.signal_weights)},
            "shape_weights": {k: round(float(w), 3) for k, w in zip(url_shape.bin_names(), m.shape_weights)}}


def out_of_fold(src: Path, checker, folds: int = FOLDS) -> dict[str, float]:
    """Score of each project website of the fitted parts by a model fitted without its fold (``folds`` fits):
    what a site the model never saw scores, the ground the threshold is chosen on (``bench/urls.py --sweep``)."""
    official = set(checker.official)
    sites = [h for h in url_corpus.project_websites(src) if url_corpus.split_of(h) in url_corpus.FIT_PARTS]
    xs = design(sites, checker.signals(sites))
    fold = np.array([url_corpus.cv_fold(h, folds) for h in sites])
    out: dict[str, float] = {}
    for k in range(folds):
        hosts, y = examples(src, official, leave_out=k, folds=folds)
        m = fit(design(hosts, checker.signals(hosts)), y)
        w = np.r_[m.ngram_weights, m.signal_weights, m.shape_weights].astype(np.float64)
        pick = np.flatnonzero(fold == k)
        z = xs[pick] @ w + m.bias
        out.update(zip((sites[i] for i in pick), (1.0 / (1.0 + np.exp(-z))).tolist()))
    return out
