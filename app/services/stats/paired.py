"""Two runs on the same samples: is the difference real or noise?"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from app.services.stats.intervals import RESAMPLES, SEED, is_binary, percentile_interval, resampled_means

ALPHA = 0.05


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """McNemar's exact two-sided p-value from the discordant pairs: a binomial test of ``only_a`` against
    ``only_a + only_b`` fair coin flips (10 vs 2 → 0.0386). Summed in log space, so thousands of pairs are fast."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    log_half_n = n * math.log(0.5)
    terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n for i in range(k + 1)]
    top = max(terms)
    tail = math.exp(top) * sum(math.exp(t - top) for t in terms)
    return min(1.0, 2 * tail)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = RESAMPLES,
                     seed: int = SEED) -> tuple[float, float]:
    """A seeded bootstrap 95% interval of mean(b - a), resampling whole samples (pairs stay together)."""
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diff.size == 0:
        return 0.0, 0.0
    return percentile_interval(resampled_means(diff, resamples, seed))


def sign_flip(a: Sequence[float], b: Sequence[float], resamples: int = 5000, seed: int = SEED) -> float:
    """A two-sided sign-flip permutation p-value of mean(b - a) = 0: each pair's difference keeps or flips its sign
    at random. Exact (every pattern) up to 16 non-zero differences, else ``resamples`` seeded draws in blocks."""
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    diff = diff[diff != 0]
    if diff.size == 0:
        return 1.0
    observed = abs(diff.sum()) - 1e-9
    if diff.size <= 16:
        signs = ((np.arange(2 ** diff.size)[:, None] >> np.arange(diff.size)) & 1) * 2 - 1
        return float(np.mean(np.abs(signs @ diff) >= observed))
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, 1_000_000 // diff.size))
    extreme = 0
    for start in range(0, resamples, block):
        signs = rng.integers(0, 2, size=(min(block, resamples - start), diff.size), dtype=np.int8) * 2 - 1
        extreme += int(np.sum(np.abs(signs @ diff) >= observed))
    return (extreme + 1) / (resamples + 1)


def compare_paired(a: Sequence[float], b: Sequence[float], seed: int = SEED) -> dict:
    """Run A against run B on their shared samples (score lists in the same order): counts of both right / only A /
    only B / both wrong (a score of 1 is right), ``diff`` = mean(B) - mean(A) with its 95% interval, ``p_value``
    (McNemar exact for 0/1 scores, sign-flip permutation otherwise) and ``verdict``: improved (B better), regressed
    (B worse) or within noise (p >= 0.05)."""
    n = len(a)
    binary = is_binary(a) and is_binary(b)
    both = sum(1 for x, y in zip(a, b) if x == 1 and y == 1)
    only_a = sum(1 for x, y in zip(a, b) if x == 1 and y != 1)
    only_b = sum(1 for x, y in zip(a, b) if x != 1 and y == 1)
    diff = (sum(b) - sum(a)) / n if n else 0.0
    p_value = mcnemar_exact(only_a, only_b) if binary else sign_flip(a, b, seed=seed)
    low, high = paired_bootstrap(a, b, seed=seed)
    verdict = "within noise" if n == 0 or p_value >= ALPHA or diff == 0 else ("improved" if diff > 0 else "regressed")
    return {"n": n, "both_right": both, "only_a": only_a, "only_b": only_b, "both_wrong": n - both - only_a - only_b,
            "diff": round(diff, 6), "diff_ci": [round(low, 6), round(high, 6)], "p_value": round(p_value, 6),
            "test": "mcnemar_exact" if binary else "sign_flip", "verdict": verdict}
