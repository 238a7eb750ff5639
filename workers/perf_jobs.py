"""Benchmark jobs (queue ``perf``): one evalscope perf run, holding its endpoint whole (see workers/runner.py)."""
from __future__ import annotations

from app.engines.evalscope_perf import EvalscopePerfEngine
from app.models import PerfRun
from workers.runner import execute


def run_perf(run_id: int) -> str:
    """Run the benchmark ``PerfRun(run_id)``."""
    return execute(PerfRun, run_id, EvalscopePerfEngine())
