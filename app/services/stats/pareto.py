"""The Pareto front of models scored on two figures (quality and speed): the ones no other model beats on both."""
from __future__ import annotations

from typing import Sequence


def pareto_front(points: Sequence[tuple[float, float]], higher_x: bool = True,
                 higher_y: bool = True) -> list[int]:
    """Indices of the points on the Pareto front, in order of ``x`` from best to worst. A point is on it when no
    other point is at least as good on both figures and better on one (equal points are both on it). ``higher_x``
    / ``higher_y`` say which way is better (p99 TTFT: lower; tokens/s and accuracy: higher)."""
    sx, sy = (1 if higher_x else -1), (1 if higher_y else -1)
    keyed = [(sx * x, sy * y) for x, y in points]

    def dominated(i: int) -> bool:
        xi, yi = keyed[i]
        return any(xj >= xi and yj >= yi and (xj > xi or yj > yi) for xj, yj in keyed)

    return sorted((i for i in range(len(keyed)) if not dominated(i)), key=lambda i: (-keyed[i][0], -keyed[i][1]))
