"""A run in stages, the same on every accuracy engine: ``answers`` (the model answers; judged subsets wait, each
answer ``pending`` unless rule first accepts it), then ``judge`` (only the stored answers still pending, replayed
into the engine's cache, go to the judge). A judge panel's run stops the engine after ``answers``: the worker asks
each judge itself (``in_process_stage``). ``eval_inputs.first_stage`` says where an attempt starts; a re-judge starts
at ``judge``."""
from __future__ import annotations

from pathlib import Path

from app.engines.base import Launch, Outcome
from app.engines import panel_judging
from app.engines.eval_inputs import last_error
from app.engines.eval_samples import finalize, pending_count, progress_from_rows, upsert_samples


class Staged:
    """Mixin of an accuracy engine with ``prepare(run, work_dir, resume, stage)``, a ``reader`` of what its engine
    wrote (``new_samples``, ``leftovers``, ``manifest``) and a ``stage_dir``: the stages, and progress and results
    read into the database the same way on every engine."""

    stage = "full"

    def ingest(self, run, work_dir: Path) -> int:
        """Store the answers and verdicts the engine wrote since the last call; returns how many rows changed."""
        rows = self.reader.new_samples()
        upsert_samples(rows)
        return len(rows)

    def progress(self, run, work_dir: Path) -> tuple[int, int]:
        done, total, per_dataset = progress_from_rows(run, self.reader.manifest["shape"])
        run.summary = {**(run.summary or {}), "progress": per_dataset}
        return done, total

    def collect(self, run, work_dir: Path, returncode: int | None, cancelled: bool) -> Outcome:
        self.ingest(run, work_dir)
        return finalize(run, self.reader.manifest, self.reader.leftovers(), returncode, cancelled,
                        last_error(self.stage_dir))

    def next_stage(self, run, work_dir: Path) -> Launch | None:
        """After a clean ``answers`` stage of a run with a judge: the ``judge`` stage on the answers still pending
        (in ``<work_dir>/judge``), else None. Samples the model did not answer are stored as errors first."""
        if self.stage != "answers" or run.params.get("answers_only") or not run.judge_endpoint_id:
            return None
        self.ingest(run, work_dir)
        upsert_samples(self.reader.leftovers())
        if not pending_count(run) or run.params.get("panel"):  # a panel judges in the worker (in_process_stage)
            return None
        return self.prepare(run, work_dir / "judge", stage="judge")

    def in_process_stage(self, run, check) -> str | None:
        """After the engine's clean last stage: a judge panel's stage (``panel_judging.judge_pending``), run in the
        worker; returns why it stopped early (``check()``'s reason), else None."""
        if self.stage != "answers" or not run.params.get("panel") or run.params.get("answers_only"):
            return None
        return panel_judging.judge_pending(run, check, getattr(self, "slot", None))
