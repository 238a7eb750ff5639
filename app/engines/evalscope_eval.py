"""evalscope as the accuracy engine: pinned dataset rows → evalscope's local formats → per-sample results.

Work directory of a run::

    config.json            what the driver runs (no secrets: keys travel in the environment)
    manifest.json          for every evalscope subset: the dataset, subset and rows it holds, in order
    mcq/data/<s>_val.csv   general_mcq input      qa/data/<s>.jsonl   general_qa input
    mcq_multi/data/<s>_val.jsonl   general_mcq input of multiple-answer subsets (their own task and prompt)
    mcq/out/, mcq_multi/out/, qa/out/   evalscope's own outputs (predictions/, reviews/, reports/, logs/)
"""
from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path

from flask import current_app

from app.engines.base import Launch, Outcome
from app.engines.eval_inputs import (engine_subset_name, first_answer, last_error, manifest_entry, mcq_letters,
                                     pinned_subsets, qa_question, read_json)
from app.engines.evalscope_results import collect_samples, task_of
from app.extensions import db
from app.models import ModelEndpoint
from app.services.datasets.formats import answer_letters
from app.services.endpoint_client import api_key_of

DRIVER = Path(__file__).parent / "drivers" / "evalscope_eval.py"
BENCHMARK = {"mcq": "general_mcq", "mcq_multi": "general_mcq", "qa": "general_qa"}
TASKS = ("mcq", "mcq_multi", "qa")  # one evalscope task each, in its own directory
CJK = re.compile(r"[\u4e00-\u9fff]")


def _python() -> str:
    return current_app.config.get("EVALSCOPE_PYTHON") or sys.executable


class EvalscopeEvalEngine:
    name = "evalscope"

    def available(self) -> tuple[bool, str]:
        if _python() == sys.executable and importlib.util.find_spec("evalscope") is None:
            return False, "evalscope is not installed in this environment: pip install 'evalscope[perf]==1.14.1'."
        if not Path(_python()).exists():
            return False, f"EVALHUB_EVALSCOPE_PYTHON points at {_python()}, which does not exist."
        return True, ""

    @staticmethod
    def version() -> str | None:
        try:
            return importlib.metadata.version("evalscope")
        except importlib.metadata.PackageNotFoundError:
            return None

    @staticmethod
    def unsupported(params: dict) -> dict[str, str]:
        """Form errors for what this engine cannot do: none."""
        return {}

    # -- prepare -------------------------------------------------------------------------------------------
    def prepare(self, run, work_dir: Path, resume: bool) -> Launch:
        manifest_path = work_dir / "manifest.json"
        if resume and manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())  # the same files, so evalscope's cache matches
        else:
            manifest = self._export(run, work_dir)
            manifest_path.write_text(json.dumps(manifest, ensure_ascii=False))
        config = self._config(run, work_dir, manifest)
        (work_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
        env = {"EVALSCOPE_DISABLE_UVLOOP": "1", "PYTHONUNBUFFERED": "1", "TQDM_MININTERVAL": "5"}
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        env["EVALHUB_MODEL_API_KEY"] = api_key_of(model) or "EMPTY"
        if run.judge_endpoint_id:
            env["EVALHUB_JUDGE_API_KEY"] = api_key_of(db.session.get(ModelEndpoint, run.judge_endpoint_id)) or "EMPTY"
        return Launch(argv=[_python(), str(DRIVER), str(work_dir / "config.json")], env=env)

    def _export(self, run, work_dir: Path) -> dict:
        """Write each pinned subset as evalscope input; returns the manifest. MCQ subsets with a row of several
        right options go to a task of their own (``mcq_multi``: evalscope's multiple-answer prompt, answers as
        lists); the others keep the single-answer prompt, whatever the other datasets of the run hold."""
        subsets: list[dict] = []
        for position, (index, sel, dataset, subset, records) in enumerate(pinned_subsets(run)):
            name = engine_subset_name(index, position, subset)
            entry = manifest_entry(dataset.format, name, dataset, sel, subset, records)
            entry["task"] = "mcq_multi" if entry.get("multiple") else dataset.format
            data_dir = work_dir / entry["task"] / "data"
            data_dir.mkdir(parents=True, exist_ok=True)
            if dataset.format == "mcq":  # scored by EvalHub's answer rule unless given to the judge model
                entry["judged"] = bool(run.params.get("judge_mcq") and run.judge_endpoint_id)
                self._write_mcq(data_dir, name, records, entry["multiple"])
            else:
                self._write_qa(data_dir / f"{name}.jsonl", records)
            subsets.append(entry)
        return {"subsets": subsets}

    @staticmethod
    def _write_mcq(data_dir: Path, name: str, records: list[dict], multiple: bool) -> None:
        """``<name>_val.csv`` (one right letter), or ``<name>_val.jsonl`` with the list of right letters."""
        letters = mcq_letters(records)
        if multiple:
            with open(data_dir / f"{name}_val.jsonl", "w", encoding="utf-8") as fh:
                for i, r in enumerate(records):
                    row = {"id": i, "question": r["question"], **{k: r.get(k) or "" for k in letters},
                           "answer": list(answer_letters(r["answer"]) or [])}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        with open(data_dir / f"{name}_val.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "question", *letters, "answer"])
            for i, r in enumerate(records):
                writer.writerow([i, r["question"], *[r.get(k) or "" for k in letters], first_answer(r)])

    @staticmethod
    def _write_qa(path: Path, records: list[dict]) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for r in records:
                row = {"question": qa_question(r), "answer": str(r["answer"])}
                if r.get("system"):
                    row["system"] = r["system"]
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _config(self, run, work_dir: Path, manifest: dict) -> dict:
        p = run.params
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        gen = {"temperature": p.get("temperature", 0.0), "max_tokens": p.get("max_tokens", 1024),
               "stream": False, "timeout": p.get("request_timeout", 120), "retries": 2, "retry_interval": 2}
        if p.get("top_p") is not None:
            gen["top_p"] = p["top_p"]
        tasks = []
        for task in TASKS:
            mine = [s for s in manifest["subsets"] if task_of(s) == task]
            if not mine:
                continue
            text = " ".join(r["question"] for s in mine for r in s["rows"][:20])
            judged = task == "qa" or (p.get("judge_mcq") and run.judge_endpoint_id)
            tasks.append({"benchmark": BENCHMARK[task], "subsets": [s["eval_subset"] for s in mine],
                          "data_dir": str(work_dir / task / "data"), "work_dir": str(work_dir / task / "out"),
                          "strategy": "llm" if judged else "rule", "language": "zh" if CJK.search(text) else "en",
                          "multiple_correct": task == "mcq_multi"})
        config = {"model": {"model": model.model_name, "api_url": model.base_url, "generation_config": gen},
                  "concurrency": p.get("concurrency", 4), "tasks": tasks}
        if run.judge_endpoint_id:
            judge = db.session.get(ModelEndpoint, run.judge_endpoint_id)
            config["judge"] = {"model": judge.model_name, "api_url": judge.base_url,
                               "prompt_template": p.get("judge_prompt"),
                               "generation_config": {"temperature": 0.0, "max_tokens": 1024, "timeout": 120}}
        return config

    # -- progress and results ------------------------------------------------------------------------------
    def progress(self, run, work_dir: Path) -> tuple[int, int]:
        done = total = 0
        per_dataset = {}
        config = read_json(work_dir / "config.json") or {}
        judged = {t["benchmark"] for t in config.get("tasks", []) if t["strategy"] == "llm"}
        for s in (read_json(work_dir / "manifest.json") or {}).get("subsets", []):
            bench = BENCHMARK[s["format"]]
            calls = 2 if bench in judged else 1
            out = work_dir / task_of(s) / "out"
            n = _count_lines(out, "predictions", bench, s["eval_subset"])
            if calls == 2:
                n += _count_lines(out, "reviews", bench, s["eval_subset"])
            d = per_dataset.setdefault(s["dataset_name"], [0, 0])
            d[0] += min(n, calls * len(s["rows"]))
            d[1] += calls * len(s["rows"])
        for d_done, d_total in per_dataset.values():
            done, total = done + d_done, total + d_total
        run.summary = {**(run.summary or {}), "progress": per_dataset}
        return done, total

    def collect(self, run, work_dir: Path, returncode: int | None, cancelled: bool) -> Outcome:
        manifest = read_json(work_dir / "manifest.json")
        if manifest is None:
            return Outcome(False, error=last_error(work_dir) or "The engine stopped before it read any data.")
        return collect_samples(run, work_dir, manifest, returncode, cancelled, last_error(work_dir))


def _count_lines(out: Path, kind: str, benchmark: str, eval_subset: str) -> int:
    total = 0
    for path in out.glob(f"{kind}/*/{benchmark}_{eval_subset}.jsonl*"):  # with an interrupted run's temp file
        with open(path, "rb") as fh:
            total += sum(1 for _ in fh)
    return total

