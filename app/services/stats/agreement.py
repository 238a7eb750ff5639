"""Agreement between two raters of the same items (a judge and a person, or two judges)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def agreement_rate(a: Sequence, b: Sequence) -> float | None:
    """The share of items both raters gave the same label (None for no items)."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    return sum(x == y for x, y in zip(a, b)) / len(a) if a else None


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's κ = (p_o − p_e) / (1 − p_e): observed agreement beyond what the raters' label frequencies give by
    chance. 1.0 when both always agree on a single label (p_e = 1); None for no items."""
    observed = agreement_rate(a, b)
    if observed is None:
        return None
    n = len(a)
    left, right = Counter(a), Counter(b)
    expected = sum(left[k] * right[k] for k in left) / (n * n)
    if expected == 1:
        return 1.0
    return (observed - expected) / (1 - expected)
