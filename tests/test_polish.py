"""What a person reads on run pages and lists: clean engine logs, the finishing phase, Chinese for stored text."""
from __future__ import annotations

from app.extensions import db
from app.models import EvalSample
from app.services import evals, runs
from app.services.log_text import readable
from tests import evals_helpers as h

RAW = ["\x1b[32m2026-11-29 10:00:01 INFO\x1b[0m Loading /srv/evalhub/data/jobs/12/configs/task.yaml",
       "Predicting(d0_arith): 42%|████▏     | 21/50 [00:03<00:04, 6.1it/s]",
       "2026-11-29 18:36:12 - evalscope - INFO: Evaluating[general_mcq] 100%| 10/10 [Elapsed: 00:00 < Remaining: "
       "00:00, 23.41it/s]",
       "x\r  50%|#####     | 5/10 [00:01<00:01, 4.2it/s]\rDone in 3s",
       "POST http://127.0.0.1:8000/v1/chat/completions 200",
       'File "/home/u/.venv/lib/python3.11/site-packages/evalscope/run.py", line 3', "   "]


def test_engine_logs_lose_colour_codes_progress_bars_and_server_paths():
    assert readable(RAW) == ["2026-11-29 10:00:01 INFO Loading …/configs/task.yaml", "Done in 3s",
                             "POST http://127.0.0.1:8000/v1/chat/completions 200",
                             'File "…/evalscope/run.py", line 3']
    assert readable(RAW, raw=True) == [line.rstrip() for line in RAW[:-1]]  # admins: everything but blanks


def _run(user, fake_llm, **fields):
    m = h.model(user, fake_llm, "Bot", "bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    run = evals.build(user, {"model_id": m.id, "datasets": [{"dataset_id": d.id}]})
    for key, value in fields.items():
        setattr(run, key, value)
    db.session.add(run)
    db.session.commit()
    runs.append_log(run, RAW)
    return run


def test_the_run_page_shows_a_clean_log_and_only_admins_the_raw_one(client, auth, user, make_user, fake_llm):
    run = _run(user, fake_llm, status="failed")
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "Done in 3s" in page and "…/configs/task.yaml" in page
    for leak in ("\x1b[", "/srv/evalhub", "site-packages", "it/s]", "Raw engine log"):
        assert leak not in page, leak
    boss = make_user("boss", role="admin")
    auth.logout()
    auth.login("boss")
    run = _run(boss, fake_llm, status="failed")
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "Raw engine log (admins)" in page and "/srv/evalhub/data/jobs/12/configs/task.yaml" in page


def test_a_run_with_every_answer_in_says_it_is_scoring_not_eta_zero(client, user, fake_llm):
    run = _run(user, fake_llm, status="running", progress_done=10, progress_total=10)
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "All answers are in: scoring and saving the results…" in page


def test_a_run_error_is_shown_without_colour_codes_or_server_paths(client, user, fake_llm):
    run = _run(user, fake_llm, status="failed", error="\x1b[31mERROR\x1b[0m reading /srv/evalhub/data/jobs/1/d0.csv\n"
                                                      "The engine exited with code 1 and scored nothing.")
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "ERROR reading …/1/d0.csv\nThe engine exited with code 1 and scored nothing." in page
    assert "\x1b" not in page and "/srv/evalhub" not in page


def test_stored_english_notes_and_errors_are_shown_in_chinese(client, user, fake_llm):
    run = _run(user, fake_llm, status="failed", error="The engine exited with code 2 and scored nothing.",
               status_note="3 of 10 samples failed (see the samples marked error).")
    client.post("/language", data={"lang": "zh"})
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "引擎以代码 2 退出，没有任何评分。" in page
    assert "10 个样本中有 3 个失败" in page
    assert "温度" in client.get("/evals/new").get_data(as_text=True)


def test_a_sample_shows_what_was_sent_and_replied_with_previous_and_next_in_the_list(client, user, fake_llm):
    run = _run(user, fake_llm, status="succeeded")
    dataset_id = run.params["datasets"][0]["dataset_id"]  # MariaDB keeps counting ids across tests
    rows = [EvalSample(run_id=run.id, dataset_id=dataset_id, dataset_name="Quiz", subset="arith", position=i,
                       question=f"[Q{i}] Which?\nA. no\nB. yes", reference="B", prediction=f"I think B{i}",
                       extracted="B" if i % 2 else None, score=float(i % 2), verdict="correct" if i % 2 else "wrong",
                       judge_rationale='{"verdict": "B"}' if i == 2 else None) for i in range(5)]
    db.session.add_all(rows)
    db.session.commit()
    page = client.get(f"/evals/{run.id}/samples/{rows[2].id}").get_data(as_text=True)
    for text in ("[Q2] Which?\nA. no\nB. yes", "I think B2", "no answer", "{&#34;verdict&#34;: &#34;B&#34;}"):
        assert text in page, text
    assert f'rel="prev" href="/evals/{run.id}/samples/{rows[1].id}"' in page
    assert f'rel="next" href="/evals/{run.id}/samples/{rows[3].id}"' in page
    wrong = client.get(f"/evals/{run.id}/samples/{rows[2].id}?verdict=wrong").get_data(as_text=True)
    assert f'rel="prev" href="/evals/{run.id}/samples/{rows[0].id}?verdict=wrong"' in wrong  # the same list
    assert f'rel="next" href="/evals/{run.id}/samples/{rows[4].id}?verdict=wrong"' in wrong
    first = client.get(f"/evals/{run.id}/samples/{rows[0].id}").get_data(as_text=True)
    assert 'rel="prev"' not in first


def test_every_page_names_a_favicon_that_exists(client, user):
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.data.startswith(b"<svg")
    icon.close()
