"""OpenCompass as the accuracy engine: pinned dataset rows → OpenCompass custom datasets → per-sample results.

OpenCompass lives in a virtualenv of its own (``EVALHUB_OPENCOMPASS_PYTHON``; ``scripts/opencompass_venv.sh``
creates it): its pins conflict with evalscope's. Work directory of a run::

    config.json        what the driver runs (no secrets: keys travel in OPENAI_API_KEY, EVALHUB_JUDGE_API_KEY)
    manifest.json      for every OpenCompass dataset: the EvalHub dataset, subset and rows it holds, in order
                       (only rows without a verdict in the database: an attempt is local scratch)
    data/<name>.jsonl  custom input, MCQ {"question", "A", "B", ..., "answer"} or QA {"question", "answer"}
    tokenizer/         a whitespace tokenizer (OpenAISDK counts tokens with a local HF tokenizer when offline)
    out/evalhub/       OpenCompass's outputs: predictions/, results/, summary/, logs/

MCQ is scored by EvalHub's answer rule (``answer_rule.py``) from the raw replies; QA by the run's judge model (OpenCompass's GenericLLMEvaluator, the run's judge prompt,
the judge's key in EVALHUB_JUDGE_API_KEY). A judge for MCQ (``judge_mcq``) is evalscope's alone.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.engines import opencompass_results as results
from app.engines.base import Launch, api_url
from app.engines.eval_inputs import first_answer, first_stage, manifest_entry, plan, qa_question
from app.engines.stages import Staged
from app.extensions import db
from app.models import ModelEndpoint
from app.services.endpoint_client import api_key_of

DRIVER = Path(__file__).parent / "drivers" / "opencompass_eval.py"
SETUP = "scripts/opencompass_venv.sh"
CJK = re.compile(r"[\u4e00-\u9fff]")
INSTRUCTION = {"en": "Answer with the letter of the correct option.", "zh": "请直接给出正确选项的字母。"}
INSTRUCTION_MULTIPLE = {"en": "One or more options are correct: answer with the letters of all correct options.",
                        "zh": "可能有多个正确选项：请给出所有正确选项的字母。"}
JUDGE_FIELDS = {"{gold}": "{obj_gold}", "{pred}": "{prediction}"}  # EvalHub's judge prompt → GenericLLMEvaluator's


def _python() -> str:
    return current_app.config["OPENCOMPASS_PYTHON"]


class OpencompassEvalEngine(Staged):
    name = "opencompass"

    def available(self) -> tuple[bool, str]:
        if not Path(_python()).exists():
            return False, str(_l("OpenCompass is not installed: %(python)s does not exist. Run %(setup)s (or point "
                                 "EVALHUB_OPENCOMPASS_PYTHON at an OpenCompass virtualenv's python).",
                                 python=_python(), setup=SETUP))
        return True, ""

    @staticmethod
    def version() -> str | None:
        """The installed version, read from the virtualenv's package metadata (another interpreter)."""
        venv = Path(current_app.config["OPENCOMPASS_PYTHON"]).parent.parent
        for info in venv.glob("lib/python*/site-packages/opencompass-*.dist-info"):
            return info.name[len("opencompass-"):-len(".dist-info")]
        return None

    @staticmethod
    def unsupported(params: dict) -> dict[str, str]:
        """Form errors for what this engine does not do: a judge for multiple-choice answers."""
        errors = {}
        if params.get("judge_mcq"):
            errors["engine"] = str(_l("OpenCompass scores multiple-choice answers by rule: "
                                      "choose evalscope to have a judge model score them."))
        return errors

    # -- prepare -------------------------------------------------------------------------------------------
    def prepare(self, run, work_dir: Path, resume: bool = False, stage: str | None = None) -> Launch:
        """Export what the rows lack into this attempt's own scratch directory (``resume`` needs nothing more).
        ``stage`` ``answers`` runs OpenCompass's ``-m infer`` (judged subsets wait for the ``judge`` stage)."""
        self.stage, self.stage_dir = stage or first_stage(run), work_dir
        manifest = self._export(run, work_dir)
        (work_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
        config = self._config(run, work_dir, manifest)
        (work_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
        self.reader = results.Reader(run.id, work_dir, manifest)
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        env = {"OPENAI_API_KEY": api_key_of(model) or "EMPTY", "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        if run.judge_endpoint_id:
            env["EVALHUB_JUDGE_API_KEY"] = api_key_of(db.session.get(ModelEndpoint, run.judge_endpoint_id)) or "EMPTY"
        return Launch(argv=[_python(), str(DRIVER), str(work_dir / "config.json")], env=env,
                      log_file=str(work_dir / "engine.log"))

    def _export(self, run, work_dir: Path) -> dict:
        """Write each subset's rows without a verdict as OpenCompass custom datasets; returns the manifest. Rows whose
        answer is stored go to a dataset of their own (``<name>_r``) whose predictions file EvalHub writes first, so
        OpenCompass skips their inference. MCQ answers are scored by EvalHub's answer rule from the raw replies, so a
        subset with several right options per question is asked for all of them (its own instruction)."""
        data_dir = work_dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        subsets, shape = [], []
        for name, _index, sel, dataset, subset, todo, total, records in plan(run, True, self.stage == "judge"):
            shape.append({"dataset_id": dataset.id, "dataset_name": sel["name"], "format": dataset.format,
                          "subset": subset, "total": total})
            asked = [t for t in todo if not t[2]]
            replayed = [t for t in todo if t[2]]
            for abbr, part in ((name, asked), (f"{name}_r", replayed)):
                if not part:
                    continue
                entry = manifest_entry(dataset.format, abbr, dataset, sel, subset, part, total, records)
                if self.stage == "answers" and dataset.format == "qa":  # the judge comes later
                    entry.update(answers_only=True, rule_first=bool(run.params.get("rule_first")))
                self._write(data_dir / f"{abbr}.jsonl", dataset.format, part, entry)
                if part is replayed:
                    _replay(results.output_dir(work_dir), abbr, [rec for _p, _r, rec in part])
                subsets.append(entry)
        return {"subsets": subsets, "shape": shape}

    @staticmethod
    def _write(path: Path, fmt: str, part: list, entry: dict) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for (_p, r, _rec), info in zip(part, entry["rows"]):
                if fmt == "mcq":
                    row = {"question": r["question"], **{k: r.get(k) or "" for k in entry["letters"]},
                           "answer": info["reference"] if entry["multiple"] else first_answer(r)}
                else:
                    row = {"question": qa_question(r), "answer": str(r["answer"])}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _config(self, run, work_dir: Path, manifest: dict) -> dict:
        p = run.params
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        concurrency = p.get("concurrency", 4)
        oc_model = {"abbr": results.MODEL_ABBR, "path": model.model_name, "openai_api_base": api_url(self, model),
                    "max_out_len": p.get("max_tokens", 1024), "max_seq_len": 10**7, "batch_size": concurrency,
                    "max_workers": concurrency, "query_per_second": 1000, "temperature": p.get("temperature", 0.0),
                    "retry": 2, "timeout": p.get("request_timeout", 120)}
        if p.get("top_p") is not None:
            oc_model["openai_extra_kwargs"] = {"top_p": p["top_p"]}
        datasets = []
        for s in manifest["subsets"]:
            dataset = {"path": str(work_dir / "data" / f"{s['eval_subset']}.jsonl"), "abbr": s["eval_subset"],
                       "data_type": s["format"], "infer_method": "gen", "human_prompt": "{question}"}
            if s["format"] == "mcq":
                language = "zh" if CJK.search(" ".join(r["question"] for r in s["rows"][:20])) else "en"
                options = "".join(f"\n{k}. {{{k}}}" for k in s["letters"])
                instruction = (INSTRUCTION_MULTIPLE if s.get("multiple") else INSTRUCTION)[language]
                dataset["human_prompt"] += options + "\n" + instruction
            else:
                dataset["judged"] = self.stage != "answers"
            datasets.append(dataset)
        config = {"model": oc_model, "datasets": datasets, "mode": "infer" if self.stage == "answers" else "all"}
        if run.judge_endpoint_id:
            config.update(self._judge(run, concurrency))
        return config

    def _judge(self, run, concurrency: int) -> dict:
        """The judge model (its key travels in EVALHUB_JUDGE_API_KEY) and the prompt in OpenCompass's fields."""
        judge = db.session.get(ModelEndpoint, run.judge_endpoint_id)
        prompt = run.params.get("judge_prompt") or ""
        for ours, theirs in JUDGE_FIELDS.items():
            prompt = prompt.replace(ours, theirs)
        workers = min(concurrency, judge.max_concurrency or concurrency)
        return {"judge": {"abbr": "evalhub-judge", "path": judge.model_name, "openai_api_base": api_url(self, judge),
                          "max_out_len": 1024, "max_seq_len": 10**7, "batch_size": workers, "max_workers": workers,
                          "query_per_second": 1000, "temperature": 0.0, "retry": 2, "timeout": 120},
                "judge_prompt": prompt}


def _replay(out: Path, abbr: str, records: list[str]) -> None:
    """OpenCompass's finished predictions file for ``abbr`` from the stored answers (its reuse skips inference)."""
    path = out / "predictions" / results.MODEL_ABBR / f"{abbr}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({str(i): json.loads(rec) for i, rec in enumerate(records)}, ensure_ascii=False),
                    encoding="utf-8")
