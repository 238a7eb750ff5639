"""Run one EvalHub benchmark with evalscope perf: ``python evalscope_perf.py <config.json>``.

Standalone on purpose (it never imports the ``app`` package): evalscope reconfigures logging, installs uvloop and
signal handlers, so it runs in a process of its own. ``config.json`` holds ``arguments`` for
``evalscope.perf.arguments.Arguments``; the model's API key arrives in the environment variable named by
``api_key_env``, never in a file. The outcome goes to ``driver_result.json`` beside the config:
``{"ok": true, "levels": [...]}`` or ``{"ok": false, "error": "..."}``; the results themselves are evalscope's own
files (``benchmark_summary.json`` and ``benchmark_percentile.json`` per level).
"""
from __future__ import annotations

import gc
import json
import os
import sys
import traceback

from lifeline import exit_with_parent  # this script's own directory
from no_redirects import refuse_redirects


def _write(path: str, data: dict) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(path + ".tmp", path)


def main(config_path: str) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]  # nothing here shadows evalscope
    with open(config_path, encoding="utf-8") as fh:
        config = json.load(fh)
    result_path = os.path.join(os.path.dirname(os.path.abspath(config_path)), "driver_result.json")
    arguments = dict(config["arguments"])
    api_key = os.environ.pop(config.get("api_key_env") or "EVALHUB_PERF_API_KEY", "")
    if api_key:
        arguments["api_key"] = api_key
    exit_with_parent()
    refuse_redirects()  # a model's 3xx never leads the engine elsewhere
    try:
        from evalscope.perf.arguments import Arguments
        from evalscope.perf.main import run_perf_benchmark

        # evalscope's imports leave ~200,000 objects; a full garbage collection of them (~100 ms) in the middle of
        # a level stalls every request in flight (measured: p99 latency +15 % at concurrency 4). Collect once now
        # and keep them out of later collections (bench/README.md, "Benchmarks (perf)").
        gc.collect()
        gc.freeze()
        results = run_perf_benchmark(Arguments(**arguments))
    except BaseException as exc:  # noqa: BLE001 - SIGTERM arrives as evalscope's PerfBenchmarkInterrupted
        traceback.print_exc()
        _write(result_path, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
        return 1
    _write(result_path, {"ok": True, "levels": sorted(results or {})})
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python evalscope_perf.py <config.json>")
    sys.exit(main(sys.argv[1]))
