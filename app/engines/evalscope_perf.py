"""evalscope perf as the benchmark engine: prompts file + config → evalscope in a subprocess → one PerfLevel per level.

Work directory of a run::

    prompts.txt              one prompt per line (evalscope's ``line_by_line``; a prompt with line breaks, or one
                             that would parse as JSON, is written as a JSON messages list)
    config.json              what the driver runs (no secrets: the key travels in the environment)
    engine.log               the driver's output (evalscope's log)
    driver_result.json       the driver's outcome
    evalscope/perf/          evalscope's outputs: progress.json, and per level parallel_<c>_number_<n>/ with
                             benchmark_summary.json and benchmark_percentile.json

Before starting, one test request checks that the model answers (evalscope's own connection test retries until its
total timeout, so it is switched off): an unreachable model fails in seconds, with the cause in plain words.
"""
from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.engines.base import Launch, Outcome
from app.extensions import db
from app.models import Dataset, ModelEndpoint, PerfLevel
from app.models.types import utcnow
from app.services import endpoint_client, runs
from app.services.datasets import iter_rows
from app.services.outbound import OutboundRefused
from app.services.perf_report import clean

DRIVER = Path(__file__).parent / "drivers" / "evalscope_perf.py"
OUTPUTS, NAME = "evalscope", "perf"
API_KEY_ENV = "EVALHUB_PERF_API_KEY"
NEEDED = ("evalscope", "aiohttp", "fastapi", "uvicorn", "sse_starlette")  # what evalscope perf imports at load
#: Settings of the web app and workers that the engine process has no business seeing.
WORDS = ("time year people way day man thing woman life child world school state family student group country "
         "problem hand part place case week company system program question work government number night point "
         "home water room mother area money story fact month lot right study book eye job word business issue "
         "side kind head house service friend father power hour game line end member law car city community name "
         "president team minute idea kid body information back parent face others level office door health "
         "person art war history party result change morning reason research girl guy moment air teacher force "
         "education river garden window light music paper table energy market model reply answer").split()


class EngineError(RuntimeError):
    """The benchmark cannot start; the message says why in plain words."""


class EndpointUnreachable(EngineError):
    """The model did not answer the test request made before the benchmark."""


def _python() -> str:
    return current_app.config.get("EVALSCOPE_PYTHON") or sys.executable


def synthetic_prompt(rng: random.Random, words: int, index: int) -> str:
    """``words`` words of filler; the index first, so no two prompts share a prefix a server could cache."""
    return " ".join([f"#{index}"] + [rng.choice(WORDS) for _ in range(max(0, words - 1))])


def _line(prompt: str) -> str:
    text = prompt.strip()
    if "\n" in text or "\r" in text or text[:1] in "[{":
        return json.dumps([{"role": "user", "content": text}], ensure_ascii=False)
    return text


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class EvalscopePerfEngine:
    name = "evalscope perf"

    def available(self) -> tuple[bool, str]:
        python = _python()
        if not Path(python).exists():
            return False, f"EVALHUB_EVALSCOPE_PYTHON points at {python}, which does not exist."
        probe = f"import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in {NEEDED!r}) else 3)"
        try:
            found = subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            found = False
        if not found:
            return False, (f"evalscope perf is not installed for {python}: "
                           "pip install 'evalscope[perf]==1.14.1'.")
        return True, ""

    # -- prepare -------------------------------------------------------------------------------------------------
    def prepare(self, run, work_dir: Path, resume: bool) -> Launch:
        endpoint = db.session.get(ModelEndpoint, run.endpoint_id) if run.endpoint_id else None
        if endpoint is None or endpoint.deleted_at is not None:
            raise EngineError("The model of this benchmark was deleted.")
        self._test_request(run, endpoint)
        shutil.rmtree(work_dir / OUTPUTS, ignore_errors=True)  # evalscope refuses a directory it already used
        (work_dir / "driver_result.json").unlink(missing_ok=True)
        prompts = work_dir / "prompts.txt"
        count = self._write_prompts(run, prompts)
        runs.append_log(run, [f"[evalhub] {count} prompts written; starting evalscope perf"])
        config = {"arguments": self._arguments(run, endpoint, work_dir, prompts), "api_key_env": API_KEY_ENV}
        (work_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
        run.heartbeat_at = utcnow()  # the test request may have taken a while
        db.session.commit()
        env = {"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", API_KEY_ENV: endpoint_client.api_key_of(endpoint) or ""}
        return Launch(argv=[_python(), str(DRIVER), str(work_dir / "config.json")], env=env, log_file="engine.log")

    def _test_request(self, run, endpoint: ModelEndpoint) -> None:
        """One short chat completion, so an unreachable model fails now, with its cause in plain words."""
        timeout = float(current_app.config.get("PERF_CONNECT_TIMEOUT", 10))
        runs.append_log(run, [f"[evalhub] test request to {endpoint.base_url} (model {endpoint.model_name})"])
        started = time.monotonic()
        try:
            client = endpoint_client.client_for(endpoint, timeout=timeout, max_retries=1)
            client.chat.completions.create(**endpoint_client.chat_kwargs(
                endpoint, [{"role": "user", "content": "hello"}], max_tokens=1,
                temperature=run.params.get("temperature")))
        except OutboundRefused as exc:
            raise EndpointUnreachable(f"The model's URL may not be called: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - every failure is explained
            raise EndpointUnreachable("The model did not answer a test request, so the benchmark did not start: "
                                      + endpoint_client.explain(exc)) from None
        runs.append_log(run, [f"[evalhub] the model answered in {1000 * (time.monotonic() - started):.0f} ms"])

    def _write_prompts(self, run, path: Path) -> int:
        """One prompt per line; as many as the largest level sends (evalscope cycles through them)."""
        params, count = run.params, max(run.params["number"])
        written = 0
        with open(path, "w", encoding="utf-8") as fh:
            if params["prompt_source"] == "dataset":
                dataset = db.session.get(Dataset, params["dataset_id"])
                if dataset is None:
                    raise EngineError("The dataset of this benchmark no longer exists.")
                for row in iter_rows(dataset, params["dataset_version"]):
                    question = str(row.get("question") or "").strip()
                    if question:
                        fh.write(_line(question) + "\n")
                        written += 1
                        if written >= count:
                            break
                if not written:
                    raise EngineError(f"The dataset {dataset.name} has no questions to send.")
            else:
                rng = random.Random(run.id)
                for index in range(count):
                    fh.write(synthetic_prompt(rng, params["prompt_length"], index) + "\n")
                    written += 1
        return written

    def _arguments(self, run, endpoint: ModelEndpoint, work_dir: Path, prompts: Path) -> dict:
        params = run.params
        arguments = {
            "model": endpoint.model_name, "url": endpoint.base_url.rstrip("/") + "/chat/completions",
            "api": "openai", "parallel": params["concurrency"], "number": params["number"],
            "rate": params["rate"] or -1, "max_tokens": params["max_tokens"], "stream": params["stream"],
            "temperature": params["temperature"], "dataset": "line_by_line", "dataset_path": str(prompts),
            "outputs_dir": str(work_dir / OUTPUTS), "name": NAME, "no_timestamp": True,
            "enable_progress_tracker": True, "total_timeout": params["timeout_seconds"],
            "connect_timeout": int(current_app.config.get("PERF_CONNECT_TIMEOUT", 10)),
            "sleep_interval": params["sleep_interval"], "no_test_connection": True,
        }
        if endpoint.top_p is not None:
            arguments["top_p"] = endpoint.top_p
        if endpoint.extra_body:
            arguments["extra_args"] = endpoint.extra_body
        return arguments

    # -- progress and results ------------------------------------------------------------------------------------
    def progress(self, run, work_dir: Path) -> tuple[int, int]:
        state = _load(work_dir / OUTPUTS / NAME / "progress.json") or {}
        done, total = state.get("processed_count"), state.get("total_count")
        if not isinstance(done, int) or not isinstance(total, int):
            return run.progress_done or 0, run.progress_total or 0
        return done, total

    def collect(self, run, work_dir: Path, returncode: int | None, cancelled: bool) -> Outcome:
        base = work_dir / OUTPUTS / NAME
        db.session.execute(sa.delete(PerfLevel).where(PerfLevel.run_id == run.id))
        levels, missing = [], []
        for position, (concurrency, number) in enumerate(zip(run.params["concurrency"], run.params["number"])):
            folder = base / f"parallel_{concurrency}_number_{number}"
            summary = _load(folder / "benchmark_summary.json")
            if not isinstance(summary, dict):
                missing.append(concurrency)
                continue
            level = level_from(run.id, position, concurrency, number, summary,
                               _load(folder / "benchmark_percentile.json") or [])
            db.session.add(level)
            levels.append(level)
        run.peak_req_per_s = max((lv.req_per_s for lv in levels if lv.req_per_s), default=None)
        run.peak_output_tok_per_s = max((lv.output_tok_per_s for lv in levels if lv.output_tok_per_s), default=None)
        db.session.commit()
        if cancelled:
            note = f"Cancelled; the {len(levels)} finished level(s) are kept." if levels else "Cancelled."
            if missing:
                note += (f" evalscope writes no summary for a level it is stopped in, so concurrency {missing[0]}"
                         " has no results.")
            return Outcome(ok=False, note=note)
        if missing:
            result = _load(work_dir / "driver_result.json") or {}
            why = result.get("error") or f"evalscope stopped (exit code {returncode}); see the log"
            return Outcome(ok=False, error=f"No results for concurrency {', '.join(map(str, missing))}: {why}")
        total = sum(lv.total_requests for lv in levels)
        succeeded = sum(lv.succeeded for lv in levels)
        if total and not succeeded:
            return Outcome(ok=False, error=(
                f"All {total} requests failed. The model answered the test request before the run, so it failed "
                "under load (overloaded, rate limited or out of capacity): its own logs say why."))
        return Outcome(ok=True, note=f"{total - succeeded} of {total} requests failed." if total > succeeded else None)


def _positive(value) -> float | None:
    """evalscope writes -1 (or -1000 ms) where a level had no successful request: no value."""
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0 else None


def _percentile(rows: list, column: str, label: str) -> float | None:
    for row in rows:
        if isinstance(row, dict) and row.get("Percentiles") == label:
            return _positive(row.get(column))
    return None


def level_from(run_id: int, position: int, concurrency: int, number: int, summary: dict, rows: list) -> PerfLevel:
    """A ``PerfLevel`` from evalscope's summary and percentile files of one level."""
    summary, rows = clean(summary), clean(rows if isinstance(rows, list) else [])
    return PerfLevel(
        run_id=run_id, position=position, concurrency=concurrency, number=number,
        duration_s=_positive(summary.get("Test Duration (s)")),
        total_requests=int(summary.get("Total Requests") or 0), succeeded=int(summary.get("Success Requests") or 0),
        failed=int(summary.get("Failed Requests") or 0),
        req_per_s=_positive(summary.get("Req Throughput (req/s)")),
        output_tok_per_s=_positive(summary.get("Output Throughput (tok/s)")),
        total_tok_per_s=_positive(summary.get("Total Throughput (tok/s)")),
        avg_latency_s=_positive(summary.get("Avg Latency (s)")), avg_ttft_ms=_positive(summary.get("Avg TTFT (ms)")),
        avg_tpot_ms=_positive(summary.get("Avg TPOT (ms)")), avg_itl_ms=_positive(summary.get("Avg ITL (ms)")),
        avg_input_tokens=_positive(summary.get("Avg Input Tokens")),
        avg_output_tokens=_positive(summary.get("Avg Output Tokens")),
        p50_latency_s=_percentile(rows, "Latency (s)", "50%"), p99_latency_s=_percentile(rows, "Latency (s)", "99%"),
        p50_ttft_ms=_percentile(rows, "TTFT (ms)", "50%"), p99_ttft_ms=_percentile(rows, "TTFT (ms)", "99%"),
        p50_tpot_ms=_percentile(rows, "TPOT (ms)", "50%"), p99_tpot_ms=_percentile(rows, "TPOT (ms)", "99%"),
        metrics=summary, percentiles=rows)
