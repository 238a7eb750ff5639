"""OpenAPI paths of the evaluation API."""
from app.api.openapi import add_paths
from app.models.run import EVAL_STATUSES

_JUDGE_IDS = {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3,
              "description": "A judge panel: one to three distinct models (instead of judge_id). Each judge reads "
                             "the stored answers; a judge without a usable verdict on a sample is excluded there."}
_AGGREGATION = {"enum": ["majority", "mean"], "default": "majority",
                "description": "A panel's verdict per sample: majority of the usable 0/1 verdicts (a tie is wrong), "
                               "or the mean of their scores (correct from 0.5)"}
_JUDGE_PROMPT = {"type": "string", "description": "The judge prompt with {question}, {gold} and {pred}, or a "
                                                  "built-in one by name: default, compassverifier (A correct / B "
                                                  "incorrect / C invalid answer: C is no usable verdict)"}
_RUN = {"description": "The run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EvalRun"}}}}


def document_evals() -> None:
    add_paths({
        "/evals": {
            "post": {"summary": "Submit an evaluation", "requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/EvalInput"}}}},
                "responses": {"202": _RUN, "422": {"description": "Invalid fields (error.fields)"}}},
            "get": {"summary": "My evaluations (filters: model, dataset, status, page)",
                    "responses": {"200": {"description": "A page of runs"}}}},
        "/evals/{id}": {"get": {"summary": "Status, progress and scores", "responses": {"200": _RUN}}},
        "/evals/{id}/samples": {"get": {
            "summary": "Per-sample results (filters: verdict, subset, q, dataset; disagree=1: the samples a panel's "
                       "judges disagree on)",
            "description": "On a panel run each item also has `judges` (a JudgeVerdict per judge) and `coverage` "
                           "(judges with a usable verdict / panel size).",
            "responses": {"200": {"description": "A page of samples"}}}},
        "/evals/{id}/cancel": {"post": {"summary": "Cancel (queued or running)", "responses": {"202": _RUN}}},
        "/evals/{id}/rejudge": {"post": {
            "summary": "Re-judge the run's stored answers in a new run (no request reaches the model)",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RejudgeInput"}}}},
            "responses": {"202": _RUN, "404": {"description": "Not your run"},
                          "422": {"description": "Invalid fields, or nothing to re-judge (error.fields)"}}}},
        "/evals/{id}/samples/{sample_id}/label": {"post": {
            "summary": "A human verdict on one sample (correct | wrong | unsure, null clears it) with a note",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/LabelInput"}}}},
            "responses": {"200": {"description": "The sample"}, "404": {"description": "Not your run or sample"},
                          "422": {"description": "Invalid fields (error.fields)"}}}},
        "/evals/{id}/review": {"get": {
            "summary": "n random answered samples to label (query n ≤ 200, seed repeats a walk), with the "
                       "judge–human agreement so far (rate and Cohen's κ per decider)",
            "responses": {"200": {"description": "{seed, items, agreement}"}}}},
        "/evals/{id}/resume": {"post": {"summary": "Resume a failed or cancelled run",
                                        "responses": {"202": _RUN, "409": {"description": "Not resumable"}}}},
        "/evals/{id}/export": {"get": {"summary": "Download as csv, json or xlsx", "parameters": [
            {"name": "format", "in": "query", "schema": {"enum": ["csv", "json", "xlsx"]}}],
            "responses": {"200": {"description": "The file"}}}},
        "/eval": {"post": {
            "summary": "An evaluation from the body of EvalScope's service (its /api/v1/eval/invoke)",
            "description": "`model` with `api_url` (and `api_key`): your own model with that URL, name and key, or "
                           "one registered for you; without `api_url`, the name or id of a model you can use. "
                           "`datasets`: names of your (or system) datasets; `dataset_args.<name>.subset_list`, "
                           "`limit` (per subset), `eval_batch_size` (above the model's limit: the limit, with a "
                           "note), `generation_config` (temperature, max_tokens, top_p), `judge`, `engine`, `wait`. "
                           "The answer carries EvalScope's fields (`status` completed | error | stopped, or ok while "
                           "it runs; `task_id`, `message`, `result`, `table`) beside EvalHub's (`run_status`...).",
            "requestBody": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/EvalscopeEvalInput"}}}},
            "responses": {"200": {"description": "Finished (wait: true)"}, "202": {"description": "Queued or running"},
                          "422": {"description": "Invalid fields, named as sent (error.fields)"}}}},
    }, schemas={
        "EvalscopeEvalInput": {"type": "object", "required": ["model", "datasets"], "properties": {
            "model": {"type": "string"}, "api_url": {"type": "string"}, "api_key": {"type": "string", "writeOnly": True},
            "datasets": {"type": "array", "items": {"type": "string"}}, "dataset_args": {"type": "object"},
            "limit": {"type": "integer", "minimum": 1}, "eval_batch_size": {"type": "integer", "minimum": 1},
            "generation_config": {"type": "object"}, "judge": {"type": ["string", "integer"]},
            "eval_type": {"enum": ["openai_api", "service", "server"]}, "wait": {"type": "boolean"},
            "timeout": {"type": "number", "description": "Seconds to wait (at most 3600)"}}},
        "EvalInput": {"type": "object", "required": ["model_id", "datasets"], "properties": {
            "model_id": {"type": "integer"}, "judge_id": {"type": ["integer", "null"]},
            "judge_ids": _JUDGE_IDS, "aggregation": _AGGREGATION,
            "datasets": {"type": "array", "items": {"type": "object", "properties": {
                "dataset_id": {"type": "integer"}, "subsets": {"type": "array", "items": {"type": "string"}},
                "split": {"type": ["string", "null"]}, "limit": {"type": ["integer", "null"]}}}},
            "temperature": {"type": "number"}, "max_tokens": {"type": "integer"}, "top_p": {"type": "number"},
            "concurrency": {"type": "integer"}, "judge_prompt": _JUDGE_PROMPT, "judge_mcq": {"type": "boolean"},
            "engine": {"enum": ["evalscope", "opencompass"]}, "timeout_minutes": {"type": "integer"},
            "answers_only": {"type": "boolean", "description": "Only the model answers (no judge yet): the run ends "
                             "`answered`, its answers browsable; re-judge it to score them."},
            "rule_first": {"type": "boolean", "description": "A QA answer that matches the reference once both are "
                           "normalised (case, spaces, punctuation, numbers as digits) is correct without a judge "
                           "call; the judge reads the rest (evalscope)."}}},
        "LabelInput": {"type": "object", "properties": {
            "verdict": {"enum": ["correct", "wrong", "unsure", None]}, "note": {"type": ["string", "null"]}}},
        "RejudgeInput": {"type": "object", "description": "`judge_id`, or `judge_ids` for a panel", "properties": {
            "judge_id": {"type": "integer"}, "judge_ids": _JUDGE_IDS, "aggregation": _AGGREGATION,
            "judge_prompt": _JUDGE_PROMPT, "rule_first": {"type": "boolean"}}},
        "JudgeVerdict": {"type": "object", "description": "One panel judge's verdict on one sample", "properties": {
            "judge_index": {"type": "integer"}, "judge_id": {"type": ["integer", "null"]}, "judge": {"type": "string"},
            "verdict": {"enum": ["correct", "wrong", None], "description": "null: no usable verdict (excluded)"},
            "score": {"type": ["number", "null"]}, "usable": {"type": "boolean"},
            "reply": {"type": ["string", "null"], "description": "The judge's whole reply, or why it failed"}}},
        "EvalRun": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"enum": list(EVAL_STATUSES)},
            "progress": {"type": "object"}, "score": {"type": ["number", "null"]}, "summary": {"type": ["object", "null"]},
            "error": {"type": ["string", "null"]}, "parent_run_id": {"type": ["integer", "null"],
                                                                   "description": "The run it re-judged"},
            "decided": {"type": "object", "description": "How many samples the rule and the judge decided"},
            "agreement": {"type": ["object", "null"], "description": "Judge–human agreement on labelled samples"},
            "panel": {"type": ["array", "null"], "items": {"type": "object"},
                      "description": "The judges of a panel ({id, name}, in order), null with one judge"},
            "judge_agreement": {"type": ["object", "null"], "description": (
                "Agreement between a panel's judges on the samples every judge scored: method (cohen for two, "
                "fleiss for three), n, kappa, agreement (share of unanimous samples), disagreements (samples whose "
                "usable verdicts differ: list them with /samples?disagree=1), aggregation")},
            "tokens": {"$ref": "#/components/schemas/TokenUsage"},
            "cost": {"type": ["number", "null"], "description": "Model tokens × the model's prices per million "
                     "input / output tokens, plus judge tokens × the judge's; null when a price or a token count "
                     "it needs is unknown (never 0 for unknown)"}}},
        "TokenPair": {"type": "object", "properties": {
            "prompt": {"type": ["integer", "null"]}, "completion": {"type": ["integer", "null"]}},
            "description": "Summed over the samples as the engine reported each request's usage; null when it "
                           "reported none (OpenCompass reports no usage)"},
        "TokenUsage": {"type": "object", "properties": {
            "model": {"$ref": "#/components/schemas/TokenPair"},
            "judge": {"oneOf": [{"$ref": "#/components/schemas/TokenPair"}, {"type": "null"}],
                      "description": "Every judge request (retries too); null for a run without a judge"},
            "judges": {"type": "array", "description": "A panel run only: each judge's tokens ({id, prompt, "
                       "completion}); `judge` is their sum", "items": {"type": "object"}},
            "samples": {"type": "integer", "description": "The samples counted"}}},
    })
