"""What a benchmark shows: per-level numbers, metric definitions, chart data, CSV / JSON exports, comparisons.

Units are evalscope's: latency in seconds; TTFT, TPOT and ITL in milliseconds; throughput per second.
"""
from __future__ import annotations

import io
import math
from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import PerfLevel, PerfRun
from app.services.cells import CsvWriter

PERCENTILES = ("50%", "90%", "95%", "99%")
#: Percentile series of evalscope's ``benchmark_percentile.json``: our key → (column, unit).
SERIES = {"latency": ("Latency (s)", "s"), "ttft": ("TTFT (ms)", "ms"), "tpot": ("TPOT (ms)", "ms"),
          "itl": ("ITL (ms)", "ms")}
#: Each metric's definition, shown beside its table and chart.
DEFINITIONS = {
    "throughput": _l("Throughput: successful requests per second of test time (req/s); output tok/s counts the "
                     "generated tokens, total tok/s adds the prompt tokens."),
    "latency": _l("Latency: from sending a request to receiving the last byte of its reply."),
    "ttft": _l("TTFT (time to first token): from sending a request to receiving the first token of its reply. "
               "Without streaming the first token arrives with the whole reply, so TTFT equals the latency."),
    "tpot": _l("TPOT (time per output token): (latency − TTFT) / (output tokens − 1), the average time each "
               "token after the first took, per request."),
    "itl": _l("ITL (inter-token latency): the time between two consecutive streamed chunks, over all gaps of "
              "all requests."),
}
#: Columns of the level tables, the CSV and the comparison: (key, label, unit, better).
COLUMNS = [
    ("concurrency", _l("Concurrency"), "", None), ("number", _l("Requests"), "", None),
    ("succeeded", _l("Succeeded"), "", "higher"), ("failed", _l("Failed"), "", "lower"),
    ("duration_s", _l("Duration"), "s", None),
    ("req_per_s", _l("Throughput"), "req/s", "higher"),
    ("output_tok_per_s", _l("Output throughput"), "tok/s", "higher"),
    ("total_tok_per_s", _l("Total throughput"), "tok/s", "higher"),
    ("avg_latency_s", _l("Avg latency"), "s", "lower"), ("p99_latency_s", _l("P99 latency"), "s", "lower"),
    ("avg_ttft_ms", _l("Avg TTFT"), "ms", "lower"), ("p99_ttft_ms", _l("P99 TTFT"), "ms", "lower"),
    ("avg_tpot_ms", _l("Avg TPOT"), "ms", "lower"), ("p99_tpot_ms", _l("P99 TPOT"), "ms", "lower"),
    ("avg_itl_ms", _l("Avg ITL"), "ms", "lower"),
    ("avg_input_tokens", _l("Avg input tokens"), "", None), ("avg_output_tokens", _l("Avg output tokens"), "", None),
]


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities (evalscope writes them for levels without successes) become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def percentile(level: PerfLevel, series: str, label: str) -> float | None:
    """One percentile (``"99%"``) of one series (``"ttft"``) of a level, from evalscope's table."""
    column = SERIES[series][0]
    for row in level.percentiles or []:
        if row.get("Percentiles") == label:
            value = row.get(column)
            return value if isinstance(value, (int, float)) and math.isfinite(value) else None
    return None


def level_json(level: PerfLevel) -> dict:
    data = {key: getattr(level, key) for key, *_ in COLUMNS}
    for series, (_column, unit) in SERIES.items():
        data[f"{series}_{unit}"] = {"avg": getattr(level, f"avg_{series}_{unit}"),
                                    **{p.rstrip("%"): percentile(level, series, p) for p in PERCENTILES}}
    data["metrics"], data["percentiles"] = level.metrics, level.percentiles
    return data


def run_json(run: PerfRun, levels: bool = True) -> dict:
    """The API view of a run (never the model's key)."""
    data = {
        "id": run.id, "status": run.status, "status_note": run.status_note, "error": run.error,
        "waiting": run.is_waiting, "model": {"id": run.endpoint_id, "name": run.endpoint_name},
        "params": {k: v for k, v in run.params.items() if k != "model"},
        "progress": {"done": run.progress_done, "total": run.progress_total, "percent": run.progress_percent},
        "peak_req_per_s": run.peak_req_per_s, "peak_output_tok_per_s": run.peak_output_tok_per_s,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if levels:
        data["levels"] = [level_json(level) for level in run.levels]
    return data


def chart_data(run: PerfRun) -> dict:
    """What static/js/perf.js draws: per level, throughput, latency and the TTFT / TPOT percentiles."""
    levels = list(run.levels)
    return {
        "id": run.id, "name": f"#{run.id} {run.endpoint_name}",
        "concurrency": [lvl.concurrency for lvl in levels],
        "req_per_s": [lvl.req_per_s for lvl in levels],
        "output_tok_per_s": [lvl.output_tok_per_s for lvl in levels],
        "p99_latency_s": [lvl.p99_latency_s for lvl in levels],
        "avg_latency_s": [lvl.avg_latency_s for lvl in levels],
        "ttft_ms": {p: [percentile(lvl, "ttft", p) for lvl in levels] for p in PERCENTILES},
        "tpot_ms": {p: [percentile(lvl, "tpot", p) for lvl in levels] for p in PERCENTILES},
    }


def csv_text(run: PerfRun) -> str:
    """One line per level: the columns of the tables plus p50/p90/p95/p99 of latency, TTFT, TPOT and ITL (each
    column once: the tables already hold the p99 of latency, TTFT and TPOT)."""
    out = io.StringIO()
    writer = CsvWriter(out, lineterminator="\n")
    keys = [key for key, *_ in COLUMNS]
    extra = [(series, p) for series in SERIES for p in PERCENTILES if _percentile_key(series, p) not in keys]
    writer.writerow(["run_id", "model"] + keys + [_percentile_key(series, p) for series, p in extra])
    for level in run.levels:
        writer.writerow([run.id, run.endpoint_name] + [getattr(level, key) for key, *_ in COLUMNS]
                        + [percentile(level, series, p) for series, p in extra])
    return out.getvalue()


def _percentile_key(series: str, label: str) -> str:
    """``("ttft", "99%")`` → ``p99_ttft_ms``."""
    return f"p{label.rstrip('%')}_{series}_{SERIES[series][1]}"


def compare(a: PerfRun, b: PerfRun) -> list[dict]:
    """Rows of a side-by-side comparison, one per concurrency level of either run: both levels and, per column,
    the change from ``a`` to ``b`` in percent with whether it is better."""
    by_a = {lvl.concurrency: lvl for lvl in a.levels}
    by_b = {lvl.concurrency: lvl for lvl in b.levels}
    rows = []
    for concurrency in sorted(set(by_a) | set(by_b)):
        la, lb = by_a.get(concurrency), by_b.get(concurrency)
        cells = []
        for key, label, unit, better in COLUMNS[2:]:
            va = getattr(la, key) if la else None
            vb = getattr(lb, key) if lb else None
            change = None
            if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va:
                change = 100.0 * (vb - va) / abs(va)
            verdict = None
            if change is not None and better and abs(change) >= 0.5:
                verdict = "better" if (change > 0) == (better == "higher") else "worse"
            cells.append({"key": key, "label": label, "unit": unit, "a": va, "b": vb, "change": change,
                          "verdict": verdict})
        rows.append({"concurrency": concurrency, "cells": cells})
    return rows
