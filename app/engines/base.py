"""The engine interface: write a run's inputs into its work directory, start the engine as a subprocess,
report progress, collect results into the database. workers/runner.py drives it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass
class Launch:
    """How to start the engine: argv, extra environment, and the log file it writes."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_file: str = "engine.log"


@dataclass
class Outcome:
    """What the engine's output files say (its exit code alone is never trusted)."""

    ok: bool
    error: str | None = None
    note: str | None = None
    status: str | None = None  # the final status when ok, if not "succeeded" (an evaluation's "answered")


class Engine(Protocol):
    name: str

    def available(self) -> tuple[bool, str]:
        """Whether the engine can run here, and if not, what to install."""

    def prepare(self, run, work_dir: Path, resume: bool) -> Launch:
        """Write inputs and config into ``work_dir``; returns the command to start."""

    def progress(self, run, work_dir: Path) -> tuple[int, int]:
        """(done, total) read from the engine's output files."""

    def collect(self, run, work_dir: Path, returncode: int | None, cancelled: bool) -> Outcome:
        """Read results into the database (also partial ones after a cancel); decide success."""


def api_url(engine, endpoint) -> str:
    """The URL the engine's subprocess uses for ``endpoint``: the run's scheduling proxy when the runner gave the
    engine a ``route`` (see app/services/scheduler/proxy.py), else the endpoint's own base URL."""
    route = getattr(engine, "route", None)
    return route(endpoint) if route else endpoint.base_url
