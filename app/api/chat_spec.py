"""The OpenAPI description of the chat endpoints (app/api/chat.py)."""
from __future__ import annotations

_UNAUTH = {"$ref": "#/components/responses/Unauthorized"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERR = _json(_ref("Error"), "Error")
NOT_FOUND = _json(_ref("Error"), "Not one of your conversations")
ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SLOT = {"name": "slot", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 3}}
SSE = {"description": (
    "text/event-stream. Events: `start` {conversation_id, turn, user_message, slots}; `token` {slot, text} as each "
    "model's tokens arrive (slots interleave); `error` {slot, message} when a slot fails (the others go on); "
    "`done` {slot, message} with the saved answer (status complete | stopped | error, ttft_ms, latency_ms, "
    "tokens_per_s, usage) once per slot; `end` last. Closing the connection stops the models; the answers are "
    "saved as stopped."), "content": {"text/event-stream": {"schema": {"type": "string"}}}}
STREAM_ERRORS = {"404": NOT_FOUND, "409": _json(_ref("Error"), "An answer of the conversation is still streaming"),
                 "422": ERR, "401": _UNAUTH}

SCHEMAS = {
    "ChatSlot": {"type": "object", "properties": {
        "slot": {"type": "integer"}, "label": {"type": "string", "enum": ["A", "B", "C"]},
        "model_id": {"type": ["integer", "null"], "description": "NULL once the model is deleted"},
        "model_name": {"type": "string", "description": "Copy of the model's name, kept for history"},
        "system_prompt": {"type": "string"}, "temperature": {"type": ["number", "null"]},
        "max_tokens": {"type": ["integer", "null"]}}},
    "ChatSlotInput": {"type": "object", "required": ["model_id"], "properties": {
        "model_id": {"type": "integer", "description": "A system model or one of yours"},
        "system_prompt": {"type": "string", "maxLength": 20000},
        "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
        "max_tokens": {"type": ["integer", "null"], "minimum": 1}}},
    "ChatMessage": {"type": "object", "properties": {
        "id": {"type": "integer"}, "turn": {"type": "integer"},
        "slot": {"type": ["integer", "null"], "description": "NULL for the user's message"},
        "label": {"type": ["string", "null"]}, "role": {"type": "string", "enum": ["user", "assistant"]},
        "content": {"type": "string"},
        "status": {"type": "string", "enum": ["streaming", "complete", "stopped", "error"]},
        "error": {"type": ["string", "null"]}, "model_id": {"type": ["integer", "null"]},
        "model_name": {"type": ["string", "null"]}, "finish_reason": {"type": ["string", "null"]},
        "ttft_ms": {"type": ["number", "null"]}, "latency_ms": {"type": ["number", "null"]},
        "tokens_per_s": {"type": ["number", "null"]},
        "usage": {"type": "object", "properties": {"prompt_tokens": {"type": ["integer", "null"]},
                                                   "completion_tokens": {"type": ["integer", "null"]}}},
        "created_at": {"type": "string", "format": "date-time"}}},
    "Conversation": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "slots": {"type": "array", "items": _ref("ChatSlot")},
        "messages": {"type": "array", "items": _ref("ChatMessage"), "description": "Only on single reads"},
        "arena": {"type": "boolean", "description": "A blind arena battle"},
        "blind": {"type": "boolean", "description": "An arena battle before its vote: models unnamed"},
        "preferences": {"type": "array", "items": _ref("ChatVote")}}},
    "ChatVote": {"type": "object", "properties": {
        "turn": {"type": "integer"}, "choice": {"type": "string", "enum": ["A", "B", "C", "tie", "bad"]},
        "reason": {"type": ["string", "null"]}, "blind": {"type": "boolean"}}},
}


def openapi_paths() -> tuple[dict, dict]:
    """``(paths, schemas)`` for ``add_paths``."""
    conv = _json(_ref("Conversation"), "The conversation")
    paths = {
        "/conversations": {
            "get": {"summary": "Your conversations, most recently active first",
                    "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}},
                                   {"name": "per_page", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "items": {"type": "array", "items": _ref("Conversation")}, "page": {"type": "integer"},
                        "pages": {"type": "integer"}, "total": {"type": "integer"}}}, "A page"), "401": _UNAUTH}},
            "post": {"summary": "Start a conversation with one to three model slots",
                     "requestBody": _body({"type": "object", "required": ["slots"], "properties": {
                         "title": {"type": "string"},
                         "slots": {"type": "array", "minItems": 1, "maxItems": 3, "items": _ref("ChatSlotInput")}}}),
                     "responses": {"201": conv, "422": ERR, "401": _UNAUTH}}},
        "/conversations/{conversation_id}": {
            "parameters": [ID],
            "get": {"summary": "A conversation with its slots, messages and preferences",
                    "responses": {"200": conv, "404": NOT_FOUND, "401": _UNAUTH}},
            "patch": {"summary": "Rename", "requestBody": _body({"type": "object", "required": ["title"],
                                                                 "properties": {"title": {"type": "string"}}}),
                      "responses": {"200": conv, "404": NOT_FOUND, "422": ERR, "401": _UNAUTH}},
            "delete": {"summary": "Delete, with its messages", "responses": {
                "204": {"description": "Deleted"}, "404": NOT_FOUND, "401": _UNAUTH}}},
        "/conversations/{conversation_id}/messages": {
            "parameters": [ID],
            "post": {"summary": "Send a message to every slot; answers stream back as Server-Sent Events",
                     "requestBody": _body({"type": "object", "required": ["content"],
                                           "properties": {"content": {"type": "string"}}}),
                     "responses": {"200": SSE, **STREAM_ERRORS}}},
        "/conversations/{conversation_id}/slots/{slot}/regenerate": {
            "parameters": [ID, SLOT],
            "post": {"summary": "Answer the last message again in one slot (replaces its answer)",
                     "responses": {"200": SSE, **STREAM_ERRORS}}},
        "/conversations/{conversation_id}/stop": {
            "parameters": [ID],
            "post": {"summary": "Stop the answers still streaming (saved as stopped)", "responses": {
                "200": _json({"type": "object", "properties": {"stopping": {"type": "boolean"}}}, "Stopping"),
                "404": NOT_FOUND, "401": _UNAUTH}}},
        "/conversations/{conversation_id}/preferences": {
            "parameters": [ID],
            "post": {"summary": "Record which answer of a turn is better (A, B, C, tie, or bad: all bad)",
                     "description": "In an arena battle the vote judges the last turn (`turn` may be left out), "
                                    "once every answer is in; it is final and reveals the models.",
                     "requestBody": _body({"type": "object", "required": ["choice"], "properties": {
                         "turn": {"type": "integer"},
                         "choice": {"type": "string", "enum": ["A", "B", "C", "tie", "bad"]},
                         "reason": {"type": ["string", "null"], "maxLength": 500}}}),
                     "responses": {"200": _json({"allOf": [_ref("ChatVote"), {"type": "object", "properties": {
                         "slots": {"type": "array", "items": _ref("ChatSlot")}}}]}, "Recorded; the slots, named"),
                                   "404": NOT_FOUND, "409": _json(_ref("Error"), "An arena vote already cast, or "
                                                                  "answers still streaming"),
                                   "422": ERR, "401": _UNAUTH}}},
    }
    return paths, SCHEMAS
