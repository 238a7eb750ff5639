"""The human-preference leaderboard: a Bradley–Terry fit of the chat votes with seeded bootstrap intervals, blind
(arena) votes and named ones (a normal chat, where the voter knew the models) on separate boards.

Which votes a viewer's board holds: the votes of every user, aggregated per model (a registry entry), but only
votes whose every model the viewer may use (the system models and the viewer's own). A battle with another user's
private model, or a deleted one, is left out: neither its name nor its effect on the other ratings shows.

How a vote counts: the winner beats each other model of the vote; a tie is half a win each way between every pair;
"all bad" says nothing about which is better, so it is left out of the fit and counted per model apart.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ChatMessage, ModelEndpoint, Preference, User
from app.models.chat import slot_label
from app.services import endpoints, stats
from app.services.stats.ratings import Outcome

RESAMPLES = 200


def outcomes(choice: str, models: dict[int, int]) -> list[Outcome]:
    """The pairwise outcomes of one vote; ``models`` maps each slot to its model."""
    slots = sorted(models)
    if choice == "tie":
        pairs = [(models[a], models[b], 0.5) for a, b in combinations(slots, 2)]
    else:
        winner = next((s for s in slots if slot_label(s) == choice), None)
        pairs = [] if winner is None else [(models[winner], models[s], 1.0) for s in slots if s != winner]
    return [pair for pair in pairs if pair[0] != pair[1]]  # a model against itself says nothing


def _votes(viewer: User) -> tuple[dict[int, ModelEndpoint], dict[bool, list[tuple[str, dict[int, int]]]]]:
    """The models ``viewer`` may use, and per kind (blind or not) the votes among them: ``(choice, {slot: id})``."""
    visible = {m.id: m for m in db.session.scalars(endpoints.live_query(viewer))}
    rows = db.session.execute(
        sa.select(Preference.id, Preference.blind, Preference.choice, ChatMessage.slot, ChatMessage.endpoint_id)
        .join(ChatMessage, sa.and_(ChatMessage.conversation_id == Preference.conversation_id,
                                   ChatMessage.turn == Preference.turn, ChatMessage.slot.is_not(None)))
        .order_by(Preference.id, ChatMessage.slot))
    grouped: dict[int, tuple[bool, str, dict[int, int | None]]] = {}
    for pref_id, blind, choice, slot, endpoint_id in rows:
        grouped.setdefault(pref_id, (blind, choice, {}))[2][slot] = endpoint_id
    votes: dict[bool, list] = {True: [], False: []}
    for blind, choice, models in grouped.values():
        if len(models) >= 2 and all(i in visible for i in models.values()):
            votes[bool(blind)].append((choice, models))
    return visible, votes


def _board(votes: list[tuple[str, dict[int, int]]], visible: dict[int, ModelEndpoint], min_votes: int) -> dict:
    """Ratings with 95% intervals, rank with ties, and per model its votes, wins, ties, losses and "all bad"."""
    tally: dict[int, dict[str, int]] = defaultdict(lambda: {"votes": 0, "wins": 0, "ties": 0, "losses": 0,
                                                            "all_bad": 0})
    played: list[Outcome] = []
    groups: list[int] = []  # each outcome's vote: the bootstrap resamples whole votes
    for number, (choice, models) in enumerate(votes):
        for slot, model_id in models.items():
            counts = tally[model_id]
            if choice == "bad":
                counts["all_bad"] += 1
                continue
            counts["votes"] += 1
            counts["wins" if choice == slot_label(slot) else "ties" if choice == "tie" else "losses"] += 1
        pairs = outcomes(choice, models)
        played.extend(pairs)
        groups.extend([number] * len(pairs))
    fitted = stats.bradley_terry_intervals(played, resamples=RESAMPLES, groups=groups)
    rows = [{"model": visible[i].name, "model_id": i, "system": visible[i].is_system,
             "rating": round(fit["rating"], 1), "ci": [round(v, 1) for v in fit["ci"]], **tally[i],
             "needs_more_votes": tally[i]["votes"] < min_votes} for i, fit in fitted.items()]
    rows.sort(key=lambda r: (-r["rating"], r["model"]))
    for row, rank in zip(rows, stats.rank_with_ties([tuple(r["ci"]) for r in rows])):
        row["rank"] = rank
    return {"votes": sum(1 for choice, _m in votes if choice != "bad"),
            "all_bad": sum(1 for choice, _m in votes if choice == "bad"), "rows": rows}


def board(viewer: User) -> dict:
    """The leaderboard as ``viewer`` sees it: ``blind`` (arena votes) and ``named`` (chat votes) boards."""
    visible, votes = _votes(viewer)
    min_votes = current_app.config["ARENA_MIN_VOTES"]
    return {"min_votes": min_votes, "resamples": RESAMPLES, "blind": _board(votes[True], visible, min_votes),
            "named": _board(votes[False], visible, min_votes)}
