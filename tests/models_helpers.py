"""Shared test helpers for the model registry."""
from app.services import endpoints

SECRET_KEY_VALUE = "sk-test-SECRET-9f8e7d6c5b4a"


def make_model(owner, fake_llm, name="Echo", model_name="echo", system=False, **fields):
    """Register a model on the fake server for ``owner`` (a system one when ``system``)."""
    data = {"name": name, "base_url": fake_llm.base_url, "model_name": model_name, **fields}
    return endpoints.create(owner, data, system=system)
