"""Agreement between raters beyond chance: Cohen's kappa (two raters) and Fleiss' kappa (many)."""
from __future__ import annotations

from collections import Counter
from typing import Hashable, Sequence


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float:
    """Cohen's kappa of two raters' labels for the same items: (observed - chance) / (1 - chance)."""
    n = len(first)
    if n == 0 or n != len(second):
        raise ValueError("two label lists of the same, non-zero length are needed")
    observed = sum(1 for x, y in zip(first, second) if x == y) / n
    a, b = Counter(first), Counter(second)
    chance = sum(a[label] * b[label] for label in a) / (n * n)
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa of a table with one row per item and one column per category: how many raters put the item
    in that category (every row sums to the same number of raters)."""
    items = len(table)
    raters = sum(table[0]) if items else 0
    if items == 0 or raters < 2 or any(sum(row) != raters for row in table):
        raise ValueError("every item needs the same number (two or more) of ratings")
    per_item = [(sum(c * c for c in row) - raters) / (raters * (raters - 1)) for row in table]
    observed = sum(per_item) / items
    shares = [sum(row[j] for row in table) / (items * raters) for j in range(len(table[0]))]
    chance = sum(p * p for p in shares)
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)
