"""Calibrated scores: a finding's score read as the share of such findings that are right.

Place in the flow: detectors -> merge and resolve (detect/run) -> **calibration** -> the ``findings``
table. The detectors' own scores (a model's probability, a typology's fixed confidence, several combined
as independent evidence) are not comparable across roles; this maps each role's combined score through a
non-decreasing step function fitted by isotonic regression (``fit``) on simulated worlds
(scripts/calibrate_scores.py), so that a 0.9 means about 90% of such findings were right there; a chain
with worlds of its own (Tron) has its own table, fitted on them. The raw
score stays in the finding's reasons. On real data the mapping is only as good as the worlds were like it:
`pigtrace detectors` prints the check figures the table was built with.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from functools import lru_cache
from importlib import resources

import numpy as np

NAME = "calibration"


def fit(scores: np.ndarray, right: np.ndarray, max_steps: int = 24) -> tuple[list[float], list[float]]:
    """Isotonic (pool adjacent violators) fit of ``right`` (0/1) on ``scores``: (step starts, values),
    at most ``max_steps`` steps (neighbouring steps merged by weight)."""
    order = np.argsort(scores, kind="stable")
    x, y = np.asarray(scores, float)[order], np.asarray(right, float)[order]
    blocks: list[list[float]] = []  # [start score, sum of y, weight]
    for xi, yi in zip(x.tolist(), y.tolist()):
        if blocks and blocks[-1][0] == xi:  # equal scores are one point: pool them first
            blocks[-1][1] += yi
            blocks[-1][2] += 1.0
        else:
            blocks.append([xi, yi, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1][1] += last[1]
            blocks[-1][2] += last[2]
    while len(blocks) > max_steps:  # merge the lightest neighbouring pair
        k = int(np.argmin([blocks[i][2] + blocks[i + 1][2] for i in range(len(blocks) - 1)]))
        right_block = blocks.pop(k + 1)
        blocks[k][1] += right_block[1]
        blocks[k][2] += right_block[2]
    return [b[0] for b in blocks], [round(b[1] / b[2], 4) for b in blocks]


@lru_cache(maxsize=1)
def table() -> dict:
    """The shipped table: {"roles": {role: {"starts": [...], "values": [...]}}, "info": {...},
    "chains": {chain: {"roles": {...}, "info": {...}}}} ({} if none)."""
    try:
        text = resources.files("pigtrace.data").joinpath("models").joinpath(f"{NAME}.json").read_text()
    except FileNotFoundError:
        return {}
    return json.loads(text)


def steps_for(role: str, chain: str | None = None) -> dict | None:
    """The steps of ``role`` on ``chain``: the chain's own table where it has one (the detectors see a chain
    through what its data holds: Tron's account histories, its TRX gas), else the table of the chains
    without one."""
    t = table()
    own = t.get("chains", {}).get(chain or "", {}).get("roles", {}).get(role)
    return own or t.get("roles", {}).get(role)


def calibrate(role: str, score: float, chain: str | None = None) -> float:
    """The calibrated score of a finding in ``role`` on ``chain`` whose combined score is ``score``
    (unchanged for a role the table does not hold, and everywhere when ``PIGTRACE_RAW_SCORES=1``: how
    scripts/calibrate_scores.py reads the scores it fits)."""
    steps = steps_for(role, chain)
    if not steps or os.environ.get("PIGTRACE_RAW_SCORES") == "1":
        return score
    return step_value(steps, score)


def step_value(steps: dict, score: float) -> float:
    """The value of the step (``{"starts": [...], "values": [...]}``) that ``score`` falls in."""
    # a combined score summed in another order differs in the last bits; it must not change step at a start
    k = bisect_right(steps["starts"], round(score, 9)) - 1
    return float(steps["values"][max(k, 0)])
