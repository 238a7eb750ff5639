"""The OpenAPI document of ``/api/v1``. Each API module adds its paths with ``add_paths``."""
from __future__ import annotations

import copy

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}},
}

_SPEC: dict = {
    "openapi": "3.1.0",
    "info": {"title": "EvalHub API", "version": "1.0.0",
             "description": "Register models and datasets, run evaluations and benchmarks, read results."},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": ERROR_SCHEMA},
        "responses": {"Unauthorized": {"description": "Missing, invalid or revoked token.",
                                       "content": {"application/json": {
                                           "schema": {"$ref": "#/components/schemas/Error"}}}}},
    },
    "security": [{"bearer": []}],
    "paths": {},
}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Merge ``paths`` (and component ``schemas``) into the document."""
    for path, operations in paths.items():
        _SPEC["paths"].setdefault(path, {}).update(operations)
    _SPEC["components"]["schemas"].update(schemas or {})


def document() -> dict:
    return copy.deepcopy(_SPEC)
