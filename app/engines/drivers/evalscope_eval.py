"""Run one EvalHub evaluation with evalscope: ``python evalscope_eval.py <config.json>``.

Standalone on purpose: importing evalscope reconfigures logging, seeds RNGs and installs signal handlers, so it
runs in a process of its own. API keys arrive in the environment (EVALHUB_MODEL_API_KEY, EVALHUB_JUDGE_API_KEY),
never in files. One evalscope task per dataset format: MCQ scored by the chosen letter (or the judge when asked),
QA by the judge model. ``use_cache`` points at the task's own directory, so running again resumes: samples already
predicted (and judged) are not requested again (evalscope accepts ``use_cache`` only on a directory it wrote).
"""
from __future__ import annotations

import json
import os
import sys

from lifeline import exit_with_parent  # this script's own directory
from no_redirects import refuse_redirects


def adopt_interrupted_reviews(task_dir: str) -> int:
    """Move judgements of an interrupted run into evalscope's review cache, so a resume does not judge again.

    A fresh evalscope run writes reviews into ``<file>.jsonl.rerun-<uuid>`` and renames it only when the run
    completes; a resumed run reads and appends ``<file>.jsonl``. Complete lines of the temporary file are
    appended to the real one (one per sample index), then the temporary file is removed.
    """
    import glob
    adopted = 0
    for temporary in glob.glob(os.path.join(task_dir, "reviews", "*", "*.jsonl.rerun-*")):
        target = temporary.split(".rerun-")[0]
        seen = set()
        if os.path.exists(target):
            with open(target, encoding="utf-8") as fh:
                seen = {_index(line) for line in fh} - {None}
        with open(temporary, encoding="utf-8") as src, open(target, "a", encoding="utf-8") as dst:
            for line in src:
                index = _index(line)
                if index is not None and index not in seen and line.endswith("\n"):
                    dst.write(line)
                    seen.add(index)
                    adopted += 1
        os.unlink(temporary)
    return adopted


def _index(line: str):
    try:
        return json.loads(line)["index"]
    except (ValueError, KeyError, TypeError):
        return None


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
        model=m["model"], api_url=m["api_url"], api_key=os.environ.get("EVALHUB_MODEL_API_KEY") or "EMPTY",
        eval_type="openai_api", datasets=[task["benchmark"]], dataset_args={task["benchmark"]: dataset_args},
        generation_config=m["generation_config"], eval_batch_size=cfg["concurrency"],
        work_dir=task["work_dir"], no_timestamp=True, use_cache=task["work_dir"] if resume else None,
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
        adopted = adopt_interrupted_reviews(task["work_dir"])
        if adopted:
            print(f"[evalhub-driver] kept {adopted} judgement(s) of the interrupted run", flush=True)
        run_task(_task_config(cfg, task))
        print(f"[evalhub-driver] task {task['benchmark']} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
