"""The leaderboard's quality × speed chart: each model's score (with its interval) against a speed figure from its
latest succeeded benchmark (of the same server and model, one the user ran), the Pareto front of the two, and the
models without such a figure listed beside it. The chart is drawn on the server (an SVG: ``geometry``)."""
from __future__ import annotations

import math
from collections import Counter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ModelEndpoint, PerfRun, User
from app.services import ownership, stats
from app.services.scheduler import endpoint_key

#: metric → (PerfLevel column, higher is better, label)
METRICS = {"p99_ttft": ("p99_ttft_ms", False, _l("p99 TTFT (ms), lower is better")),
           "output_tps": ("output_tok_per_s", True, _l("Output tokens/s, higher is better"))}
DEFAULT_METRIC = "p99_ttft"
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 340, 52, 24, 16, 46


def parse(metric: str | None, concurrency: str | None) -> tuple[str, int | None]:
    """The chart's metric and concurrency from the query string; ``ValueError`` when one is not valid."""
    metric = metric or DEFAULT_METRIC
    if metric not in METRICS:
        raise ValueError(f"speed must be one of: {', '.join(METRICS)}")
    if not concurrency:
        return metric, None
    if not concurrency.isdigit() or int(concurrency) < 1:
        raise ValueError("concurrency must be a whole number of at least 1")
    return metric, int(concurrency)


def latest_benchmarks(user: User, endpoints: dict[int, ModelEndpoint]) -> dict[int, PerfRun]:
    """Per endpoint id: the latest succeeded benchmark ``user`` ran of its server and model, if any."""
    keys = {endpoint_key(e.base_url, e.model_name): e.id for e in endpoints.values()}
    if not keys:
        return {}
    found: dict[int, PerfRun] = {}
    query = (sa.select(PerfRun).where(ownership.visible_filter(PerfRun, user), PerfRun.status == "succeeded",
                                      PerfRun.target_key.in_(keys))
             .order_by(PerfRun.finished_at.desc(), PerfRun.id.desc()))
    for run in db.session.scalars(query):
        found.setdefault(keys[run.target_key], run)
    return found


def _level(bench: PerfRun | None, concurrency: int | None):
    return next((lv for lv in bench.levels if lv.concurrency == concurrency), None) if bench else None


def speeds(rows: list[dict], benchmarks: dict[int, PerfRun], metric: str, concurrency: int | None) -> dict:
    """Set each leaderboard row's ``speed`` (``{"metric", "concurrency", "value", "perf_run_id"}`` or None) and
    return the chart: the concurrency levels to pick from, the one used (by default the level most models'
    benchmarks have, the lowest of equals), the points, the Pareto front and the models left out (with why)."""
    column, higher, label = METRICS[metric]
    levels = Counter(lv.concurrency for bench in benchmarks.values() for lv in bench.levels)
    if concurrency is None and levels:
        concurrency = min(levels, key=lambda c: (-levels[c], c))
    points, missing = [], []
    for row in rows:
        bench = benchmarks.get(row.get("endpoint_id"))
        level = _level(bench, concurrency)
        value = getattr(level, column) if level is not None else None
        row["speed"] = None if value is None else {"metric": column, "concurrency": concurrency, "value": value,
                                                   "perf_run_id": bench.id}
        if value is not None:
            points.append(row)
        else:
            missing.append({"model": row["model"], "reason": str(
                _l("no succeeded benchmark of this model") if bench is None
                else _l("its latest benchmark (#%(id)d) has no figure at concurrency %(c)s", id=bench.id,
                        c=concurrency))})
    front = stats.pareto_front([(r["speed"]["value"], r["score"]) for r in points], higher_x=higher)
    for i, row in enumerate(points):
        row["speed"]["pareto"] = i in front
    return {"metric": metric, "metrics": list(METRICS), "label": str(label), "higher_is_better": higher,
            "concurrency": concurrency, "concurrencies": sorted(levels),
            "points": [{"model": r["model"], "run_id": r["run_id"], "score": r["score"], "ci": r["ci"],
                        "value": r["speed"]["value"], "pareto": r["speed"]["pareto"]} for r in points],
            "front": [points[i]["run_id"] for i in front], "missing": missing}


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _ticks(low: float, high: float) -> list[float]:
    step = _nice_step(high - low)
    start = math.ceil(low / step - 1e-9) * step
    return [round(start + i * step, 10) for i in range(int((high - start) / step + 1e-9) + 1)]


def geometry(chart: dict) -> dict | None:
    """Pixel positions of the chart's points, error bars, axes and front line in a WIDTH × HEIGHT view box; None
    without points."""
    points = chart["points"]
    if not points:
        return None
    x_high = max(p["value"] for p in points) * 1.1 or 1.0
    x_ticks = _ticks(0.0, x_high)
    x_high = max(x_high, x_ticks[-1])
    y_low = max(0.0, math.floor(min(p["ci"][0] for p in points) * 10) / 10)
    y_high = min(1.0, math.ceil(max(p["ci"][1] for p in points) * 10) / 10)
    if y_high - y_low < 0.1:
        y_low, y_high = max(0.0, y_high - 0.1), max(y_high, 0.1)
    y_ticks = _ticks(y_low, y_high)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + plot_w * x / x_high, 1)

    def py(y: float) -> float:
        return round(TOP + plot_h * (1 - (y - y_low) / (y_high - y_low)), 1)

    drawn = [dict(p, x=px(p["value"]), y=py(p["score"]), y_low=py(p["ci"][0]), y_high=py(p["ci"][1]),
                  end=p["value"] > x_high * 0.6)  # a label right of the point, or left of it near the right edge
             for p in points]
    by_run = {p["run_id"]: p for p in drawn}
    front = sorted((by_run[i] for i in chart["front"]), key=lambda p: p["x"])
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "bottom": HEIGHT - BOTTOM, "points": drawn, "front": " ".join(f"{p['x']},{p['y']}" for p in front),
            "x_ticks": [(px(t), t) for t in x_ticks if t <= x_high], "y_ticks": [(py(t), t) for t in y_ticks]}
