"""evalscope as the accuracy engine: pinned dataset rows → evalscope's local formats → per-sample results.

Work directory of a run::

    config.json            what the driver runs (no secrets: keys travel in the environment)
    manifest.json          for every evalscope subset: the dataset, subset and rows it holds, in order (only the
                           rows without a verdict in the database: an attempt is local scratch, made from the rows)
    mcq/data/<s>_val.csv   general_mcq input      qa/data/<s>.jsonl   general_qa input
    mcq_multi/data/<s>_val.jsonl   general_mcq input of multiple-answer subsets (their own task and prompt)
    mcq/out/, mcq_multi/out/, qa/out/   evalscope's own outputs (predictions/, reviews/, reports/, logs/), with stored answers
                           replayed into predictions/ first, and the driver's errors.jsonl (a failed item each)
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

from app.engines.base import Launch, api_url
from app.engines.eval_inputs import first_answer, first_stage, manifest_entry, plan, qa_question
from app.engines.stages import Staged
from app.engines.evalscope_results import MODEL_ID, Reader, task_of
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


class EvalscopeEvalEngine(Staged):
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
    def prepare(self, run, work_dir: Path, resume: bool = False, stage: str | None = None) -> Launch:
        """Export what the rows lack into this attempt's own scratch directory (``resume`` needs nothing more).
        ``stage`` (``eval_inputs.first_stage``): ``answers`` leaves judged subsets to a later ``judge`` stage."""
        self.stage, self.stage_dir = stage or first_stage(run), work_dir
        manifest = self._export(run, work_dir)
        (work_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
        config = self._config(run, work_dir, manifest)
        (work_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
        self.reader = Reader(run.id, work_dir, manifest)
        env = {"EVALSCOPE_DISABLE_UVLOOP": "1", "PYTHONUNBUFFERED": "1", "TQDM_MININTERVAL": "5"}
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        env["EVALHUB_MODEL_API_KEY"] = api_key_of(model) or "EMPTY"
        if run.judge_endpoint_id:
            env["EVALHUB_JUDGE_API_KEY"] = api_key_of(db.session.get(ModelEndpoint, run.judge_endpoint_id)) or "EMPTY"
        return Launch(argv=[_python(), str(DRIVER), str(work_dir / "config.json")], env=env,
                      log_file=str(work_dir / "engine.log"))

    def _export(self, run, work_dir: Path) -> dict:
        """Write each subset's rows without a verdict as evalscope input, and replay stored answers into its
        prediction cache; returns the manifest. MCQ subsets with a row of several right options go to a task of
        their own (``mcq_multi``: evalscope's multiple-answer prompt, answers as lists); the others keep the
        single-answer prompt, whatever the other datasets of the run hold."""
        subsets: list[dict] = []
        shape: list[dict] = []
        judged_mcq = bool(run.params.get("judge_mcq") and run.judge_endpoint_id)
        for name, _index, sel, dataset, subset, todo, total, records in plan(run, True, self.stage == "judge"):
            fmt = dataset.format
            shape.append({"dataset_id": dataset.id, "dataset_name": sel["name"], "format": fmt, "subset": subset,
                          "total": total})
            if not todo:
                continue
            entry = manifest_entry(fmt, name, dataset, sel, subset, todo, total, records)
            entry["task"] = "mcq_multi" if entry.get("multiple") else fmt
            data_dir = work_dir / entry["task"] / "data"
            data_dir.mkdir(parents=True, exist_ok=True)
            asked = [r for _p, r, _rec in todo]
            if self.stage == "answers" and (fmt == "qa" or judged_mcq):  # the judge comes later
                entry.update(answers_only=True, rule_first=bool(run.params.get("rule_first")) and fmt == "qa")
            if fmt == "mcq":  # scored by EvalHub's answer rule unless given to the judge model
                entry["judged"] = judged_mcq
                self._write_mcq(data_dir, name, asked, entry["multiple"], entry["letters"])
            else:
                self._write_qa(data_dir / f"{name}.jsonl", asked)
            _replay(work_dir / entry["task"] / "out", BENCHMARK[fmt], name, [rec for _p, _r, rec in todo])
            subsets.append(entry)
        return {"subsets": subsets, "shape": shape}

    @staticmethod
    def _write_mcq(data_dir: Path, name: str, records: list[dict], multiple: bool, letters: list[str]) -> None:
        """``<name>_val.csv`` (one right letter), or ``<name>_val.jsonl`` with the list of right letters."""
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
            judged = (task == "qa" or (p.get("judge_mcq") and run.judge_endpoint_id)) and self.stage != "answers"
            tasks.append({"benchmark": BENCHMARK[task], "subsets": [s["eval_subset"] for s in mine],
                          "data_dir": str(work_dir / task / "data"), "work_dir": str(work_dir / task / "out"),
                          "strategy": "llm" if judged else "rule", "language": "zh" if CJK.search(text) else "en",
                          "multiple_correct": task == "mcq_multi"})
        config = {"model": {"model": model.model_name, "model_id": MODEL_ID, "api_url": api_url(self, model),
                            "generation_config": gen},
                  "concurrency": p.get("concurrency", 4), "tasks": tasks}
        if run.judge_endpoint_id:
            judge = db.session.get(ModelEndpoint, run.judge_endpoint_id)
            config["judge"] = {"model": judge.model_name, "api_url": api_url(self, judge),
                               "prompt_template": p.get("judge_prompt"),
                               "generation_config": {"temperature": 0.0, "max_tokens": 1024, "timeout": 120}}
        return config


def _replay(out: Path, benchmark: str, name: str, records: list[str | None]) -> None:
    """Write the stored answers of this attempt's rows into evalscope's prediction cache, each under its new index,
    so evalscope only scores them (the driver turns ``use_cache`` on when the cache exists)."""
    lines = []
    for index, record in enumerate(records):
        if record:
            lines.append(json.dumps({**json.loads(record), "index": index}, ensure_ascii=False))
    if lines:
        path = out / "predictions" / MODEL_ID / f"{benchmark}_{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
