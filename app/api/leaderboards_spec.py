"""OpenAPI paths of the leaderboard API and of the evaluation compare / publish routes."""
from app.api.openapi import add_paths

_ROW = {"type": "object", "properties": {
    "model": {"type": "string"}, "run_id": {"type": "integer"}, "score": {"type": "number"},
    "ci": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
           "description": "95% interval [low, high]: Wilson for 0/1 scores, a seeded bootstrap (1,000) otherwise"},
    "n": {"type": "integer", "description": "Scored samples"}, "method": {"enum": ["wilson", "bootstrap"]},
    "rank": {"type": "integer", "description": "1 + the number of models whose lower bound is above this upper bound"},
    "judge": {"type": ["string", "null"]}, "version": {"type": "integer"}, "published": {"type": "boolean"},
    "mine": {"type": "boolean"}, "other_runs": {"type": "array", "items": {"type": "integer"}},
    "tokens": {"$ref": "#/components/schemas/TokenUsage", "description": "On this dataset (and subset)"},
    "cost_per_1k": {"type": ["number", "null"],
                    "description": "The run's cost on these samples per 1,000 samples; null when unknown"},
    "speed": {"type": ["object", "null"], "description": "From the model's latest succeeded benchmark (yours, of "
              "the same server and model); null without one", "properties": {
                  "metric": {"enum": ["p99_ttft_ms", "output_tok_per_s"]}, "concurrency": {"type": "integer"},
                  "value": {"type": "number"}, "perf_run_id": {"type": "integer"},
                  "pareto": {"type": "boolean", "description": "On the quality × speed Pareto front"}}}}}
_QUALITY_SPEED = {"type": "object", "description": "The quality × speed chart", "properties": {
    "metric": {"enum": ["p99_ttft", "output_tps"]}, "label": {"type": "string"},
    "higher_is_better": {"type": "boolean"}, "concurrency": {"type": ["integer", "null"]},
    "concurrencies": {"type": "array", "items": {"type": "integer"}, "description": "Levels the benchmarks have"},
    "points": {"type": "array", "items": {"type": "object"}},
    "front": {"type": "array", "items": {"type": "integer"}, "description": "Run ids on the Pareto front, "
              "best speed first"},
    "missing": {"type": "array", "items": {"type": "object"}, "description": "Models not on the chart, and why"}}}
_RUN = {"type": "object", "properties": {
    "run_id": {"type": "integer"}, "model": {"type": "string"},
    "judge": {"type": ["string", "null"], "description": "The judge's name (a panel's joined with ' + '); null "
                                                         "when rules scored the run"}}}
_PAIR = {"type": "object", "description": "A is the older run (lower id), B the newer", "properties": {
    "a": _RUN, "b": _RUN, "n": {"type": "integer"},
    "both_right": {"type": "integer"}, "only_a": {"type": "integer"}, "only_b": {"type": "integer"},
    "both_wrong": {"type": "integer"}, "diff": {"type": "number", "description": "mean(B) - mean(A)"},
    "diff_ci": {"type": "array", "items": {"type": "number"}}, "p_value": {"type": "number"},
    "test": {"enum": ["mcnemar_exact", "sign_flip"]}, "verdict": {"enum": ["improved", "regressed", "within noise"]}}}


def document_leaderboards() -> None:
    add_paths({
        "/leaderboards": {"get": {"summary": "Datasets with finished runs you may read (yours and published)",
                                  "responses": {"200": {"description": "Datasets and how many models each has"}}}},
        "/leaderboards/{dataset_id}": {"get": {
            "summary": "A dataset's leaderboard: latest succeeded run per model, score with 95% CI, rank with ties",
            "description": "Only runs on the same dataset version and sample set (subsets, split, limit) share the "
                           "board; others are in `apart` with a `reason`. Your own runs and published ones.",
            "parameters": [
                {"name": "run", "in": "query", "schema": {"type": "string"},
                 "description": "Run ids to use instead of their model's latest, comma-separated"},
                {"name": "subset", "in": "query", "schema": {"type": "string"}, "description": "Per-subset view"},
                {"name": "speed", "in": "query", "schema": {"enum": ["p99_ttft", "output_tps"], "default": "p99_ttft"},
                 "description": "The speed figure of `speed` and of the quality × speed chart"},
                {"name": "concurrency", "in": "query", "schema": {"type": "integer", "minimum": 1},
                 "description": "The benchmark's concurrency level to read it at (default: the level most "
                                "models' benchmarks have)"}],
            "responses": {"200": {"description": "The board", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Leaderboard"}}}}, "400": {"description": "A bad run, speed or "
                                                                                       "concurrency"},
                "404": {"description": "No such dataset"}}}},
        "/evals/compare": {"get": {
            "summary": "Paired verdicts of 2-5 runs on the samples they share",
            "parameters": [{"name": "runs", "in": "query", "required": True, "schema": {"type": "string"},
                            "description": "Run ids, comma-separated (yours or published); in any order, "
                                           "they are compared oldest (lowest id) first"}],
            "responses": {"200": {"description": "Scores, pairs and disagreements", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Comparison"}}}},
                "400": {"description": "Not 2-5 run ids"}, "404": {"description": "A run you may not read"}}}},
        "/evals/{id}/publish": {"post": {"summary": "Publish your succeeded run: a read-only report for every user",
                                         "responses": {"200": {"description": "The run"},
                                                       "409": {"description": "Not succeeded"}}}},
        "/evals/{id}/unpublish": {"post": {"summary": "Make your run private again",
                                           "responses": {"200": {"description": "The run"}}}},
    }, schemas={
        "LeaderboardRow": _ROW,
        "Leaderboard": {"type": "object", "properties": {
            "dataset": {"type": "object"}, "sample_set": {"type": ["string", "null"]},
            "subset": {"type": ["string", "null"]}, "subsets": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/LeaderboardRow"}},
            "apart": {"type": "array", "items": {"type": "object"}}, "quality_speed": _QUALITY_SPEED}},
        "PairedVerdict": _PAIR,
        "Comparison": {"type": "object", "properties": {
            "runs": {"type": "array", "description": "Oldest (lowest id) first", "items": {
                "allOf": [_RUN, {"type": "object", "properties": {"score": {"type": ["number", "null"]}}}]}},
            "rows": {"type": "array", "items": {"type": "object"}},
            "pairs": {"type": "array", "items": {"$ref": "#/components/schemas/PairedVerdict"}},
            "disagreements": {"type": "array", "items": {"type": "object"}},
            "disagreement_count": {"type": "integer"}}},
    })
