"""A logistic evidence model: named features in, a probability and its reasons out.

Place in the flow: a detector's features (e.g. detect/collection_features) -> **evidence_model** -> the
detector's findings. Every feature adds its own weight times its standardised value to the log-odds, so
no single tell is required and each finding can say which tells raised or lowered its score, in words.

The weights are fitted by ``fit`` (L2-penalised logistic regression by Newton's method, numpy only) in
scripts/train_collection_model.py, on simulated worlds only, and shipped as JSON in
``pigtrace/data/models``; the same file holds how the score was checked (precision per score band on
worlds the fit did not see), which `pigtrace detectors` prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np


@dataclass
class EvidenceModel:
    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    info: dict = field(default_factory=dict)  # training worlds, calibration table, date

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per row and feature: what the feature added to the log-odds."""
        return (X - self.mean) / self.scale * self.weights

    def score(self, X: np.ndarray) -> np.ndarray:
        z = self.bias + self.contributions(X).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict:
        return {"features": self.features, "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias, "info": self.info}

    @classmethod
    def from_json(cls, d: dict) -> "EvidenceModel":
        return cls(features=list(d["features"]), mean=np.asarray(d["mean"], float),
                   scale=np.asarray(d["scale"], float), weights=np.asarray(d["weights"], float),
                   bias=float(d["bias"]), info=d.get("info", {}))


def load(name: str) -> EvidenceModel:
    """A shipped model, ``pigtrace/data/models/<name>.json``."""
    text = resources.files("pigtrace.data").joinpath("models").joinpath(f"{name}.json").read_text()
    return EvidenceModel.from_json(json.loads(text))


def fit(X: np.ndarray, y: np.ndarray, features: list[str], l2: float = 1.0, iters: int = 50) -> EvidenceModel:
    """Logistic regression with an L2 penalty of ``l2`` on the standardised weights (not the bias)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = np.column_stack([np.ones(len(X)), (X - mean) / scale])
    w = np.zeros(Z.shape[1])
    penalty = np.full(Z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -30, 30)))
        grad = Z.T @ (p - y) + penalty * w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return EvidenceModel(features=list(features), mean=mean, scale=scale, weights=w[1:], bias=float(w[0]))


def reasons(model: EvidenceModel, x: np.ndarray, raw: np.ndarray, words: dict[str, str], top: int = 4) -> list[str]:
    """The features that raised this row's score most, in words with their raw values, strongest first,
    then the one that lowered it most."""
    c = model.contributions(x[None, :])[0]
    order = np.argsort(-c)
    out = [f"{words[model.features[j]].format(raw[j])} (+{c[j]:.1f})" for j in order[:top] if c[j] > 0.25]
    low = order[-1]
    if c[low] < -0.25:
        out.append(f"against: {words[model.features[low]].format(raw[low])} ({c[low]:.1f})")
    return out
