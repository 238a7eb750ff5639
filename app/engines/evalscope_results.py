"""Read evalscope's outputs into ``EvalSample`` rows while it runs, and what a finished attempt left missing.

evalscope writes one prediction line per answered sample and one review line per scored sample (flushed as each
completes), keyed by the sample's index in its subset file, which EvalHub wrote in manifest order; the manifest row
at that index carries the sample's position. A sample whose request failed has no prediction: the driver records
the failure of each item, with its index, in ``errors.jsonl`` beside evalscope's outputs.
"""
from __future__ import annotations

import json
from pathlib import Path

from app.engines.eval_inputs import JsonlTail
from app.engines.eval_samples import (answer_values, blank_sample, judge_rationale, judged_values, not_scored,
                                      rule_sample_values, rule_scored)

BENCHMARK = {"mcq": "general_mcq", "qa": "general_qa"}
MODEL_ID = "evalhub-model"  # the driver's evalscope model_id: its outputs go to predictions/evalhub-model/


def task_of(subset: dict) -> str:
    """The evalscope task (and directory) of a manifest subset: ``mcq``, ``mcq_multi`` or ``qa``."""
    return subset.get("task") or subset["format"]


def _message(prediction: dict) -> tuple[str | None, dict]:
    output = prediction.get("model_output") or {}
    choices = output.get("choices") or [{}]
    message = choices[0].get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content, message.get("perf_metrics") or {}


def _usage(prediction: dict, perf: dict) -> dict:
    """The model's tokens for one answer: the message's perf metrics, else the output's usage."""
    usage = (prediction.get("model_output") or {}).get("usage") or {}

    def known(key: str):
        return perf[key] if perf.get(key) is not None else usage.get(key)
    return {"prompt_tokens": known("input_tokens"), "completion_tokens": known("output_tokens")}


def judge_usage(score: dict) -> dict:
    """The judge's tokens for one sample, summed over every request it made (retries included); None when no
    request reported its usage."""
    attempts = [((a.get("model_output") or {}).get("usage") or {})
                for a in (score.get("metadata") or {}).get("judge_attempts") or []]
    reported = [u for u in attempts if u.get("input_tokens") is not None or u.get("output_tokens") is not None]
    if not reported:
        return {"judge_prompt_tokens": None, "judge_completion_tokens": None}
    return {"judge_prompt_tokens": sum(u.get("input_tokens") or 0 for u in reported),
            "judge_completion_tokens": sum(u.get("output_tokens") or 0 for u in reported)}


def _judge_reply(score: dict) -> str | None:
    """The judge's whole reply to this sample, as evalscope recorded it."""
    attempts = (score.get("metadata") or {}).get("judge_attempts") or []
    return next((a["raw_response"] for a in attempts if a.get("raw_response")), None)


def _judged(values: dict, score: dict, passing: float) -> dict:
    """Score a judged sample: evalscope's parsed verdict, else EvalHub's reading of the judge's raw reply (a judge
    answering "CORRECT" where evalscope wants JSON); a reply with no verdict is kept and shown, not dropped."""
    reply = _judge_reply(score)
    value = next(iter((score.get("value") or {}).values()), None)
    if value is None or score.get("status") not in (None, "success"):
        return judged_values(values, reply, (score.get("judge_summary") or {}).get("error") or "")
    values.update(score=float(value), extracted=score.get("extracted_prediction"),
                  verdict="correct" if float(value) >= passing else "wrong", decided_by="judge",
                  judge_rationale=judge_rationale(reply) or score.get("explanation"))
    return values


def sample(run_id: int, subset: dict, row: dict, prediction, review, failure, final: bool) -> dict:
    """The sample row for manifest ``row`` from its prediction and review (either may be missing). Before the
    engine is done (``final`` False) an answer without a verdict is ``pending``; after, it is an error."""
    values = blank_sample(run_id, subset, row["position"], row)
    if prediction is None:
        values["error"] = f"The model request failed: {failure}" if failure else "No answer from the model."
        return values
    content, perf = _message(prediction)
    record = dict(prediction)
    record.pop("index", None)
    values.update(prediction=content, latency_ms=(perf.get("latency") or 0) * 1000 or None,
                  engine_record=json.dumps(record, ensure_ascii=False), **_usage(prediction, perf))
    if rule_scored(subset):  # EvalHub's rule from the raw reply; evalscope's own extraction is ignored
        return rule_sample_values(values, subset, content, row)
    if subset.get("answers_only"):  # its judge comes later: the review (a rule metric) is not its verdict
        return answer_values(values, subset, content, row["reference"])
    if review is None:
        if not final:
            values["verdict"] = "pending"
            return values
        return not_scored(values, "the judge gave no verdict")
    score = (review.get("sample_score") or {}).get("score") or {}
    values.update(judge_usage(score))
    # a judge's numeric score counts from 0.5; an MCQ judged by a model must have full credit
    return _judged(values, score, 1.0 if subset["format"] == "mcq" else 0.5)


class Reader:
    """Follows an attempt's evalscope outputs: ``new_samples()`` gives the sample rows that changed since the last
    call; ``leftovers()`` the rows of samples a finished attempt never answered or scored."""

    def __init__(self, run_id: int, work_dir: Path, manifest: dict):
        self.run_id, self.work_dir, self.manifest = run_id, work_dir, manifest
        self.tail = JsonlTail()
        self.state = {s["eval_subset"]: {"predictions": {}, "reviews": {}, "errors": {}} for s in manifest["subsets"]}
        self.subsets = {s["eval_subset"]: s for s in manifest["subsets"]}

    def _files(self, subset: dict, kind: str) -> list[Path]:
        out = self.work_dir / task_of(subset) / "out"
        # "*" also reads reviews a fresh run keeps in evalscope's temporary "<file>.jsonl.rerun-<uuid>"
        return sorted(out.glob(f"{kind}/*/{BENCHMARK[subset['format']]}_{subset['eval_subset']}.jsonl*"))

    def new_samples(self) -> list[dict]:
        touched: set[tuple[str, int]] = set()
        for name, subset in self.subsets.items():
            state = self.state[name]
            for kind in ("predictions", "reviews"):
                for path in self._files(subset, kind):
                    for item in self.tail.new(path):
                        if isinstance(item.get("index"), int) and 0 <= item["index"] < len(subset["rows"]):
                            state[kind][item["index"]] = item
                            touched.add((name, item["index"]))
        for task in {task_of(s) for s in self.subsets.values()}:
            for item in self.tail.new(self.work_dir / task / "out" / "errors.jsonl"):
                name, index = item.get("subset"), item.get("index")
                if name in self.state and isinstance(index, int) and 0 <= index < len(self.subsets[name]["rows"]):
                    self.state[name]["errors"][index] = str(item.get("error"))[:500]
                    touched.add((name, index))
        rows = []
        for name, index in sorted(touched):
            state = self.state[name]
            prediction = state["predictions"].get(index)
            if prediction is None and index not in state["errors"]:
                continue
            rows.append(sample(self.run_id, self.subsets[name], self.subsets[name]["rows"][index], prediction,
                               state["reviews"].get(index), state["errors"].get(index), final=False))
        return rows

    def leftovers(self) -> list[dict]:
        """Samples without a verdict after a clean exit: unanswered ones and answers the judge did not score."""
        rows = []
        for name, subset in self.subsets.items():
            state = self.state[name]
            for index, row in enumerate(subset["rows"]):
                review = state["reviews"].get(index)
                if state["predictions"].get(index) is not None and (
                        review is not None or rule_scored(subset) or subset.get("answers_only")):
                    continue
                rows.append(sample(self.run_id, subset, row, state["predictions"].get(index), review,
                                   state["errors"].get(index), final=True))
        return [r for r in rows if r["verdict"] not in ("correct", "wrong")]
