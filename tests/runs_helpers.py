"""Helpers of the run-lifecycle fault tests: engine processes, request counts, sample rows."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun, EvalSample


def fresh(run_id: int) -> EvalRun:
    db.session.rollback()  # a fresh snapshot (REPEATABLE READ on MariaDB)
    return db.session.get(EvalRun, run_id)


def stored(run_id: int, final_only: bool = True, while_active: bool = True) -> int:
    """How many samples of the run the database holds (with a verdict, unless ``final_only`` is False); with
    ``while_active``, fails the test at once when the run already ended."""
    run = fresh(run_id)
    if while_active:
        assert run.status in ("queued", "running"), f"the run ended early: {run.status} {run.error}"
    query = sa.select(sa.func.count()).select_from(EvalSample).where(EvalSample.run_id == run_id)
    if final_only:
        query = query.where(EvalSample.verdict != "pending")
    return db.session.scalar(query)


def engine_pids(needle: str = "drivers/evalscope_eval.py", work_dir: str | None = None) -> list[int]:
    """PIDs of engine driver processes (of one work directory, when given)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit():
                continue
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue  # a zombie is dead; its parent just has not reaped it yet
        if needle.encode() in cmdline and (work_dir is None or work_dir.encode() in cmdline):
            found.append(int(entry.name))
    return found


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def asked(fake_llm, model_name: str, marker: str = r"\[Q(\d+)\]") -> Counter:
    """How many times the fake server was asked each tagged question by ``model_name``."""
    counts: Counter = Counter()
    for r in fake_llm.requests:
        if r["path"].endswith("/chat/completions") and (r["json"] or {}).get("model") == model_name:
            tags = re.findall(marker, r["json"]["messages"][-1]["content"])
            if tags:
                counts[int(tags[0])] += 1
    return counts


def repeated(counts: Counter) -> int:
    return sum(n - 1 for n in counts.values() if n > 1)
