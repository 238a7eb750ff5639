"""Judge panels (#14): two or three judges on a run, their aggregate (majority or mean), the coverage of a sample
whose judge gave no usable verdict, and the judges' agreement (Cohen's κ for two, Fleiss' κ for three). Real
evalscope in a real worker against the fake model server, which counts requests."""
import csv
import io
import json
import re

import openpyxl
import pytest
import sqlalchemy as sa

from app.engines import panel_judging
from app.engines.eval_samples import summarize_run
from app.extensions import db
from app.models import EvalJudgeVerdict, EvalRun, EvalSample
from app.services import evals, runs
from app.services.judging import prompts
from tests import evals_helpers as h
from tests.services import wait_for
from tests.test_evals_opencompass import needs_opencompass
from tests.test_evals_rejudge import asked, half_exact_reply, samples_of

# Each judge's verdict on the 12 answers (tags Q0..Q11): C correct, W wrong, X no usable verdict.
FIRST = "CCWWCCWWCXCX"   # its X: a reply without a verdict
SECOND = "CWCWXCWCCXWC"  # its X: CompassVerifier's "C" (an invalid answer)
THIRD = "CWWWCCWCCCWC"
N = 12


def table_judge(table: str, unusable: str):
    def reply(messages, _request) -> str:
        tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
        if table[tag] == "X":
            return unusable
        return json.dumps({"reasoning": "table", "verdict": "A" if table[tag] == "C" else "B"})
    return reply


def judges(user, fake_llm):
    return (h.model(user, fake_llm, "Judge one", "judge-one", reply=table_judge(FIRST, "I cannot judge this.")),
            h.model(user, fake_llm, "Judge two", "judge-two",
                    reply=table_judge(SECOND, json.dumps({"reasoning": "cut off", "verdict": "C"}))),
            h.model(user, fake_llm, "Judge three", "judge-three", reply=table_judge(THIRD, "")))


def test_a_panel_of_two_then_a_rejudge_by_three(client, user, worker, fake_llm, api_headers):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    one, two, three = judges(user, fake_llm)
    d = h.dataset(user, h.qa_rows(N), "qa", "QA set")
    headers = api_headers(user)
    r = client.post("/api/v1/evals", headers=headers, json={
        "model_id": m.id, "judge_ids": [one.id, two.id], "judge_prompt": "compassverifier",
        "datasets": [{"dataset_id": d.id}]})
    assert r.status_code == 202, r.get_json()
    run = h.finished(r.get_json()["id"], 240)
    assert run.status == "succeeded", run.error
    assert asked(fake_llm, "qa-bot") == N  # the candidate answers once
    assert asked(fake_llm, "judge-one") == N and asked(fake_llm, "judge-two") == N
    assert "A: CORRECT" in h.judge_requests(fake_llm, "judge-two")[0] and "C: INVALID" in \
        h.judge_requests(fake_llm, "judge-two")[0]  # the CompassVerifier prompt, by its name

    # majority: a tie is no majority; a judge without a usable verdict is left out, not counted as wrong
    rows = samples_of(run.id)
    assert "".join("C" if s.verdict == "correct" else "W" if s.verdict == "wrong" else "-" for s in rows) \
        == "CWWWCCWWC-WC"
    assert rows[4].verdict == "correct" and rows[11].verdict == "correct"  # one judge usable, it said correct
    assert rows[9].verdict == "error" and "no judge of the panel" in rows[9].error  # not scored
    assert run.score == pytest.approx(5 / 11, abs=1e-6)  # 11 scored: the unscored sample lowers coverage, not the score
    assert run.summary["overall"]["errors"] == 1

    # Cohen's κ by hand, on the 9 samples both judges scored: they agree on 5; each says correct 5 times of 9
    observed, chance = 5 / 9, (5 * 5 + 4 * 4) / 81
    body = client.get(f"/api/v1/evals/{run.id}", headers=headers).get_json()
    agreement = body["judge_agreement"]
    assert agreement["method"] == "cohen" and agreement["n"] == 9
    assert agreement["kappa"] == pytest.approx((observed - chance) / (1 - chance)) == pytest.approx(0.1)
    assert agreement["disagreements"] == 4 and [p["name"] for p in body["panel"]] == ["Judge one", "Judge two"]

    # every judge's requests count in the run's tokens, each priced at its own judge's prices
    verdicts = db.session.execute(sa.select(EvalJudgeVerdict.judge_endpoint_id, EvalJudgeVerdict.prompt_tokens,
                                            EvalJudgeVerdict.completion_tokens).join(EvalSample)
                                  .where(EvalSample.run_id == run.id)).all()
    spent = {j: (sum(v[1] for v in verdicts if v[0] == j), sum(v[2] for v in verdicts if v[0] == j))
             for j in (one.id, two.id)}
    assert all(p > 0 and c > 0 for p, c in spent.values())
    tokens = body["tokens"]
    assert tokens["judge"] == {"prompt": sum(p for p, _ in spent.values()),
                               "completion": sum(c for _, c in spent.values())}
    assert {j["id"]: (j["prompt"], j["completion"]) for j in tokens["judges"]} == spent
    assert body["cost"] is None  # no prices yet: unknown, not 0
    for endpoint, (price_in, price_out) in ((m, (1.0, 2.0)), (one, (3.0, 4.0)), (two, (5.0, 6.0))):
        endpoint.price_input_per_m, endpoint.price_output_per_m = price_in, price_out
    db.session.commit()
    model_cost = (tokens["model"]["prompt"] * 1.0 + tokens["model"]["completion"] * 2.0) / 1e6
    judges_cost = (spent[one.id][0] * 3 + spent[one.id][1] * 4 + spent[two.id][0] * 5 + spent[two.id][1] * 6) / 1e6
    cost = client.get(f"/api/v1/evals/{run.id}", headers=headers).get_json()["cost"]
    assert cost == pytest.approx(model_cost + judges_cost)

    items = client.get(f"/api/v1/evals/{run.id}/samples", headers=headers).get_json()["items"]
    assert [j["verdict"] for j in items[4]["judges"]] == ["correct", None] and items[4]["coverage"] == 0.5
    assert items[4]["judges"][1]["usable"] is False and '"C"' in items[4]["judges"][1]["reply"]
    assert items[9]["coverage"] == 0 and items[0]["coverage"] == 1
    disagree = client.get(f"/api/v1/evals/{run.id}/samples?disagree=1", headers=headers).get_json()
    assert [s["position"] for s in disagree["items"]] == [1, 2, 7, 10]
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/evals/{run.id}/export?format=csv",
                                                              headers=headers).data.decode())))
    assert (csv_rows[4]["judge1_verdict"], csv_rows[4]["judge2_verdict"], csv_rows[4]["coverage"]) == \
        ("correct", "unusable", "0.5") and '"C"' in csv_rows[4]["judge2_reply"]  # each judge's say, exported
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/evals/{run.id}/export?format=xlsx",
                                                        headers=headers).data))
    header, *cells = [list(r) for r in book["Samples"].iter_rows(values_only=True)]
    assert header[-5:] == ["judge1_verdict", "judge1_reply", "judge2_verdict", "judge2_reply", "coverage"]
    assert cells[9][header.index("coverage")] == 0 and cells[0][header.index("judge1_verdict")] == "correct"

    page = client.get(f"/evals/{run.id}").data.decode()
    assert "Judges agree" in page and "0.100" in page and f"/evals/{run.id}/samples?disagree=1" in page
    listing = client.get(f"/evals/{run.id}/samples?disagree=1").data.decode()
    assert listing.count("data-verdict=") == 4
    sample_page = client.get(f"/evals/{run.id}/samples/{rows[4].id}").data.decode()
    assert "Judge two" in sample_page and "cut off" in sample_page and "50%" in sample_page

    # mean of the same verdicts: 1, .5, .5, 0, 1, 1, 0, .5, 1, (none), .5, 1 → 7 of 11
    run.params = dict(run.params, aggregation="mean")
    db.session.commit()
    panel_judging.settle(run, [s.id for s in rows])
    summarize_run(run, [{"dataset_id": d.id, "dataset_name": "QA set", "format": "qa", "subset": "facts",
                         "total": N}])
    assert run.score == pytest.approx(7 / 11, abs=1e-6)

    # a re-judge by three: the candidate is not asked; Fleiss' κ
    fake_llm.requests.clear()
    r = client.post(f"/api/v1/evals/{run.id}/rejudge", headers=headers,
                    json={"judge_ids": [one.id, two.id, three.id]})
    assert r.status_code == 202, r.get_json()
    child = h.finished(r.get_json()["id"], 240)
    assert child.status == "succeeded", child.error
    assert asked(fake_llm, "qa-bot") == 0
    assert [asked(fake_llm, j) for j in ("judge-one", "judge-two", "judge-three")] == [N, N, N]
    assert child.score == pytest.approx(7 / 12, abs=1e-6)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvalJudgeVerdict).join(EvalSample).where(
        EvalSample.run_id == child.id)) == 3 * N
    # Fleiss by hand on the 9 samples all three scored: per-sample agreement 1 (unanimous) or 1/3 (2 to 1)
    p_bar = (5 * 1 + 4 / 3) / 9
    p_e = (14 / 27) ** 2 + (13 / 27) ** 2
    agreement = client.get(f"/api/v1/evals/{child.id}", headers=headers).get_json()["judge_agreement"]
    assert agreement["method"] == "fleiss" and agreement["n"] == 9
    assert agreement["kappa"] == pytest.approx((p_bar - p_e) / (1 - p_e)) == pytest.approx(37 / 91)


@needs_opencompass
def test_opencompass_answers_once_then_the_panel_judges_what_the_rule_left(user, worker, fake_llm):
    """On OpenCompass too: its ``-m infer`` stores the answers, rule first accepts Q0-Q3, the panel judges the rest."""
    n = 8
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=half_exact_reply)
    one, two, _three = judges(user, fake_llm)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    run = h.finished(h.submit(user, model_id=m.id, judge_ids=[one.id, two.id], datasets=[{"dataset_id": d.id}],
                              engine="opencompass", rule_first=True).id, 300)
    assert run.status == "succeeded", run.error
    assert asked(fake_llm, "qa-bot") == n and asked(fake_llm, "judge-one") == asked(fake_llm, "judge-two") == 4
    rows = samples_of(run.id)
    assert [s.decided_by for s in rows] == ["rule"] * 4 + ["judge"] * 4
    # Q4-Q7: FIRST says C C W W, SECOND says X C W C → correct, correct, wrong, wrong (a tie)
    assert [s.verdict for s in rows] == ["correct"] * 6 + ["wrong"] * 2
    assert run.score == pytest.approx(0.75)


def test_judge_ids_are_checked(client, user, make_user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    one, two, three = judges(user, fake_llm)
    d = h.dataset(user, h.qa_rows(2), "qa", "QA set")
    headers = api_headers(user)
    base = {"model_id": m.id, "datasets": [{"dataset_id": d.id}]}
    for ids in ([one.id, two.id, three.id, m.id], [one.id, one.id], [one.id, 999999], "1,2",
                [one.id, True], [one.id, two.id + 0.5], [one.id, 10**30]):
        r = client.post("/api/v1/evals", headers=headers, json={**base, "judge_ids": ids})
        assert r.status_code == 422 and "judge_ids" in r.get_json()["error"]["fields"], ids
    r = client.post("/api/v1/evals", headers=headers, json={**base, "judge_ids": [one.id, two.id],
                                                              "aggregation": "median"})
    assert r.status_code == 422 and "aggregation" in r.get_json()["error"]["fields"]
    foreign = h.model(make_user("bob"), fake_llm, "Bob's", "bob-judge")
    r = client.post("/api/v1/evals", headers=headers, json={**base, "judge_ids": [one.id, foreign.id]})
    assert r.status_code == 422
    r = client.post("/api/v1/evals", headers=headers, json={**base, "judge_id": three.id, "judge_ids": [one.id, two.id]})
    assert r.status_code == 422 and "judge_id" in r.get_json()["error"]["fields"]  # two panels named: neither wins
    assert h.count_runs() == 0
    r = client.post("/api/v1/evals", headers=headers, json={**base, "judge_id": one.id, "judge_ids": [one.id, two.id]})
    assert r.status_code == 202, r.get_json()  # the form's way: judge_id is the panel's first judge
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "judge_ids" in spec["components"]["schemas"]["EvalInput"]["properties"]
    assert "judge_ids" in spec["components"]["schemas"]["RejudgeInput"]["properties"]
    assert "judge_agreement" in spec["components"]["schemas"]["EvalRun"]["properties"]


def test_a_cancelled_panel_resumes_with_only_the_missing_verdicts(user, worker, fake_llm):
    """Cancelled while its judges read: the verdicts stored are kept; resumed, the candidate is not asked again and
    each judge only for what it lacks (a request in flight at the cancel may be asked again)."""
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    one, two, _three = judges(user, fake_llm)
    fake_llm.add_model("judge-two", reply=table_judge(SECOND, json.dumps({"reasoning": "cut off", "verdict": "C"})),
                       ttft=0.3)  # slow enough to cancel in the middle
    d = h.dataset(user, h.qa_rows(N), "qa", "QA set")
    run = h.submit(user, model_id=m.id, judge_ids=[one.id, two.id], datasets=[{"dataset_id": d.id}], concurrency=2)

    def verdicts() -> int:
        db.session.rollback()
        return db.session.scalar(sa.select(sa.func.count()).select_from(EvalJudgeVerdict).join(EvalSample).where(
            EvalSample.run_id == run.id))
    wait_for(lambda: verdicts() >= 6, timeout=180, interval=0.1, message="some verdicts")
    runs.cancel(db.session.get(EvalRun, run.id), user)
    cancelled = h.finished(run.id)
    assert cancelled.status == "cancelled" and verdicts() < 2 * N
    assert any(s.verdict == "pending" for s in samples_of(run.id))
    evals.resume(cancelled, user)
    done = h.finished(run.id, 240)
    assert done.status == "succeeded", done.error
    assert verdicts() == 2 * N and asked(fake_llm, "qa-bot") == N
    assert N <= asked(fake_llm, "judge-one") <= N + 2 and N <= asked(fake_llm, "judge-two") <= N + 2
    assert done.score == pytest.approx(5 / 11, abs=1e-6)


def test_panel_stage_resumes_only_what_each_judge_lacks(app, user, fake_llm):
    """A killed panel stage: the verdicts stored survive; the next attempt asks each judge only what it lacks."""
    one, two, _three = judges(user, fake_llm)
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    run = EvalRun(owner_id=user.id, endpoint_id=m.id, endpoint_name=m.name, engine="evalscope", status="running",
                  judge_endpoint_id=one.id, judge_name="x", params={
                      "datasets": [], "judge_prompt": prompts.DEFAULT_JUDGE_PROMPT, "concurrency": 2,
                      "panel": [{"id": one.id, "name": one.name}, {"id": two.id, "name": two.name}],
                      "aggregation": "majority"})
    db.session.add(run)
    db.session.flush()
    samples = [EvalSample(run_id=run.id, dataset_id=1, dataset_name="QA", subset="facts", position=i,
                          question=f"[Q{i}] Name thing {i}.", reference=f"thing-{i}", prediction="It is.",
                          verdict="pending") for i in range(4)]
    db.session.add_all(samples)
    db.session.flush()
    db.session.add(EvalJudgeVerdict(sample_id=samples[0].id, judge_index=0, judge_endpoint_id=one.id,
                                    judge_name=one.name, verdict="correct", score=1.0, reply="A", usable=True))
    db.session.commit()
    assert panel_judging.judge_pending(run, lambda: None) is None
    assert asked(fake_llm, "judge-one") == 3 and asked(fake_llm, "judge-two") == 4
    assert [s.verdict for s in samples_of(run.id)] == ["correct", "wrong", "wrong", "wrong"]
    stored = db.session.scalars(sa.select(EvalJudgeVerdict).where(EvalJudgeVerdict.judge_index == 1)).all()
    assert all(v.prompt_tokens and v.completion_tokens for v in stored)  # each judge request's usage is kept

    # a judge refused by the outbound guard (deleted) gives unusable verdicts; the other still counts
    fresh = [EvalSample(run_id=run.id, dataset_id=1, dataset_name="QA", subset="facts", position=10 + i,
                        question=f"[Q{i}] Name thing {i}.", reference=f"thing-{i}", prediction="It is.",
                        verdict="pending") for i in range(2)]
    db.session.add_all(fresh)
    from app.services import endpoints
    endpoints.delete(two, user)
    db.session.commit()
    assert panel_judging.judge_pending(run, lambda: None) is None
    rows = samples_of(run.id)[4:]
    assert [s.verdict for s in rows] == ["correct", "correct"]  # judge one's verdicts (C, C) alone
    refused = db.session.scalars(sa.select(EvalJudgeVerdict).where(EvalJudgeVerdict.sample_id == rows[0].id,
                                                                   EvalJudgeVerdict.judge_index == 1)).one()
    assert not refused.usable and "deleted" in refused.reply


def test_verdict_reader_takes_compassverifier_replies():
    read = panel_judging.read_reply
    assert read("\\boxed{A}") == ("correct", 1.0) and read("Final Judgment: \\boxed{B} - INCORRECT") == ("wrong", 0.0)
    assert read("\\boxed{C}") == (None, None) and read('{"reasoning": "cut", "verdict": "C"}') == (None, None)
    assert read("C") == (None, None) and read("<think>A</think>C: INVALID") == (None, None)
    assert read('{"score": 0.75}') == ("correct", 0.75) and read('{"score": 0.25}') == ("wrong", 0.25)
    assert prompts.resolve("CompassVerifier") == prompts.COMPASS_VERIFIER_PROMPT
    assert prompts.resolve("") == prompts.DEFAULT_JUDGE_PROMPT


def test_aggregation_of_numeric_scores_and_votes():
    from app.services.judging.panel import aggregate
    scores = [("correct", 0.75), ("wrong", 0.25), (None, None)]
    assert aggregate(scores, 3, "mean") == {"verdict": "correct", "score": 0.5, "coverage": pytest.approx(2 / 3)}
    assert aggregate(scores, 3, "majority")["verdict"] == "wrong"  # one vote each: a tie is no majority
    assert aggregate([("correct", 1.0), ("correct", 0.6), ("wrong", 0.0)], 3, "majority") == {
        "verdict": "correct", "score": 1.0, "coverage": 1.0}
    assert aggregate([(None, None), (None, None)], 2, "majority") == {"verdict": "error", "score": None,
                                                                       "coverage": 0.0}
