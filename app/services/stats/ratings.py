"""Bradley–Terry strengths from pairwise outcomes (ties count half a win each way), with bootstrap intervals.

A percentile bootstrap alone collapses on a handful of votes (one vote resampled is always the same vote: an
interval of one point, and two models ranked apart on a single vote). Each interval is therefore the wider of the
bootstrap's and the normal approximation's from the fit's Fisher information, which stays wide until votes pile up.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from app.services.stats.intervals import SEED, percentile_interval

#: One outcome: (first, second, result) with result 1 (first won), 0 (second won) or 0.5 (a tie).
Outcome = tuple[str, str, float]
SCALE, BASE = 400.0, 1000.0  # the Elo scale: a 400-point gap is 10:1 odds
PRIOR = 1.0


def _tally(k: int, first: np.ndarray, second: np.ndarray, result: np.ndarray, prior: float):
    """Each player's wins (the prior ties' half wins included) and the games between each pair, from index arrays."""
    wins = np.full(k, prior / 2) + np.bincount(first, result, k) + np.bincount(second, 1 - result, k)
    games = np.zeros((k, k))
    np.add.at(games, (first, second), 1)
    return wins, games + games.T


def _fit(k: int, wins: np.ndarray, games: np.ndarray, prior: float, iterations: int = 2000,
         tol: float = 1e-10) -> np.ndarray:
    """Hunter's (2004) MM iterations for the Bradley–Terry strengths of ``k`` players, normalised to a geometric
    mean of 1. The ``prior`` (that many ties of every player against a virtual player of strength 1) keeps an
    unbeaten or a winless player finite; 0 gives the plain maximum-likelihood fit."""
    strength = np.ones(k)
    for _ in range(iterations):
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1) + prior / (strength + 1)
        new = wins / denom
        new /= math.exp(np.log(new).mean())
        if np.max(np.abs(new - strength)) < tol:
            return new
        strength = new
    return strength


def _arrays(players: list, outcomes: Sequence[Outcome]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = {p: i for i, p in enumerate(players)}
    return (np.array([index[o[0]] for o in outcomes], dtype=int), np.array([index[o[1]] for o in outcomes], dtype=int),
            np.array([o[2] for o in outcomes], dtype=float))


def _normal_halfwidths(strength: np.ndarray, games: np.ndarray, prior: float) -> np.ndarray:
    """95% half-widths on the Elo scale from the inverse Fisher information of the centred log-strengths (the prior's
    games against the virtual player of strength 1 included)."""
    p = strength[:, None] / (strength[:, None] + strength[None, :])
    info = -games * p * p.T
    virtual = strength / (strength + 1)
    np.fill_diagonal(info, (games * p * p.T).sum(axis=1) + prior * virtual * (1 - virtual))
    centre = np.eye(len(strength)) - 1.0 / len(strength)  # the ratings are centred (geometric mean 1): only
    variance = np.diag(centre @ np.linalg.pinv(centre @ info @ centre) @ centre)  # differences carry information
    return 1.959964 * np.sqrt(np.maximum(variance, 0)) * SCALE / math.log(10)


def unit_indices(groups: Sequence) -> list[np.ndarray]:
    """The outcomes' indices per unit of resampling, units in order of first appearance."""
    units: dict = {}
    for i, g in enumerate(groups):
        units.setdefault(g, []).append(i)
    return [np.array(v, dtype=int) for v in units.values()]


def bradley_terry(outcomes: Sequence[Outcome], prior: float = PRIOR) -> dict[str, float]:
    """Each player's rating on the Elo scale (1000 + 400·log10 strength): a 400-point gap means 10:1 odds."""
    players = sorted({p for o in outcomes for p in o[:2]})
    if not players:
        return {}
    first, second, result = _arrays(players, outcomes)
    strength = _fit(len(players), *_tally(len(players), first, second, result, prior), prior)
    return {p: BASE + SCALE * math.log10(s) for p, s in zip(players, strength)}


def bradley_terry_intervals(outcomes: Sequence[Outcome], resamples: int = 200, seed: int = SEED,
                            prior: float = PRIOR, groups: Sequence | None = None) -> dict[str, dict]:
    """Ratings with 95% intervals (the wider of a seeded bootstrap and the normal approximation: see the module's
    note) and the count of games. ``groups`` gives each outcome's unit of resampling (a three-way vote is two or three
    outcomes that stand or fall together); by default each outcome is its own."""
    players = sorted({p for o in outcomes for p in o[:2]})
    if not players:
        return {}
    point = bradley_terry(outcomes, prior)
    k, (first, second, result) = len(players), _arrays(players, outcomes)
    wins, pairs = _tally(k, first, second, result, prior)
    half = _normal_halfwidths(_fit(k, wins, pairs, prior), pairs, prior)
    units = unit_indices(groups if groups is not None else range(len(outcomes)))
    rng = np.random.default_rng(seed)
    samples = np.empty((resamples, k))
    for r in range(resamples):
        drawn = np.concatenate([units[u] for u in rng.integers(0, len(units), size=len(units))])
        samples[r] = BASE + SCALE * np.log10(_fit(k, *_tally(k, first[drawn], second[drawn], result[drawn], prior),
                                                  prior))
    games = {p: sum(1 for o in outcomes if p in o[:2]) for p in players}
    out = {}
    for i, p in enumerate(players):
        low, high = percentile_interval(samples[:, i])
        out[p] = {"rating": point[p], "ci": [min(low, point[p] - half[i]), max(high, point[p] + half[i])],
                  "games": games[p]}
    return out
