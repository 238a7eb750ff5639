"""Run one EvalHub evaluation with evalscope: ``python evalscope_eval.py <config.json>``.

Standalone on purpose: importing evalscope reconfigures logging, seeds RNGs and installs signal handlers, so it
runs in a process of its own. API keys arrive in the environment (EVALHUB_MODEL_API_KEY, EVALHUB_JUDGE_API_KEY),
never in files. One evalscope task per dataset format: MCQ scored by the chosen letter (or the judge when asked),
QA by the judge model. EvalHub writes the answers it already stores (and that still need a verdict) into the task's
prediction cache before the start; ``use_cache`` then makes evalscope only score them.
"""
from __future__ import annotations

import json
import os
import sys

from lifeline import exit_with_parent  # this script's own directory
from no_redirects import refuse_redirects


def record_item_errors(task_dir: str) -> None:
    """Append each failed item (subset, index in its file, why) to ``<task_dir>/errors.jsonl``, so every failed
    sample keeps its own reason (evalscope logs the failure without the item's index)."""
    import threading

    from evalscope.evaluator import evaluator as module

    _ERRORS["path"] = os.path.join(task_dir, "errors.jsonl")
    if _ERRORS.get("patched"):
        return
    original = module.DefaultEvaluator._process_work_item
    lock = threading.Lock()

    def process(self, item, *args, **kwargs):
        try:
            return original(self, item, *args, **kwargs)
        except Exception as exc:
            index = item.sample.id if item.sample is not None else item.task_state.sample_id
            line = json.dumps({"subset": item.subset, "index": index, "error": f"{type(exc).__name__}: {exc}"[:500]})
            with lock, open(_ERRORS["path"], "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            raise

    module.DefaultEvaluator._process_work_item = process
    _ERRORS["patched"] = True


_ERRORS: dict = {}


def _task_config(cfg: dict, task: dict):
    from evalscope import TaskConfig
    from evalscope.utils.multi_choices import MultipleChoiceTemplate

    dataset_args = {"local_path": task["data_dir"], "subset_list": task["subsets"]}
    if task["benchmark"] == "general_mcq" and task.get("multiple_correct"):
        dataset_args["extra_params"] = {"multiple_correct": True}  # answers are lists; the exact set scores
        dataset_args["prompt_template"] = (MultipleChoiceTemplate.CHINESE_MULTIPLE_ANSWER_TEMPLATE
                                           if task.get("language") == "zh" else MultipleChoiceTemplate.MULTIPLE_ANSWER)
    elif task["benchmark"] == "general_mcq":
        dataset_args["prompt_template"] = (MultipleChoiceTemplate.CHINESE_SINGLE_ANSWER_TEMPLATE
                                           if task.get("language") == "zh" else MultipleChoiceTemplate.SINGLE_ANSWER)
    else:
        dataset_args["metric_list"] = ["Rouge"]  # BLEU needs an nltk download (fails offline)
    judge: dict = {"strategy": task["strategy"]}
    if task["strategy"] == "llm":
        j = cfg["judge"]
        judge["models"] = [{"model_id": j["model"], "api_url": j["api_url"],
                            "api_key": os.environ.get("EVALHUB_JUDGE_API_KEY") or "EMPTY",
                            "generation_config": j["generation_config"]}]
        if j.get("prompt_template"):
            judge["contract"] = {"prompt_template": j["prompt_template"]}
    m = cfg["model"]
    resume = os.path.isdir(os.path.join(task["work_dir"], "predictions"))
    return TaskConfig(
        model=m["model"], model_id=m["model_id"], api_url=m["api_url"], api_key=os.environ.get("EVALHUB_MODEL_API_KEY") or "EMPTY",
        eval_type="openai_api", datasets=[task["benchmark"]], dataset_args={task["benchmark"]: dataset_args},
        generation_config=m["generation_config"], eval_batch_size=cfg["concurrency"],
        work_dir=task["work_dir"], no_timestamp=True, use_cache=task["work_dir"] if resume else None,
        rerun_review=resume,  # the cache holds only answers still waiting for their verdict: score them all
        ignore_errors=True,
        judge=judge,
    )


def main(path: str) -> int:
    exit_with_parent()
    refuse_redirects()  # a model's 3xx never leads the engine elsewhere
    with open(path) as fh:
        cfg = json.load(fh)
    from evalscope import run_task

    for task in cfg["tasks"]:
        print(f"[evalhub-driver] task {task['benchmark']}: {len(task['subsets'])} subset(s)", flush=True)
        os.makedirs(task["work_dir"], exist_ok=True)
        record_item_errors(task["work_dir"])
        run_task(_task_config(cfg, task))
        print(f"[evalhub-driver] task {task['benchmark']} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
