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
    return values
