"""Live progress and log of a run over Server-Sent Events (read from the database and Redis only)."""
from __future__ import annotations

import json
import time

from flask import Response, request, stream_with_context
from flask_login import current_user, login_required

from app.evals import bp
from app.extensions import db
from app.services import eval_reports, evals, log_text, runs

MAX_SECONDS = 600  # the browser's EventSource reconnects, resuming the log from Last-Event-ID


def sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@bp.route("/<int:run_id>/events")
@login_required
def events(run_id: int):
    run = evals.owned(current_user, run_id)
    start = request.headers.get("Last-Event-ID", request.args.get("from", 0), type=int) or 0
    user = current_user._get_current_object()

    def generate():
        position = start
        deadline = time.monotonic() + MAX_SECONDS
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline:
            db.session.rollback()  # end the transaction: the next read sees the worker's commits
            current = evals.owned(user, run.id)
            lines, position = runs.read_log(current, position)
            lines = log_text.readable(lines)
            if lines:
                yield sse("log", {"lines": lines}, position)
            yield sse("status", eval_reports.run_json(current))
            if not current.is_active:
                yield sse("end", {"status": current.status})
                return
            time.sleep(1.0)

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
