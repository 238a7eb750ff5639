"""95% intervals of a mean score, and ranks that tie models whose intervals overlap."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
RESAMPLES = 1000
SEED = 20260101


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (Wilson 1927; Newcombe 1998, method 3)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` share of bootstrap ``values`` (the percentile method)."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def resampled_means(data: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """The means of ``resamples`` seeded resamples (with replacement) of ``data``, drawn in blocks of about a
    million values so a large run does not hold every resample in memory at once."""
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, 1_000_000 // max(1, data.size)))
    means = [data[rng.integers(0, data.size, size=(min(block, resamples - start), data.size))].mean(axis=1)
             for start in range(0, resamples, block)]
    return np.concatenate(means)


def bootstrap_mean(scores: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """A seeded percentile-bootstrap 95% interval of the mean: the same scores and seed give the same interval."""
    data = np.asarray(scores, dtype=float)
    if data.size == 0:
        return 0.0, 1.0
    return percentile_interval(resampled_means(data, resamples, seed))


def is_binary(scores: Sequence[float]) -> bool:
    """Whether every score is 0 or 1 (then the Wilson interval and McNemar's test apply)."""
    return all(s in (0, 1) for s in scores)


def mean_interval(scores: Sequence[float], seed: int = SEED) -> dict:
    """Mean, 95% interval and method: Wilson for 0/1 scores, a seeded bootstrap of 1,000 resamples otherwise."""
    n = len(scores)
    mean = sum(scores) / n if n else None
    if is_binary(scores):
        low, high = wilson(int(sum(scores)), n)
        method = "wilson"
    else:
        low, high = bootstrap_mean(scores, seed=seed)
        method = "bootstrap"
    return {"score": mean, "ci": [round(low, 6), round(high, 6)], "n": n, "method": method}


def rank_with_ties(intervals: Sequence[tuple[float, float]]) -> list[int]:
    """Rank = 1 + the number of others whose lower bound is above this one's upper bound: models whose intervals
    overlap share a rank (the rule of LMSYS's arena)."""
    return [1 + sum(1 for low, _high in intervals if low > hi) for _lo, hi in intervals]
