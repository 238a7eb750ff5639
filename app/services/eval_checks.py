"""Checks at submit of what an engine cannot score in the rows a run would read, so it is refused with a clear
error instead of failing when it starts."""
from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

from app.engines.eval_inputs import pinned_subsets
from app.services.datasets.formats import answer_letters

ONE_ANSWER_ENGINES = {"opencompass"}  # their MCQ rule scores one letter per question


def several_answers(engine: str, selections: list[dict]) -> dict[str, str]:
    """``{"datasets": message}`` when ``engine`` scores one right option and a chosen MCQ question (within the
    chosen subsets, split and limit) has several; else ``{}``."""
    if engine not in ONE_ANSWER_ENGINES:
        return {}
    mcq = [s for s in selections if s["format"] == "mcq"]
    for _index, sel, _dataset, subset, records in pinned_subsets(SimpleNamespace(params={"datasets": mcq})):
        row = next((r for r in records if len(answer_letters(r["answer"]) or []) > 1), None)
        if row is not None:
            return {"datasets": str(_l(
                "%(engine)s scores questions with one right option, and %(name)s (subset %(subset)s) has "
                "questions with several, e.g. %(id)s \"%(question)s\": choose evalscope, which scores the whole set, "
                "or leave that subset out.", engine="OpenCompass", name=sel["name"], subset=subset,
                id=row.get("id") or "", question=str(row["question"])[:60]))}
    return {}
