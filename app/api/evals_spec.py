"""OpenAPI paths of the evaluation API."""
from app.api.openapi import add_paths

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
        "/evals/{id}/samples": {"get": {"summary": "Per-sample results (filters: verdict, subset, q, dataset)",
                                        "responses": {"200": {"description": "A page of samples"}}}},
        "/evals/{id}/cancel": {"post": {"summary": "Cancel (queued or running)", "responses": {"202": _RUN}}},
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
            "datasets": {"type": "array", "items": {"type": "object", "properties": {
                "dataset_id": {"type": "integer"}, "subsets": {"type": "array", "items": {"type": "string"}},
                "split": {"type": ["string", "null"]}, "limit": {"type": ["integer", "null"]}}}},
            "temperature": {"type": "number"}, "max_tokens": {"type": "integer"}, "top_p": {"type": "number"},
            "concurrency": {"type": "integer"}, "judge_prompt": {"type": "string"}, "judge_mcq": {"type": "boolean"},
            "engine": {"enum": ["evalscope", "opencompass"]}, "timeout_minutes": {"type": "integer"}}},
        "EvalRun": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
            "progress": {"type": "object"}, "score": {"type": ["number", "null"]}, "summary": {"type": ["object", "null"]},
            "error": {"type": ["string", "null"]}}},
    })
