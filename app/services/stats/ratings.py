"""Bradley–Terry strengths from pairwise outcomes (ties count half a win each way), with bootstrap intervals."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from app.services.stats.intervals import SEED, percentile_interval

#: One outcome: (first, second, result) with result 1 (first won), 0 (second won) or 0.5 (a tie).
Outcome = tuple[str, str, float]
SCALE, BASE = 400.0, 1000.0  # the Elo scale: a 400-point gap is 10:1 odds
PRIOR = 1.0


def _fit(players: list[str], outcomes: Sequence[Outcome], prior: float, iterations: int = 2000,
         tol: float = 1e-10) -> np.ndarray:
    """Hunter's (2004) MM iterations for the Bradley–Terry strengths, normalised to a geometric mean of 1. The
    ``prior`` (that many ties of every player against a virtual player of strength 1) keeps an unbeaten or a
    winless player finite; 0 gives the plain maximum-likelihood fit."""
    index = {p: i for i, p in enumerate(players)}
    k = len(players)
    wins = np.full(k, prior / 2)  # the prior ties' half wins
    games = np.zeros((k, k))
    for first, second, result in outcomes:
        i, j = index[first], index[second]
        wins[i] += result
        wins[j] += 1 - result
        games[i, j] += 1
        games[j, i] += 1
    strength = np.ones(k)
    for _ in range(iterations):
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1) + prior / (strength + 1)
        new = wins / denom
        new /= math.exp(np.log(new).mean())
        if np.max(np.abs(new - strength)) < tol:
            return new
        strength = new
    return strength


def bradley_terry(outcomes: Sequence[Outcome], prior: float = PRIOR) -> dict[str, float]:
    """Each player's rating on the Elo scale (1000 + 400·log10 strength): a 400-point gap means 10:1 odds."""
    players = sorted({p for o in outcomes for p in o[:2]})
    if not players:
        return {}
    strength = _fit(players, outcomes, prior)
    return {p: BASE + SCALE * math.log10(s) for p, s in zip(players, strength)}


def bradley_terry_intervals(outcomes: Sequence[Outcome], resamples: int = 200, seed: int = SEED,
                            prior: float = PRIOR) -> dict[str, dict]:
    """Ratings with 95% bootstrap intervals (outcomes resampled with replacement, seeded) and the count of games."""
    players = sorted({p for o in outcomes for p in o[:2]})
    if not players:
        return {}
    point = bradley_terry(outcomes, prior)
    rng = np.random.default_rng(seed)
    samples = np.empty((resamples, len(players)))
    for r in range(resamples):
        drawn = [outcomes[i] for i in rng.integers(0, len(outcomes), size=len(outcomes))]
        samples[r] = BASE + SCALE * np.log10(_fit(players, drawn, prior))
    games = {p: sum(1 for o in outcomes if p in o[:2]) for p in players}
    return {p: {"rating": point[p], "ci": list(percentile_interval(samples[:, i])), "games": games[p]}
            for i, p in enumerate(players)}
