"""The OpenAPI description of the dataset endpoints (app/api/datasets.py)."""
from __future__ import annotations


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, kind: str = "string", where: str = "query", description: str = "") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": {"type": kind},
            "description": description}


ERR = _json(_ref("Error"), "Error")
ID = _param("dataset_id", "integer", "path")
ROW_ID = _param("row_id", "integer", "path", "The row's ``row_id`` (each edit gives the row a new one).")
VERSION = _param("version", "integer", description="A version number; the current version when omitted.")
PAGING = [_param("page", "integer"), _param("per_page", "integer", description="1 to 200")]
ROW_BODY = {"required": True, "content": {"application/json": {"schema": _ref("RowInput")}}}
VERSION_ONLY = _json({"type": "object", "properties": {"version": {"type": "integer"}}}, "The new version")
ROW_SAVED = {"type": "object", "properties": {"version": {"type": "integer"}, "row": _ref("DatasetRow")}}


def openapi_paths() -> tuple[dict, dict]:
    """``(paths, schemas)`` for ``add_paths``."""
    paths = {
        "/datasets": {
            "get": {"summary": "Datasets you can read (system and yours)", "parameters": [_param("q"), *PAGING],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "items": {"type": "array", "items": _ref("Dataset")}, "total": {"type": "integer"},
                        "page": {"type": "integer"}, "pages": {"type": "integer"}}}, "A page of datasets"),
                        "401": {"$ref": "#/components/responses/Unauthorized"}}},
            "post": {"summary": "Upload a dataset (all rows are validated first; any bad row stores nothing)",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["file", "name", "format"], "properties": {
                             "file": {"type": "string", "format": "binary",
                                      "description": ".jsonl, .json (array), .csv or .xlsx"},
                             "name": {"type": "string"}, "format": {"type": "string", "enum": ["mcq", "qa"]},
                             "description": {"type": "string"},
                             "subset": {"type": "string", "description": "for rows without a subset column"},
                             "split": {"type": "string", "description": "for rows without a split column"},
                             **{f"{f}_column": {"type": "string"} for f in ("question", "answer", "id", "subset",
                                                                            "split")},
                             "system": {"type": "boolean", "description": "admins only"}}}}}},
                     "responses": {"201": _json(_ref("Dataset"), "The new dataset"), "409": ERR, "413": ERR,
                                   "422": _json(_ref("Error"), "Invalid: fields.file lists each bad row by line")}}},
        "/datasets/{dataset_id}": {
            "get": {"summary": "A dataset with its dataset_info and versions", "parameters": [ID],
                    "responses": {"200": _json(_ref("Dataset"), "The dataset"), "404": ERR}},
            "delete": {"summary": "Delete a dataset (pinned versions stay readable to reports)", "parameters": [ID],
                       "responses": {"204": {"description": "Deleted"}, "403": ERR, "404": ERR}}},
        "/datasets/{dataset_id}/rows": {
            "get": {"summary": "Rows of a version in position order",
                    "parameters": [ID, VERSION, _param("subset"), _param("split"),
                                   _param("q", description="text in the question"), *PAGING],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "version": {"type": "integer"}, "items": {"type": "array", "items": _ref("DatasetRow")},
                        "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}},
                        "A page of rows"), "404": ERR}},
            "post": {"summary": "Add a row (makes a new version)", "parameters": [ID], "requestBody": ROW_BODY,
                     "responses": {"201": _json(ROW_SAVED, "Saved"), "403": ERR, "404": ERR, "422": ERR}}},
        "/datasets/{dataset_id}/rows/{row_id}": {
            "patch": {"summary": "Change fields of a current row (makes a new version)",
                      "parameters": [ID, ROW_ID], "requestBody": ROW_BODY,
                      "responses": {"200": _json(ROW_SAVED, "Saved"), "403": ERR, "404": ERR, "409": ERR,
                                    "422": ERR}},
            "delete": {"summary": "Delete a current row (makes a new version)", "parameters": [ID, ROW_ID],
                       "responses": {"200": VERSION_ONLY, "403": ERR, "404": ERR, "409": ERR}}},
        "/datasets/{dataset_id}/subsets/rename": {
            "post": {"summary": "Rename a subset (makes a new version)", "parameters": [ID],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "properties": {"from": {"type": "string"}, "to": {"type": "string"}}}}}},
                     "responses": {"200": VERSION_ONLY, "403": ERR, "404": ERR, "422": ERR}}},
        "/datasets/{dataset_id}/export": {
            "get": {"summary": "Download a version as JSON Lines or CSV",
                    "parameters": [ID, VERSION, {**_param("format"), "schema": {"type": "string",
                                                                                "enum": ["jsonl", "csv"]}}],
                    "responses": {"200": {"description": "The file", "content": {
                        "application/x-ndjson": {}, "text/csv": {}}}, "404": ERR}}},
    }
    record = {"id": {"type": "string"}, "subset": {"type": "string"}, "split": {"type": "string"},
              "question": {"type": "string"}, "answer": {"type": "string",
                                                         "description": "mcq: letters such as B or A,C"},
              **{letter: {"type": "string"} for letter in "ABCDEFGHIJ"}, "explanation": {"type": "string"},
              "system": {"type": "string"}, "context": {"type": "string"},
              "alternatives": {"type": "array", "items": {"type": "string"}}}
    schemas = {
        "Dataset": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "format": {"type": "string", "enum": ["mcq", "qa"]},
            "description": {"type": "string"}, "system": {"type": "boolean"}, "owner": {"type": ["string", "null"]},
            "current_version": {"type": "integer"}, "rows": {"type": "integer"},
            "dataset_info": {"type": "object", "description": "rows, subsets, splits, counts, fields"},
            "source": {"type": ["string", "null"]}, "license": {"type": ["string", "null"]},
            "url": {"type": ["string", "null"]}, "versions": {"type": "array", "items": {"type": "object"}}}},
        "DatasetRow": {"type": "object", "properties": {"row_id": {"type": "integer"},
                                                        "position": {"type": "integer"}, **record}},
        "RowInput": {"type": "object", "properties": record},
    }
    return paths, schemas
