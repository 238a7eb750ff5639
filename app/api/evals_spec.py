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
        "/eval": {"post": {"summary": "EvalScope-service-style submission (model, datasets by name, limit, "
                                      "eval_batch_size, generation_config, judge, wait)",
                           "responses": {"200": _RUN, "202": {"description": "Queued: {id, status, url}"}}}},
    }, schemas={
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
