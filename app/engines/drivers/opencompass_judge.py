"""What the OpenCompass driver adds for judge-scored QA; imported in OpenCompass's virtualenv, never through ``app``.

``JudgeOpenAISDK`` is OpenCompass's OpenAISDK with its key read from EVALHUB_JUDGE_API_KEY: ``key='ENV'`` reads
only OPENAI_API_KEY (the evaluated model's key), and a literal key would be written into OpenCompass's configs.

``judge_verdicts`` replaces ``generic_llmjudge_postprocess`` as GenericLLMEvaluator's dict postprocessor: that one
takes the first capital A or B anywhere in the reply (inside a <think> block, the article in "A correct answer").
This one reads it with EvalHub's own reader (``judge_verdict.py``, the same the app applies to evalscope's judge
replies) and keeps the judge's whole reply per sample.
"""
from __future__ import annotations

import os

from judge_verdict import CORRECT, verdict  # this script's own directory
from opencompass.models import OpenAISDK

KEY_ENV = "EVALHUB_JUDGE_API_KEY"


class JudgeOpenAISDK(OpenAISDK):
    """The run's judge model; its key comes from the environment."""

    def __init__(self, **kwargs):
        super().__init__(**dict(kwargs, key=os.environ.get(KEY_ENV) or "EMPTY"))


def judge_verdicts(output: dict, output_path: str) -> dict:
    """Accuracy and one detail per sample (in dataset order) from the judge's replies."""
    details = []
    for key in sorted(output, key=lambda k: int(k) if str(k).isdigit() else 0):
        reply = (output[key] or {}).get("prediction")
        letter = verdict(reply)
        details.append({"correct": letter == CORRECT, "verdict": letter, "judge": reply})
    right = sum(d["correct"] for d in details)
    return {"accuracy": 100.0 * right / len(details) if details else 0.0, "details": details}
