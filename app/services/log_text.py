"""Engine logs as people read them: one function turns the raw lines a run wrote into what a user is shown.

Admins see the raw log (``readable(lines, raw=True)`` only drops blank lines); everyone else gets lines without
terminal colour codes, without progress-bar redraws (the page has its own progress bar) and without the server's
file-system paths (a path keeps only its last two parts: ``…/evalscope/run.py``).
"""
from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
#: tqdm and friends: "42%|████▏     | 21/50 [00:03<00:04, 6.1it/s]", "Processing: 21it [00:03, 6.1it/s]",
#: evalscope's "Evaluating[x] 100%| 10/10 [Elapsed: 00:00 < Remaining: 00:00, 23.41it/s]"
PROGRESS_BAR = re.compile(r"\d+%\||[\d.]+(?:it/s|s/it)\]|\d+it \[\d+:\d+")
PATH = re.compile(r"(?<![\w.:/~-])(?:/[\w.+@~-]+){2,}/?")


def _short_path(match: re.Match) -> str:
    parts = [p for p in match.group(0).split("/") if p]
    return "…/" + "/".join(parts[-2:])


def clean_line(line: str) -> str | None:
    """One line as a user reads it, or None when nothing is left worth showing."""
    text = ANSI.sub("", line).split("\r")[-1].rstrip()  # a carriage return redraws the line: keep its last state
    if not text.strip() or PROGRESS_BAR.search(text):
        return None
    return PATH.sub(_short_path, text)


def readable(lines: list[str], raw: bool = False) -> list[str]:
    """The log lines to show: raw ones (for admins) without blank lines, else cleaned (see ``clean_line``)."""
    if raw:
        return [line.rstrip() for line in lines if line.strip()]
    return [text for text in map(clean_line, lines) if text is not None]


def readable_text(text: str | None) -> str | None:
    """A multi-line message from an engine (a run's error) cleaned like its log lines, for the page."""
    if not text:
        return text
    return "\n".join(readable(text.split("\n"))) or text
