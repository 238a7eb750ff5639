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
from app.engines.eval_samples import blank_sample, judge_rationale

BENCHMARK = {"mcq": "general_mcq", "qa": "general_qa"}
MODEL_ID = "evalhub-model"  # the driver's evalscope model_id: its outputs go to predictions/evalhub-model/


def _message(prediction: dict) -> tuple[str | None, dict]:
    output = prediction.get("model_output") or {}
    choices = output.get("choices") or [{}]
    message = choices[0].get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content, message.get("perf_metrics") or {}


def _rationale(score: dict) -> str | None:
    attempts = (score.get("metadata") or {}).get("judge_attempts") or []
    for attempt in attempts:
        if attempt.get("raw_response"):
            return judge_rationale(attempt["raw_response"])
    return score.get("explanation")


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
                  prompt_tokens=perf.get("input_tokens"), completion_tokens=perf.get("output_tokens"),
                  engine_record=json.dumps(record, ensure_ascii=False))
    score = ((review or {}).get("sample_score") or {}).get("score") or {}
    value = next(iter((score.get("value") or {}).values()), None)
    if review is None or value is None or score.get("status") not in (None, "success"):
        if not final and review is None:
            values["verdict"] = "pending"
            return values
        judge_error = ((score.get("judge_summary") or {}).get("error")) if score else None
        values["judge_rationale"] = _rationale(score) if score else None
        values["error"] = f"Not scored: {judge_error or 'the judge gave no verdict'}"
        return values
    # MCQ: correct only with full credit (a multiple-answer row earns the share of its right options the model named,
    # none with a wrong one); a judge's numeric score counts from 0.5
    passing = 1.0 if subset["format"] == "mcq" else 0.5
    values.update(score=float(value), extracted=score.get("extracted_prediction"),
                  verdict="correct" if float(value) >= passing else "wrong", judge_rationale=_rationale(score))
    return values


class Reader:
    """Follows an attempt's evalscope outputs: ``new_samples()`` gives the sample rows that changed since the last
    call; ``leftovers()`` the rows of samples a finished attempt never answered or scored."""

    def __init__(self, run_id: int, work_dir: Path, manifest: dict):
        self.run_id, self.work_dir, self.manifest = run_id, work_dir, manifest
        self.tail = JsonlTail()
        self.state = {s["eval_subset"]: {"predictions": {}, "reviews": {}, "errors": {}} for s in manifest["subsets"]}
        self.subsets = {s["eval_subset"]: s for s in manifest["subsets"]}

    def _files(self, subset: dict, kind: str) -> list[Path]:
        out = self.work_dir / subset["format"] / "out"
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
        for fmt in ("mcq", "qa"):
            for item in self.tail.new(self.work_dir / fmt / "out" / "errors.jsonl"):
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
                if review is not None and state["predictions"].get(index) is not None:
                    continue
                rows.append(sample(self.run_id, subset, row, state["predictions"].get(index), review,
                                   state["errors"].get(index), final=True))
        return [r for r in rows if r["verdict"] not in ("correct", "wrong")]
