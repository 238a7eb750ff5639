"""The evaluation form after a validation error: every field keeps what was sent, each error sits by its field,
and a summary at the top links to them."""
from __future__ import annotations

import re
from collections import Counter

from werkzeug.datastructures import MultiDict

from tests import evals_helpers as h
from tests.html_helpers import form_values


def test_a_rejected_form_keeps_every_field_and_points_at_each_error(client, user, fake_llm):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    qa = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    mcq = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    sent = [("model_id", str(m.id)), ("dataset_id", str(mcq.id)), ("subsets-" + str(mcq.id), "logic"),
            ("split-" + str(mcq.id), "test"), ("limit-" + str(mcq.id), "2"), ("dataset_id", str(qa.id)),
            ("limit-" + str(qa.id), "3"), ("split-" + str(qa.id), ""), ("temperature", "0.3"), ("max_tokens", "512"),
            ("top_p", "0.9"), ("concurrency", "12"), ("timeout_minutes", "30"), ("engine", "evalscope"),
            ("judge_id", ""), ("judge_ids", ""), ("judge_ids", ""), ("aggregation", "majority"),
            ("judge_prompt_name", ""), ("judge_mcq", "y"), ("judge_prompt", "Q {question} G {gold} P {pred}")]
    r = client.post("/evals/new", data=MultiDict(sent))
    page = r.data.decode()
    assert r.status_code == 400 and h.count_runs() == 0
    shown = [(k, v) for k, v in form_values(page, "eval-form") if k != "csrf_token"]
    assert Counter(shown) == Counter(sent)  # nothing forgotten (the limit above all), nothing added
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'href="#judge_id">Judge model</a>: QA datasets are scored by a judge model', summary)
    assert re.search(r'href="#concurrency">Concurrency</a>: .*at most 8 requests', summary)
    for field in ("judge_id", "concurrency"):  # the target exists and its error is next to it, wired to it
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true" aria-describedby="{field}-error"', page)
        assert f'id="{field}-error"' in page
    assert page.index('id="error-summary"') < page.index('id="model_id"')


def test_the_form_starts_without_a_summary_and_with_the_defaults(client, user, fake_llm):
    h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    page = client.get("/evals/new").data.decode()
    values = dict(form_values(page, "eval-form"))
    assert 'id="error-summary"' not in page and "dataset_id" not in values
    assert values["temperature"] == "0" and values["max_tokens"] == "1024"
