"""OpenCompass as the accuracy engine: pinned dataset rows → OpenCompass custom datasets → per-sample results.

OpenCompass lives in a virtualenv of its own (``EVALHUB_OPENCOMPASS_PYTHON``; ``scripts/opencompass_venv.sh``
creates it): its pins conflict with evalscope's. Work directory of a run::

    config.json        what the driver runs (no secrets: keys travel in OPENAI_API_KEY, EVALHUB_JUDGE_API_KEY)
    manifest.json      for every OpenCompass dataset: the EvalHub dataset, subset and rows it holds, in order
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
from app.engines.base import Launch, Outcome
from app.engines.eval_inputs import (engine_subset_name, first_answer, last_error, manifest_entry, pinned_subsets,
                                     qa_question, read_json)
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


class OpencompassEvalEngine:
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
    def prepare(self, run, work_dir: Path, resume: bool) -> Launch:
        manifest_path = work_dir / "manifest.json"
        if resume and manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())  # the same files: OpenCompass reuses its outputs
        else:
            manifest = self._export(run, work_dir)
            manifest_path.write_text(json.dumps(manifest, ensure_ascii=False))
        config = self._config(run, work_dir, manifest)
        (work_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        env = {"OPENAI_API_KEY": api_key_of(model) or "EMPTY", "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        if run.judge_endpoint_id:
            env["EVALHUB_JUDGE_API_KEY"] = api_key_of(db.session.get(ModelEndpoint, run.judge_endpoint_id)) or "EMPTY"
        return Launch(argv=[_python(), str(DRIVER), str(work_dir / "config.json")], env=env)

    def _export(self, run, work_dir: Path) -> dict:
        """Write each pinned subset as an OpenCompass custom dataset; returns the manifest. MCQ answers are scored
        by EvalHub's answer rule from the raw replies, so a subset with several right options per question is
        asked for all of them (its own instruction) and scored like evalscope scores it."""
        data_dir = work_dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        subsets: list[dict] = []
        for position, (index, sel, dataset, subset, records) in enumerate(pinned_subsets(run)):
            name = engine_subset_name(index, position, subset)
            entry = manifest_entry(dataset.format, name, dataset, sel, subset, records)
            with open(data_dir / f"{name}.jsonl", "w", encoding="utf-8") as fh:
                for r, info in zip(records, entry["rows"]):
                    if dataset.format == "mcq":
                        row = {"question": r["question"], **{k: r.get(k) or "" for k in entry["letters"]},
                               "answer": info["reference"] if entry["multiple"] else first_answer(r)}
                    else:
                        row = {"question": qa_question(r), "answer": str(r["answer"])}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            subsets.append(entry)
        return {"subsets": subsets}

    def _config(self, run, work_dir: Path, manifest: dict) -> dict:
        p = run.params
        model = db.session.get(ModelEndpoint, run.endpoint_id)
        concurrency = p.get("concurrency", 4)
        oc_model = {"abbr": results.MODEL_ABBR, "path": model.model_name, "openai_api_base": model.base_url,
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
                dataset["judged"] = True
            datasets.append(dataset)
        config = {"model": oc_model, "datasets": datasets}
        if run.judge_endpoint_id:
            config.update(self._judge(run, concurrency))
        return config

    @staticmethod
    def _judge(run, concurrency: int) -> dict:
        """The judge model (its key travels in EVALHUB_JUDGE_API_KEY) and the prompt in OpenCompass's fields."""
        judge = db.session.get(ModelEndpoint, run.judge_endpoint_id)
        prompt = run.params.get("judge_prompt") or ""
        for ours, theirs in JUDGE_FIELDS.items():
            prompt = prompt.replace(ours, theirs)
        workers = min(concurrency, judge.max_concurrency or concurrency)
        return {"judge": {"abbr": "evalhub-judge", "path": judge.model_name, "openai_api_base": judge.base_url,
                          "max_out_len": 1024, "max_seq_len": 10**7, "batch_size": workers, "max_workers": workers,
                          "query_per_second": 1000, "temperature": 0.0, "retry": 2, "timeout": 120},
                "judge_prompt": prompt}

    # -- progress and results ------------------------------------------------------------------------------
    def progress(self, run, work_dir: Path) -> tuple[int, int]:
        per_dataset: dict[str, list[int]] = {}
        out = results.output_dir(work_dir)
        for s in (read_json(work_dir / "manifest.json") or {}).get("subsets", []):
            n = len(s["rows"])
            d = per_dataset.setdefault(s["dataset_name"], [0, 0])
            d[0] += min(results.answered(out, s["eval_subset"]), n)
            d[1] += n
            if s["format"] == "qa":  # and a judgement each
                d[0] += min(results.judged(out, s["eval_subset"]), n)
                d[1] += n
        run.summary = {**(run.summary or {}), "progress": per_dataset}
        return sum(d[0] for d in per_dataset.values()), sum(d[1] for d in per_dataset.values())

    def collect(self, run, work_dir: Path, returncode: int | None, cancelled: bool) -> Outcome:
        manifest = read_json(work_dir / "manifest.json")
        if manifest is None:
            return Outcome(False, error=last_error(work_dir) or "The engine stopped before it read any data.")
        return results.collect_samples(run, work_dir, manifest, returncode, cancelled, last_error(work_dir))
