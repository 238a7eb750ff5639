"""Shown in the reader's language: sentences that were stored in English (by workers, which have no request).

Run notes and errors, model check messages, dataset version notes and chat errors are written once, in English,
into the database. ``translate(text)`` finds each known sentence in such a text (numbers, names and the like are
kept) and replaces it with the current language's version; anything else is left as it was. Templates use the
``|stored`` filter.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext


def N_(message: str) -> str:
    """Marks ``message`` for extraction (translated when shown, by ``translate``)."""
    return message


#: Longer sentences first: a shorter one may be part of a longer one.
STORED = (
    N_("All %(n)s requests failed. The model answered the test request before the run, so it failed under load "
       "(overloaded, rate limited or out of capacity): its own logs say why."),
    N_("The worker running this job stopped (killed, crashed or restarted) without finishing it."),
    N_("Finished samples are kept: resume to continue from where it stopped."),
    N_("Cancelled with %(n)s of %(total)s samples answered; resume to finish."),
    N_("%(n)s of %(total)s samples failed (see the samples marked error)."),
    N_("The engine exited with code %(code)s and scored nothing."),
    N_("The engine stopped before it read any data."),
    N_("Cancelled; the %(n)s finished level(s) are kept."),
    N_("Cancelled before it started."),
    N_("Cancelled."),
    N_("%(n)s of %(total)s requests failed."),
    N_("No results for concurrency %(levels)s: %(why)s"),
    N_("Waits for benchmark #%(id)s on the same model"),
    N_("Waiting: another benchmark is measuring this model; this one starts when it ends."),
    N_("Waiting: %(n)s evaluation(s) on this model must finish first, so the benchmark measures an idle server."),
    N_("Yours: %(runs)s."),
    N_("Waiting: your benchmark %(run)s is measuring this model; the evaluation starts when it ends."),
    N_("Waiting: a benchmark is measuring this model; the evaluation starts when it ends."),
    N_("Cancelled while it waited for its model."),
    N_("Connected: first token in %(ttft)s ms, answer in %(total)s ms."),
    N_("The model is listed by GET /models."),
    N_("Note: GET /models does not list this model name."),
    N_("Timed out: the server did not answer in time. Is it overloaded, or is the URL right?"),
    N_("Rejected the API key (401): check the key."),
    N_("Access denied (403): the key has no right to this model."),
    N_("Not found (404): the base URL's path or the model name is wrong (base URLs usually end in /v1)."),
    N_("Rate limited (429): the server asks to slow down; try again later or lower the concurrency."),
    N_("The server answered HTTP %(code)s"),
    N_("The host name does not resolve: check the base URL."),
    N_("Connection refused: nothing listens at that host and port."),
    N_("TLS failed: the certificate is invalid or the server does not speak HTTPS on that port."),
    N_("Could not connect: %(cause)s"),
    N_("Interrupted: the server stopped while this answer was streaming."),
    N_("Uploaded %(file)s (%(rows)s rows)"),
    N_("Reloaded %(file)s"),
    N_("Added row %(id)s"),
    N_("Edited row %(id)s"),
    N_("Deleted row %(id)s"),
    N_("Renamed subset %(old)s to %(new)s"),
)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=None)
def _pattern(message: str) -> re.Pattern:
    """The English sentence as a pattern: each placeholder matches some text (the last one, the rest of the line)."""
    parts = PLACEHOLDER.split(message)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            last = i == len(parts) - 2 and parts[-1] == ""
            out.append(f"(?P<{part}>.+)" if last else f"(?P<{part}>.+?)")
    return re.compile("".join(out))


def translate(text: str | None) -> str | None:
    """``text`` with every known English sentence in it shown in the current language."""
    if not text:
        return text
    for message in STORED:
        local = gettext(message)
        if local == message:
            continue
        text = _pattern(message).sub(lambda m, local=local: local % m.groupdict(), text)
    return text
