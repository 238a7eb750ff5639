"""Benchmarks (evalscope perf): the form's rules, EvalScope-style API bodies, and lookups scoped to the user.

The page and the API hand raw values to ``validate``: it is the one place the rules live. Submission, the
cancel live in app/services/perf_queue.py; reports, exports and comparisons in
app/services/perf_report.py.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Dataset, ModelEndpoint, PerfRun, User
from app.services import endpoint_register, endpoints, ownership, runs
from app.services.datasets import catalog
from app.services.outbound import OutboundRefused, guard
from app.services.validation import is_blank, number

PROMPT_SOURCES = ("synthetic", "dataset")
MAX_LEVELS = 12
DEFAULTS = {"prompt_source": "synthetic", "prompt_length": 128, "concurrency": [1, 4], "number": [20],
            "rate": None, "max_tokens": 256, "stream": True, "temperature": 0.0, "timeout_minutes": 30,
            "sleep_interval": 5}


class PerfInvalid(ValueError):
    """Bad input; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# -- validation --------------------------------------------------------------------------------------------------
def _int_list(raw: Any, low: int, high: int, field: str, errors: dict) -> list[int] | None:
    """``"1, 4, 16"``, ``[1, 4, 16]`` or ``4`` as a list of whole numbers within [low, high]."""
    if isinstance(raw, str):
        items: list = [p for p in re.split(r"[\s,;]+", raw.strip()) if p]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    elif raw is None:
        items = []
    else:
        items = [raw]
    if not items:
        errors[field] = str(_l("Give at least one value, e.g. 1, 4, 16."))
        return None
    values = []
    for item in items:
        value = number(item, int, low, high, field, errors)
        if value is None:
            errors[field] = str(_l("Whole numbers from %(low)s to %(high)s, separated by commas (e.g. 1, 4, 16).",
                                   low=low, high=high))
            return None
        values.append(value)
    return values


def _bool(raw: Any, field: str, errors: dict, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "yes", "on", "y", "0", "false", "no", "off", "n"}:
        return raw.strip().lower() in {"1", "true", "yes", "on", "y"}
    errors[field] = str(_l("Must be true or false."))
    return default


def _endpoint(raw: Any, user: User, errors: dict) -> ModelEndpoint | None:
    model_id = number(raw, int, 1, 2**31, "endpoint_id", errors)
    endpoint = None if model_id is None else db.session.scalar(
        ownership.visible_query(ModelEndpoint, user).where(ModelEndpoint.id == model_id,
                                                          ModelEndpoint.deleted_at.is_(None)))
    if endpoint is None:
        errors["endpoint_id"] = str(_l("Choose one of your models."))
        return None
    try:
        guard(endpoint)  # at submit too, not only before the worker's test request
    except OutboundRefused as exc:
        errors["endpoint_id"] = str(exc)
    return endpoint


def _dataset(raw: Any, user: User, errors: dict) -> Dataset | None:
    dataset_id = number(raw, int, 1, 2**31, "dataset_id", errors)
    dataset = None if dataset_id is None else db.session.scalar(
        catalog.visible(user).where(Dataset.id == dataset_id))
    if dataset is None:
        errors["dataset_id"] = str(_l("Choose one of your datasets."))
    elif not dataset.row_count:
        errors["dataset_id"] = str(_l("This dataset has no rows."))
    return dataset


def validate(data: dict, user: User) -> tuple[ModelEndpoint, dict]:
    """The model and the run's ``params`` from the form or API values; raises ``PerfInvalid``."""
    errors: dict[str, str] = {}
    endpoint = _endpoint(data.get("endpoint_id"), user, errors)
    params: dict[str, Any] = {}
    source = str(data.get("prompt_source") or DEFAULTS["prompt_source"]).strip()
    if source not in PROMPT_SOURCES:
        errors["prompt_source"] = str(_l("Choose synthetic prompts or a dataset."))
    elif source == "dataset":
        dataset = _dataset(data.get("dataset_id"), user, errors)
        if dataset is not None:
            params.update(dataset_id=dataset.id, dataset_name=dataset.name, dataset_version=dataset.current_version)
    else:
        params["prompt_length"] = number(data.get("prompt_length"), int, 1, 32768, "prompt_length", errors,
                                       DEFAULTS["prompt_length"])
    concurrency = _int_list(data.get("concurrency", DEFAULTS["concurrency"]), 1, 1024, "concurrency", errors)
    if concurrency and len(concurrency) > MAX_LEVELS:
        errors["concurrency"] = str(_l("At most %(n)d levels.", n=MAX_LEVELS))
    elif concurrency and len(set(concurrency)) != len(concurrency):
        errors["concurrency"] = str(_l("Each concurrency level once, please."))
    numbers = _int_list(data.get("number", DEFAULTS["number"]), 1, 100_000, "number", errors)
    if numbers and concurrency and len(numbers) not in (1, len(concurrency)):
        errors["number"] = str(_l("Give one number for all levels, or one per level (%(n)d).", n=len(concurrency)))
    rate = data.get("rate")
    if not is_blank(rate) and rate not in (-1, "-1"):
        rate = number(rate, float, 0.01, 100_000, "rate", errors)
    else:
        rate = None
    params.update(
        prompt_source=source, concurrency=concurrency, rate=rate,
        number=(numbers * len(concurrency) if numbers and concurrency and len(numbers) == 1 else numbers),
        max_tokens=number(data.get("max_tokens"), int, 1, 131_072, "max_tokens", errors, DEFAULTS["max_tokens"]),
        stream=_bool(data.get("stream"), "stream", errors, DEFAULTS["stream"]),
        temperature=number(data.get("temperature"), float, 0.0, 2.0, "temperature", errors, DEFAULTS["temperature"]),
        timeout_minutes=number(data.get("timeout_minutes"), int, 1, current_app.config.get("RUN_MAX_MINUTES", 1440),
                             "timeout_minutes", errors, DEFAULTS["timeout_minutes"]),
        sleep_interval=number(data.get("sleep_interval"), int, 0, 600, "sleep_interval", errors,
                            DEFAULTS["sleep_interval"]))
    if errors:
        raise PerfInvalid(errors)
    params["timeout_seconds"] = runs.job_timeout_seconds(params["timeout_minutes"])
    params["model"] = {"id": endpoint.id, "name": endpoint.name, "base_url": endpoint.base_url,
                       "model_name": endpoint.model_name}
    return endpoint, params


# -- the body of EvalScope's own service (POST /api/v1/perf/invoke) ------------------------------------------------
EVALSCOPE_KEYS = {"model", "url", "api", "api_key", "number", "parallel", "rate", "dataset", "max_tokens",
                  "temperature", "stream", "prompt_length", "timeout_minutes", "sleep_interval"}
SYNTHETIC_NAMES = {"random", "synthetic"}


def _register(user: User, base_url: str, model: str, api_key: str | None) -> ModelEndpoint:
    try:
        return endpoint_register.register_or_match(user, base_url, model, api_key)
    except endpoints.EndpointInvalid as exc:
        fields = {"base_url": "url", "model_name": "model", "name": "model", "api_key": "api_key"}
        raise PerfInvalid({fields.get(k, k): v for k, v in exc.errors.items()}) from exc


def from_evalscope(data: dict, user: User) -> dict:
    """Form values from an EvalScope-style body (``model``, ``url``, ``parallel``...). The model is one of the user's
    own with that base URL, name and key, or a new model of the user's registered from them (never a system one:
    see ``_register``)."""
    errors: dict[str, str] = {}
    model = str(data.get("model") or "").strip()
    if not model:
        errors["model"] = str(_l("The model name the API knows is required, e.g. gpt-4o-mini."))
    if str(data.get("api") or "openai") != "openai":
        errors["api"] = str(_l("Only api \"openai\" (chat/completions) is supported."))
    base_url = ""
    try:
        base_url = endpoint_register.api_base(data.get("url"))
    except OutboundRefused as exc:
        errors["url"] = str(exc)
    api_key = data.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        errors["api_key"] = str(_l("Must be a string."))
    form: dict[str, Any] = {"prompt_source": "synthetic"}
    dataset = data.get("dataset")
    if isinstance(dataset, int) or (isinstance(dataset, str) and dataset.strip().isdigit()):
        form.update(prompt_source="dataset", dataset_id=dataset)
    elif isinstance(dataset, str) and dataset.strip() and dataset.strip().lower() not in SYNTHETIC_NAMES:
        found = db.session.scalar(catalog.visible(user).where(Dataset.name == dataset.strip()))
        if found is None:
            errors["dataset"] = str(_l("Use \"random\" for synthetic prompts, or the id or name of one of your "
                                       "datasets (EvalHub does not download evalscope's datasets)."))
        else:
            form.update(prompt_source="dataset", dataset_id=found.id)
    if errors:
        raise PerfInvalid(errors)
    form.update({k: data[k] for k in ("number", "rate", "max_tokens", "temperature", "stream", "prompt_length",
                                      "timeout_minutes", "sleep_interval") if k in data})
    form["concurrency"] = data.get("parallel", 1)
    try:  # the other fields first, so an invalid body registers no model
        validate({**form, "endpoint_id": None}, user)
    except PerfInvalid as exc:
        names = {"concurrency": "parallel", "dataset_id": "dataset"}
        rest = {names.get(k, k): v for k, v in exc.errors.items() if k != "endpoint_id"}
        if rest:
            raise PerfInvalid(rest) from exc
    form["endpoint_id"] = _register(user, base_url, model, api_key or None).id
    return form


# -- lookups -----------------------------------------------------------------------------------------------------
def get_visible(user: User, run_id: int) -> PerfRun:
    """A run of ``user``, else 404."""
    return ownership.get_visible_or_404(PerfRun, run_id, user)


def history(user: User, status: str | None = None, endpoint_id: int | None = None, q: str = "") -> sa.Select:
    """The user's runs, newest first, optionally of one status, one model, or a model name containing ``q``."""
    query = sa.select(PerfRun).where(PerfRun.owner_id == user.id)
    if status:
        query = query.where(PerfRun.status == status)
    if endpoint_id:
        query = query.where(PerfRun.endpoint_id == endpoint_id)
    if q:
        query = query.where(sa.func.lower(PerfRun.endpoint_name).contains(q.lower(), autoescape=True))
    return query.order_by(PerfRun.id.desc())


def endpoints_in_history(user: User) -> list[tuple[int, str]]:
    """(id, name) of the models the user's runs used, for the history filter."""
    rows = db.session.execute(sa.select(PerfRun.endpoint_id, PerfRun.endpoint_name)
                              .where(PerfRun.owner_id == user.id, PerfRun.endpoint_id.is_not(None))
                              .group_by(PerfRun.endpoint_id, PerfRun.endpoint_name)
                              .order_by(PerfRun.endpoint_name)).all()
    return [(r[0], r[1]) for r in rows]
