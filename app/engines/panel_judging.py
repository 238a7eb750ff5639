"""A judge panel's stage, in the worker: each judge reads the stored answers still pending, then each is settled.

The engine has stored the candidate's answers (``pending``); here every judge of ``params['panel']`` is asked, through
the outbound-guarded SDK client (``endpoint_client.client_for``), for its verdict on each answer it has not judged
yet, a few requests in flight (the run's concurrency). Each reply is stored at once as an ``EvalJudgeVerdict`` with
what EvalHub's verdict reader makes of it, so a killed run resumes with only the missing (sample, judge) pairs. A
judge that fails (deleted, refused by the guard, a request error) gives unusable verdicts; the others go on. When
every judge is done, each pending sample gets the panel's aggregate (``judging.panel.aggregate``).
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import itertools
import json
import time

import sqlalchemy as sa

from app.engines.drivers.judge_verdict import CORRECT, verdict
from app.extensions import db
from app.models import EvalJudgeVerdict, EvalSample, ModelEndpoint
from app.services.endpoint_client import chat_kwargs, client_for, explain
from app.services.judging import panel
from app.services.judging.prompts import fill, resolve
from app.services.outbound import OutboundRefused

CHECK_SECONDS = 1.0
JUDGE_TIMEOUT = 120.0


def read_reply(reply: str | None) -> tuple[str | None, float | None]:
    """(verdict, score) of one judge reply: a numeric JSON "score" between 0 and 1 (correct from 0.5), else the
    verdict reader's letter (A correct 1.0, B wrong 0.0); (None, None) when it holds no usable verdict."""
    text = str(reply or "")
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        try:
            data = json.loads(text[start:end + 1])
        except ValueError:
            data = None
        score = data.get("score") if isinstance(data, dict) else None
        if isinstance(score, (int, float)) and not isinstance(score, bool) and 0 <= score <= 1:
            return ("correct" if score >= 0.5 else "wrong"), float(score)
    letter = verdict(reply)
    if letter is None:
        return None, None
    return ("correct", 1.0) if letter == CORRECT else ("wrong", 0.0)


def _ask(client, kwargs: dict, held) -> tuple[str, int | None, int | None]:
    """The judge's reply to one request, with its prompt and completion tokens (None when not reported); the request
    is sent while ``held()`` holds a slot of the judge's capacity."""
    with held():
        response = client.chat.completions.create(**kwargs)
    usage = response.usage
    return ((response.choices[0].message.content or "") if response.choices else "",
            usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None)


def _judge(member: dict) -> tuple[object | None, dict | None, str | None]:
    """(client, request arguments, None) for one judge of the panel, or (None, None, why it cannot be asked)."""
    endpoint = db.session.get(ModelEndpoint, member["id"])
    try:
        client = client_for(endpoint, timeout=JUDGE_TIMEOUT)  # the guard refuses a deleted model too
    except OutboundRefused as exc:
        return None, None, str(exc)
    return client, chat_kwargs(endpoint, [], temperature=0.0, max_tokens=1024), None


def judge_pending(run, check, slot=None) -> str | None:
    """Ask each judge of ``run``'s panel about every pending answer it has not judged yet, then settle the pending
    samples. ``check()`` runs about every second (heartbeat, cancel, time limit): a reason it returns stops the
    stage at once (stored verdicts are kept) and is returned; None when the stage finished. ``slot(endpoint id)``
    (the run's seat on its endpoints, app/services/scheduler) holds a slot of a judge's capacity per request."""
    slot = slot or (lambda _endpoint_id: contextlib.nullcontext())
    members = panel.members(run)
    prompt = resolve(run.params.get("judge_prompt") or "")
    pending = db.session.execute(sa.select(EvalSample.id, EvalSample.question, EvalSample.reference,
                                           EvalSample.prediction)
                                 .where(EvalSample.run_id == run.id, EvalSample.verdict == "pending")).all()
    ids = [p.id for p in pending]
    have = {(r.sample_id, r.judge_index) for chunk in _chunks(ids) for r in db.session.execute(
        sa.select(EvalJudgeVerdict.sample_id, EvalJudgeVerdict.judge_index)
        .where(EvalJudgeVerdict.sample_id.in_(chunk)))}
    workers = max(1, min(int(run.params.get("concurrency") or 4), 32))
    next_check = time.monotonic() + CHECK_SECONDS
    clients = {}
    for index, member in enumerate(members):
        todo = [p for p in pending if (p.id, index) not in have]
        client, base, why = _judge(member) if todo else (None, None, None)
        if client is None:
            _store([(p.id, index, member, None, None, None, why) for p in todo] if why else [])
        else:
            clients[index] = (client, base, todo)
    tasks = ((p.id, index, client, dict(base, messages=[{"role": "user", "content": fill(
        prompt, p.question or "", p.reference or "", p.prediction or "")}]))
        for index, (client, base, todo) in clients.items() for p in todo)  # built as they are sent
    stop = None
    pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"panel-{run.id}")
    futures: dict[cf.Future, tuple[int, int]] = {}
    try:
        while stop is None:
            for sample_id, index, client, kwargs in itertools.islice(tasks, max(0, workers - len(futures))):
                held = functools.partial(slot, members[index]["id"])
                futures[pool.submit(_ask, client, kwargs, held)] = (sample_id, index)
            if not futures:
                break
            done, _waiting = cf.wait(futures, timeout=CHECK_SECONDS, return_when=cf.FIRST_COMPLETED)
            rows = []
            for future in done:
                sample_id, index = futures.pop(future)
                try:
                    rows.append((sample_id, index, members[index], *future.result(), None))
                except Exception as exc:  # noqa: BLE001 - one judge's failure is that verdict's, never the run's
                    rows.append((sample_id, index, members[index], None, None, None,
                                 f"The judge request failed: {explain(exc)}"))
            _store(rows)
            if time.monotonic() >= next_check:
                stop, next_check = check(), time.monotonic() + CHECK_SECONDS
    finally:  # stopped: requests in flight are abandoned (their answers are not stored), the rest never sent
        pool.shutdown(wait=stop is None, cancel_futures=True)
    if stop is None:
        settle(run, ids)
    return stop


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _store(rows: list[tuple]) -> None:
    """Store (sample id, judge index, panel member, reply, prompt tokens, completion tokens, failure or None) as
    judge verdicts."""
    for sample_id, index, member, reply, prompt_tokens, completion_tokens, failure in rows:
        found, score = read_reply(reply) if failure is None else (None, None)
        db.session.add(EvalJudgeVerdict(sample_id=sample_id, judge_index=index, judge_endpoint_id=member["id"],
                                        judge_name=member["name"][:128], verdict=found, score=score,
                                        reply=reply if failure is None else failure, usable=found is not None,
                                        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))
    db.session.commit()


def settle(run, sample_ids: list[int]) -> None:
    """Give each of these samples the panel's aggregate of its judges' verdicts."""
    members = panel.members(run)
    how = run.params.get("aggregation", "majority")
    for chunk in _chunks(sample_ids):
        verdicts = panel.verdicts_by_sample(chunk)
        for sample in db.session.scalars(sa.select(EvalSample).where(EvalSample.id.in_(chunk))):
            rows = verdicts.get(sample.id, [])
            result = panel.aggregate([(r.verdict, r.score) for r in rows], len(members), how)
            counts = {v: sum(1 for r in rows if r.verdict == v) for v in ("correct", "wrong")}
            unusable = len(members) - counts["correct"] - counts["wrong"]
            sample.verdict, sample.score = result["verdict"], result["score"]
            sample.decided_by = "judge"  # unscored too: the panel, not the model, gave no verdict
            sample.judge_rationale = (f"Panel ({how}): {counts['correct']} correct, {counts['wrong']} wrong, "
                                      f"{unusable} without a usable verdict.")
            sample.error = None if result["score"] is not None else \
                "Not scored: no judge of the panel gave a usable verdict."
    db.session.commit()
