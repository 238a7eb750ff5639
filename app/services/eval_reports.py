"""Reading finished evaluations: the JSON view of a run and its samples, exports (CSV, JSON, XLSX)."""
from __future__ import annotations

import io
import json

import sqlalchemy as sa
from flask import Response, stream_with_context

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.services import run_costs, runs, stats
from app.services.cells import CsvWriter, xlsx_cell
from app.services.judging import labels, panel, report

SAMPLE_COLUMNS = ("dataset_name", "subset", "position", "row_key", "question", "reference", "prediction",
                  "extracted", "score", "verdict", "judge_rationale", "latency_ms", "prompt_tokens",
                  "completion_tokens", "error", "decided_by", "human_verdict", "human_note")
#: Samples that carry a score (errors and answers still waiting for their verdict do not).
SCORED = sa.and_(EvalSample.verdict.in_(("correct", "wrong")), EvalSample.score.is_not(None))


def run_json(run: EvalRun) -> dict:
    """The API / export view of a run: settings, status, progress and scores."""
    return {
        "id": run.id, "status": run.status, "note": run.status_note or runs.queue_note(run), "waiting": run.is_waiting,
        "error": run.error,
        "model": {"id": run.endpoint_id, "name": run.endpoint_name},
        "judge": {"id": run.judge_endpoint_id, "name": run.judge_name} if run.judge_name else None,
        "engine": run.engine, "engine_version": run.engine_version,
        "params": {k: v for k, v in run.params.items() if k != "judge_prompt"},
        "judge_prompt": run.params.get("judge_prompt"),
        "progress": {"done": run.progress_done, "total": run.progress_total, "percent": run.progress_percent,
                     "datasets": (run.summary or {}).get("progress", {})},
        "score": run.score, "sample_errors": run.sample_errors, "published": run.published,
        "parent_run_id": run.parent_run_id,
        "decided": report.decided(run), "agreement": labels.agreement(run),
        "panel": panel.members(run) or None, "judge_agreement": panel.agreement(run),
        "summary": {k: v for k, v in (run.summary or {}).items() if k != "progress"} or None,
        **run_costs.run_usage(run),
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def score_interval(run: EvalRun) -> dict | None:
    """The run's overall score with its 95% interval (``stats.mean_interval``), None before a sample is scored."""
    scores = db.session.scalars(sa.select(EvalSample.score).where(EvalSample.run_id == run.id, SCORED)).all()
    return stats.mean_interval(scores, seed=run.id) if scores else None


def subset_chart(run: EvalRun) -> dict | None:
    """The report's per-subset chart (static/js/evals.js draws it): a radar for 3 to 12 subsets, else bars;
    scores in percent. None when the run has fewer than two scored subsets."""
    datasets = (run.summary or {}).get("datasets", [])
    parts = [((f"{d['name']} / " if len(datasets) > 1 else "") + s["name"], s["score"])
             for d in datasets for s in d["subsets"] if s["score"] is not None]
    if len(parts) < 2:
        return None
    return {"type": "radar" if 3 <= len(parts) <= 12 else "bar", "labels": [p[0] for p in parts],
            "scores": [round(p[1] * 100, 2) for p in parts]}


def sample_json(sample: EvalSample, judges: list | None = None, panel_size: int = 0) -> dict:
    """A sample's API view; with a panel, every judge's verdict and reply (``judges``, from
    ``panel.verdicts_by_sample``) and the sample's coverage (usable judges / ``panel_size``)."""
    body = {"id": sample.id, **{c: getattr(sample, c) for c in SAMPLE_COLUMNS}}
    if panel_size:
        body["judges"] = [panel.verdict_json(v) for v in judges or []]
        body["coverage"] = panel.coverage(judges or [], panel_size)
    return body


def samples_json(run: EvalRun, samples: list[EvalSample]) -> list[dict]:
    """``sample_json`` of each of the run's ``samples``, with its judges' verdicts when a panel judged the run."""
    size = len(panel.members(run))
    verdicts = panel.verdicts_by_sample([s.id for s in samples]) if size else {}
    return [sample_json(s, verdicts.get(s.id), size) for s in samples]


def _iter_samples(run: EvalRun):
    query = (sa.select(EvalSample).where(EvalSample.run_id == run.id)
             .order_by(EvalSample.dataset_id, EvalSample.subset, EvalSample.position))
    for sample in db.session.scalars(query.execution_options(yield_per=500)):
        yield sample


def _table(run: EvalRun):
    """The rows of the CSV and XLSX exports, the header first: a sample a row; a panel's run adds each judge's
    verdict and reply (``judge1_verdict``, ``judge1_reply``, ...) and the sample's coverage."""
    size = len(panel.members(run))
    extra = [f"judge{i + 1}_{part}" for i in range(size) for part in ("verdict", "reply")] + \
        (["coverage"] if size else [])
    yield list(SAMPLE_COLUMNS) + extra
    batch: list[EvalSample] = []

    def rows():
        verdicts = panel.verdicts_by_sample([s.id for s in batch]) if size else {}
        for sample in batch:
            judged = {v.judge_index: v for v in verdicts.get(sample.id, [])}
            cells = [getattr(sample, c) for c in SAMPLE_COLUMNS]
            for i in range(size):
                row = judged.get(i)
                cells += [(row.verdict or "unusable") if row else None, row.reply if row else None]
            yield cells + ([panel.coverage(list(judged.values()), size)] if size else [])
    for sample in _iter_samples(run):
        batch.append(sample)
        if len(batch) == 500:
            yield from rows()
            batch = []
    yield from rows()


def export_csv(run: EvalRun):
    """CSV lines, one sample a row (streamed: wrap it in ``stream_with_context``, it reads the database)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    for cells in _table(run):
        writer.writerow(cells)
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_json(run: EvalRun) -> str:
    return json.dumps({"run": run_json(run), "samples": samples_json(run, list(_iter_samples(run)))},
                      ensure_ascii=False, indent=1)


def export_xlsx(run: EvalRun) -> bytes:
    """A workbook with a Summary sheet and a Samples sheet (openpyxl write-only mode)."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    summary.append(["dataset", "subset", "score", "scored", "errors"])
    for d in (run.summary or {}).get("datasets", []):
        for s in d["subsets"]:
            summary.append([xlsx_cell(v) for v in (d["name"], s["name"], s["score"], s["scored"], s["errors"])])
    overall = (run.summary or {}).get("overall") or {}
    summary.append(["overall", "", overall.get("score"), overall.get("scored"), overall.get("errors")])
    sheet = book.create_sheet("Samples")
    for cells in _table(run):
        sheet.append([xlsx_cell(v) for v in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_response(run: EvalRun, fmt: str) -> Response:
    """The run as a download in ``fmt`` (csv, json or xlsx); ``ValueError`` for another format."""
    if fmt == "json":
        body, mime = export_json(run), "application/json"
    elif fmt == "xlsx":
        body, mime = export_xlsx(run), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, mime = stream_with_context(export_csv(run)), "text/csv; charset=utf-8"
    else:
        raise ValueError("format must be csv, json or xlsx")
    # content_type, not mimetype: Flask would append a second "; charset=utf-8" to a text/* mimetype
    return Response(body, content_type=mime,
                    headers={"Content-Disposition": f'attachment; filename="evaluation-{run.id}.{fmt}"'})

