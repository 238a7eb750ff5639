"""Reading the evaluation form into the values app/services/evals.build validates (the one validator)."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict


def form_values(form: MultiDict) -> dict:
    """Form fields → service values. Datasets come as checked ``dataset_id`` boxes, each with its own
    ``subsets-<id>`` checkboxes, ``split-<id>`` and ``limit-<id>`` fields."""
    datasets = [{"dataset_id": ds, "subsets": form.getlist(f"subsets-{ds}"), "split": form.get(f"split-{ds}"),
                 "limit": form.get(f"limit-{ds}")} for ds in form.getlist("dataset_id")]
    keys = ("model_id", "judge_id", "engine", "temperature", "max_tokens", "top_p", "concurrency", "judge_prompt",
            "timeout_minutes")
    values = {k: form.get(k) for k in keys}
    for flag in ("judge_mcq", "rule_first", "answers_only"):
        values[flag] = form.get(flag) == "y"
    values["datasets"] = datasets
    values.update(judge_values(form))
    return values


def judge_values(form: MultiDict) -> dict:
    """The judging fields of the new-run and re-judge forms: the first judge (``judge_id``), up to two more
    (``judge_ids``: then a panel of all of them), the panel's ``aggregation``, and the judge prompt, or a built-in
    one chosen by name (``judge_prompt_name``)."""
    values = {"judge_id": form.get("judge_id"), "judge_prompt": form.get("judge_prompt"),
              "aggregation": form.get("aggregation") or None, "judge_prompt_name": form.get("judge_prompt_name")}
    more = [x for x in form.getlist("judge_ids") if x]
    if more:
        values["judge_ids"] = [x for x in [form.get("judge_id")] if x] + more
    if values["judge_prompt_name"]:
        values["judge_prompt"] = values["judge_prompt_name"]
    return values
