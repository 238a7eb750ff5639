"""Arena battles: a chat of two or three models, picked by the user or drawn at random from the models they may use,
placed in random slots and shown as "Model A/B/C" until the one vote, which is final and reveals them
(``conversations.set_preference``; the JSON views blind themselves: ``chat_json``)."""
from __future__ import annotations

import random
from typing import Any

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Conversation, ModelEndpoint, User
from app.services import conversations, endpoints
from app.services.conversations import ChatInvalid

SIZES = (2, 3)
_RANDOM = random.SystemRandom()


def _ids(raw: Any) -> list[int]:
    """Distinct model ids, in the given order; raises ChatInvalid when one is not a whole number."""
    if raw is None:
        return []
    if not isinstance(raw, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in raw):
        raise ChatInvalid({"models": str(_l("Send model ids as a list of whole numbers."))})
    return list(dict.fromkeys(raw))


def start(user: User, models: Any = None, count: Any = 2) -> Conversation:
    """A blind battle of ``user``: the ``models`` picked (ids of models they may use), topped up to ``count`` (2 or
    3) by models drawn at random from the others they may use, in shuffled slots. Raises ChatInvalid."""
    picked = _ids(models)
    if isinstance(count, bool) or count not in SIZES:
        raise ChatInvalid({"count": str(_l("An arena battle has two or three models."))})
    count = max(count, len(picked))
    if count > max(SIZES):
        raise ChatInvalid({"models": str(_l("Pick at most three models."))})
    usable = list(db.session.scalars(endpoints.live_query(user).with_only_columns(ModelEndpoint.id)))
    if any(i not in usable for i in picked):
        raise ChatInvalid({"models": str(_l("Pick models you may use."))})
    others = [i for i in usable if i not in picked]
    if len(picked) + len(others) < count:
        raise ChatInvalid({"models": str(_l("An arena needs %(n)d models you may use; you have %(have)d.",
                                            n=count, have=len(usable)))})
    chosen = picked + _RANDOM.sample(others, count - len(picked))
    _RANDOM.shuffle(chosen)  # whoever picked the models still cannot tell which slot holds which
    return conversations.create(user, [{"model_id": i} for i in chosen], arena=True)
