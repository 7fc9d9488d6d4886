"""A logistic evidence model: named features in, a probability and its reasons out.

Place in the flow: a detector's features (e.g. detect/collection_features) -> **evidence_model** -> the
detector's findings. Every feature adds its own weight times its standardised value to the log-odds, so
no single tell is required and each finding can say which tells raised or lowered its score, in words.

The weights are fitted by ``fit`` (L2-penalised logistic regression, each weight held to its economic
sign) in
scripts/train_collection_model.py, on simulated worlds only, and shipped as JSON in
``pigtrace/data/models``; the same file holds how the score was checked (precision per score band on
worlds the fit did not see), which `pigtrace detectors` prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from scipy.optimize import minimize


@dataclass
class EvidenceModel:
    features: list[str]
    reference: np.ndarray  # the median training row: contributions are measured from it
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    info: dict = field(default_factory=dict)  # training worlds, calibration table, date

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per row and feature: what the feature added to the log-odds."""
        return (X - self.reference) / self.scale * self.weights

    def score(self, X: np.ndarray) -> np.ndarray:
        z = self.bias + self.contributions(X).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict:
        return {"features": self.features, "reference": self.reference.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias, "info": self.info}

    @classmethod
    def from_json(cls, d: dict) -> "EvidenceModel":
        return cls(features=list(d["features"]), reference=np.asarray(d["reference"], float),
                   scale=np.asarray(d["scale"], float), weights=np.asarray(d["weights"], float),
                   bias=float(d["bias"]), info=d.get("info", {}))


def load(name: str) -> EvidenceModel:
    """A shipped model, ``pigtrace/data/models/<name>.json``, with how it was trained and checked in ``info``."""
    return EvidenceModel.from_json(json.loads(
        resources.files("pigtrace.data").joinpath("models").joinpath(f"{name}.json").read_text()))


def save(path, model: EvidenceModel) -> None:
    path.write_text(json.dumps(model.to_json(), indent=1) + "\n")


def fit(X: np.ndarray, y: np.ndarray, features: list[str], signs: dict[str, int], l2: float = 1.0) -> EvidenceModel:
    """Logistic regression with an L2 penalty of ``l2`` on the scaled weights (not the bias), each weight
    held to the sign economics gives its feature (``signs``: +1 raises the odds, -1 lowers them, 0 leaves
    the feature out). A feature's contribution is measured from the median row, so a reason says what a
    tell adds over a typical candidate."""
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = X / scale
    n = len(y)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = w[0] + Z @ w[1:]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        ll = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * l2 * np.sum(w[1:] ** 2)
        g = p - y
        return ll / n, np.concatenate([[g.sum()], Z.T @ g + l2 * w[1:]]) / n

    bounds = [(None, None)] + [(0, None) if signs[f] > 0 else (None, 0) if signs[f] < 0 else (0, 0)
                               for f in features]
    res = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 2000})
    # reasons compare a row with the median row: the same scores, with what each tell adds over a typical wallet
    w = res.x[1:]
    ref = np.median(X, axis=0)
    return EvidenceModel(features=list(features), reference=ref, scale=scale, weights=w,
                         bias=float(res.x[0] + np.sum(w * ref / scale)))


def reasons(model: EvidenceModel, x: np.ndarray, raw: np.ndarray, words: dict[str, str], top: int = 4) -> list[str]:
    """The tells that raised this row's score most, in words with their raw values, strongest first, then
    the one that lowered it most."""
    c = model.contributions(x[None, :])[0]
    order = np.argsort(-c)
    out = [f"{words[model.features[j]].format(raw[j])} (+{c[j]:.1f})" for j in order[:top] if c[j] > 0.1]
    low = order[-1]
    if c[low] < -0.1:
        out.append(f"against: {words[model.features[low]].format(raw[low])} ({c[low]:.1f})")
    return out
