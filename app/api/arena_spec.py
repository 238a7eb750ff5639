"""The OpenAPI description of the arena endpoints (app/api/arena.py)."""
from __future__ import annotations

from app.api.chat_spec import ERR, _UNAUTH, _body, _json, _ref

_ROW = {"type": "object", "properties": {
    "model": {"type": "string"}, "model_id": {"type": "integer"}, "system": {"type": "boolean"},
    "rating": {"type": "number", "description": "Bradley–Terry strength on the Elo scale (1000 + 400·log10)"},
    "ci": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
           "description": "95% interval [low, high]: the wider of seeded bootstrap resamples of the pairwise "
                          "outcomes and the normal approximation"},
    "rank": {"type": "integer", "description": "1 + the number of models whose lower bound is above this upper bound"},
    "votes": {"type": "integer", "description": "Votes on this model, not counting all-bad ones"},
    "wins": {"type": "integer"}, "ties": {"type": "integer"}, "losses": {"type": "integer"},
    "all_bad": {"type": "integer", "description": "All-bad votes (left out of the fit)"},
    "needs_more_votes": {"type": "boolean", "description": "Fewer votes than `min_votes`"}}}
_BOARD = {"type": "object", "properties": {
    "votes": {"type": "integer"}, "all_bad": {"type": "integer"},
    "rows": {"type": "array", "items": _ref("ArenaRow")}}}


def openapi_paths() -> tuple[dict, dict]:
    """``(paths, schemas)`` for ``add_paths``."""
    paths = {
        "/arena": {"post": {
            "summary": "Start a blind battle of two or three models",
            "description": "The models picked (ids of models you may use), topped up to `count` by models drawn at "
                           "random from the ones you may use, in shuffled slots. Until its vote the conversation is "
                           "`blind`: no model name, id, error text or measurement in its JSON or its stream. Send "
                           "messages with `POST /conversations/{id}/messages`; vote with `POST "
                           "/conversations/{id}/preferences` (`choice` A | B | C | tie | bad, optional `reason`; "
                           "`turn` may be left out): the vote judges the last turn, is final (409 afterwards) and "
                           "reveals the names; the battle then takes no more messages (409).",
            "requestBody": _body({"type": "object", "properties": {
                "models": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
                "count": {"type": "integer", "enum": [2, 3], "default": 2}}}),
            "responses": {"201": _json(_ref("Conversation"), "The battle (a blind conversation)"), "422": ERR,
                          "401": _UNAUTH}}},
        "/arena/leaderboard": {"get": {
            "summary": "Human-preference leaderboard: Bradley–Terry ratings of the chat votes, blind and named apart",
            "description": "Votes of every user, per model, among the models you may use (system models and yours "
                           "only: a vote involving any other model is left out). The winner beats each other model "
                           "of its vote; a tie is half a win each way; all-bad votes are left out of the fit and "
                           "counted per model. 95% intervals: the wider of seeded bootstrap resamples and the "
                           "normal approximation; `blind` holds the arena's votes, `named` those of normal chats, where the voter knew the models.",
            "responses": {"200": _json(_ref("ArenaLeaderboard"), "The boards"), "401": _UNAUTH}}},
    }
    schemas = {"ArenaRow": _ROW, "ArenaLeaderboard": {"type": "object", "properties": {
        "min_votes": {"type": "integer"}, "resamples": {"type": "integer"}, "blind": _BOARD, "named": _BOARD}}}
    return paths, schemas
