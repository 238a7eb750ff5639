"""The body of EvalScope's own service (``POST /api/v1/eval/invoke``: ``model``, ``api_url``, ``api_key``,
``datasets``, ``dataset_args``, ``limit``, ``eval_batch_size``, ``generation_config``) as an EvalHub evaluation, and
the answer in EvalScope's fields (``status``, ``task_id``, ``message``, ``result``, ``table``) beside EvalHub's."""
from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Dataset, EvalRun, ModelEndpoint, User
from app.services import endpoint_register, endpoints, evals
from app.services.datasets import catalog
from app.services.eval_reports import run_json
from app.services.outbound import OutboundRefused

KEYS = {"model", "api_url", "api_key", "datasets", "dataset_args", "limit", "eval_batch_size", "generation_config",
        "eval_type", "judge", "engine", "timeout_minutes", "wait", "timeout"}
GENERATION_KEYS = ("temperature", "max_tokens", "top_p")
EVAL_TYPES = {None, "openai_api", "service", "server"}
# EvalHub's field -> the body's, so an error names what the client sent
FIELDS = {"model_id": "model", "concurrency": "eval_batch_size", "judge_id": "judge",
          **{k: f"generation_config.{k}" for k in GENERATION_KEYS}}
STATUS = {"succeeded": "completed", "answered": "completed", "failed": "error", "cancelled": "stopped"}  # others: "ok" (accepted)


def _datasets(data: dict, user: User, errors: dict) -> list[dict]:
    names = data.get("datasets")
    names = [names] if isinstance(names, str) else names
    args = data.get("dataset_args") or {}
    if not isinstance(args, dict) or any(not isinstance(v, dict) for v in args.values()):
        errors["dataset_args"] = "Map each dataset name to an object such as {\"subset_list\": [...]}."
        args = {}
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        errors["datasets"] = "A list of the names of your datasets (or system ones) is required."
        return []
    limit = data.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        errors["limit"] = "A whole number of samples per subset (EvalHub does not take a fraction)."
    selections = []
    for name in names:
        dataset = db.session.scalar(catalog.visible(user).where(Dataset.name == name.strip()))
        if dataset is None:
            errors["datasets"] = f"No dataset named {name!r}."
            continue
        subsets = (args.get(name) or {}).get("subset_list") or []
        selections.append({"dataset_id": dataset.id, "subsets": subsets if isinstance(subsets, list) else [subsets],
                           "limit": limit if "limit" not in errors else None})
    return selections


def _model(data: dict, user: User, errors: dict) -> tuple[str, Any]:
    """``("url", base_url)`` when the body names an API (``api_url``), else ``("id", model id)`` of a model the
    user can use, named by its EvalHub name or id."""
    ref = data.get("model")
    if not isinstance(ref, (str, int)) or isinstance(ref, bool) or not str(ref).strip():
        errors["model"] = "The model name is required (the name the API serves, with api_url)."
        return "id", None
    if data.get("api_url") is not None:
        try:
            return "url", endpoint_register.api_base(data["api_url"])
        except OutboundRefused as exc:
            errors["api_url"] = str(exc)
            return "url", None
    return "id", _visible_model(user, ref, "model", errors)


def _visible_model(user: User, ref, field: str, errors: dict) -> int | None:
    """A model id from an id or a name the user can see."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return int(ref)
    found = db.session.scalar(endpoints.live_query(user).where(ModelEndpoint.name == str(ref).strip()))
    if found is None:
        errors[field] = f"No model named {ref!r}: give api_url (and api_key) to use a model by its API."
    return found.id if found else None


def from_evalscope(data: dict, user: User) -> tuple[dict, list[str]]:
    """Evaluation values for ``evals.create`` and the notes to tell the client; raises ``evals.EvalInvalid``
    (with the body's field names). A model named by ``api_url`` is the user's own with that URL, name and key, or
    is registered for them, once every other field is valid."""
    errors: dict[str, str] = {k: "Not supported by EvalHub." for k in sorted(set(data) - KEYS)}
    notes: list[str] = []
    if data.get("eval_type") not in EVAL_TYPES:
        errors["eval_type"] = "EvalHub evaluates models served over an OpenAI-compatible API (eval_type openai_api)."
    if data.get("api_key") is not None and not isinstance(data.get("api_key"), str):
        errors["api_key"] = "Must be a string."
    gen = data.get("generation_config") or {}
    if not isinstance(gen, dict):
        errors["generation_config"] = "Must be an object such as {\"temperature\": 0, \"max_tokens\": 1024}."
        gen = {}
    ignored = sorted(set(gen) - set(GENERATION_KEYS))
    if ignored:
        notes.append(f"generation_config {', '.join(ignored)} ignored: EvalHub sets temperature, max_tokens, top_p.")
    kind, model = _model(data, user, errors)
    values = {"datasets": _datasets(data, user, errors), "concurrency": data.get("eval_batch_size"),
              "engine": data.get("engine"), "timeout_minutes": data.get("timeout_minutes"),
              **{k: gen.get(k) for k in GENERATION_KEYS}}
    if data.get("judge") not in (None, ""):
        values["judge_id"] = _visible_model(user, data["judge"], "judge", errors)
    try:  # every other field first, so an invalid body registers no model
        batch = values["concurrency"]
        batch = 1 if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0 else batch  # clamped below
        evals.build(user, {**values, "model_id": model if kind == "id" else None, "concurrency": batch})
    except evals.EvalInvalid as exc:
        errors.update({FIELDS.get(k, k): v for k, v in exc.errors.items()
                       if not (k == "model_id" and kind == "url") and FIELDS.get(k, k) not in errors})
    if errors:
        raise evals.EvalInvalid(errors)
    if kind == "url":
        try:
            model = endpoint_register.register_or_match(user, model, str(data["model"]).strip(),
                                                        data.get("api_key") or None).id
        except endpoints.EndpointInvalid as exc:
            raise evals.EvalInvalid({{"base_url": "api_url", "model_name": "model", "name": "model"}.get(k, k): v
                                     for k, v in exc.errors.items()}) from exc
    values["model_id"] = model
    values["concurrency"] = _batch_size(values["concurrency"], db.session.get(ModelEndpoint, model), notes)
    return values, notes


def _batch_size(raw, model: ModelEndpoint, notes: list[str]):
    """``eval_batch_size`` within the model's limit: above it, the limit, with a note."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > model.max_concurrency:
        notes.append(f"eval_batch_size {raw} is above the limit of {model.name} ({model.max_concurrency} requests "
                     f"in flight): {model.max_concurrency} used.")
        return model.max_concurrency
    return raw


def answer(run: EvalRun, notes: list[str]) -> dict:
    """EvalHub's view of the run with EvalScope's fields: ``status`` completed | error | stopped (``ok`` while
    queued or running; EvalHub's own status is ``run_status``), ``task_id``, ``message``, ``result`` (a report per
    dataset, in EvalScope's shape) and ``table`` (Markdown)."""
    body = run_json(run)
    body.update(run_status=run.status, status=STATUS.get(run.status, "ok"), task_id=str(run.id), notes=notes,
                url=f"/api/v1/evals/{run.id}", result=reports(run), table=table(run))
    body["message"] = " ".join([_message(run), *notes])
    return body


def _message(run: EvalRun) -> str:
    if run.status == "succeeded":
        score = "no scored samples" if run.score is None else f"score {run.score:.4f}"
        return f"Evaluation #{run.id} of {run.endpoint_name} completed: {score}."
    if run.status == "failed":
        return f"Evaluation #{run.id} failed: {run.error or 'see its log'}"
    if run.status == "cancelled":
        return f"Evaluation #{run.id} was cancelled; finished samples are kept."
    return f"Evaluation #{run.id} is {run.status}: poll /api/v1/evals/{run.id} for its result."


def reports(run: EvalRun) -> dict | None:
    """``{dataset name: report}`` shaped as EvalScope's ``Report`` (one ``mean_acc`` metric, one category)."""
    datasets = (run.summary or {}).get("datasets") or []
    if not datasets:
        return None
    out = {}
    for d in datasets:
        subsets = [{"name": s["name"], "score": s["score"], "num": s["n"]} for s in d["subsets"]]
        metric = {"name": "mean_acc", "num": d["n"], "score": d["score"],
                  "categories": [{"name": ["default"], "num": d["n"], "score": d["score"], "subsets": subsets}]}
        out[d["name"]] = {"name": f"{run.endpoint_name}@{d['name']}", "dataset_name": d["name"],
                          "model_name": run.endpoint_name, "score": d["score"], "metrics": [metric]}
    return out


def table(run: EvalRun) -> str:
    """EvalScope's result table: one Markdown row per subset."""
    rows = [f"| {run.endpoint_name} | {d['name']} | mean_acc | {s['name']} | {s['n']} | "
            f"{'' if s['score'] is None else format(s['score'], '.4f')} |"
            for d in (run.summary or {}).get("datasets") or [] for s in d["subsets"]]
    if not rows:
        return ""
    return "\n".join(["| Model | Dataset | Metric | Subset | Num | Score |", "|---|---|---|---|---|---|", *rows])
