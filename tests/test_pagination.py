"""Every paginated list answers its second page, and its page links keep the page's own id and filters."""
from __future__ import annotations

import re

from app.extensions import db
from app.models import AuditEvent, Conversation, EvalRun, EvalSample
from app.services import audit
from tests.datasets_helpers import make_dataset
from tests.models_helpers import make_model
from tests.perf_helpers import row as perf_row


def eval_run(owner, n_samples: int = 0, **fields) -> EvalRun:
    """A finished run row written directly (nothing enqueued) with ``n_samples`` scored samples."""
    run = EvalRun(owner_id=owner.id, endpoint_name="Echo", status="succeeded", params={"datasets": []}, **fields)
    db.session.add(run)
    db.session.flush()
    db.session.add_all(EvalSample(run_id=run.id, dataset_id=1, dataset_name="Set", subset="default", position=i,
                                  question=f"Question {i}?", reference="B", prediction="B", verdict="correct",
                                  score=1.0) for i in range(n_samples))
    db.session.commit()
    return run


def second_page(client, url: str) -> str:
    """Open ``url``, follow its "next page" link, and return page 2 (which must load)."""
    first = client.get(url)
    assert first.status_code == 200, first.data[:300]
    link = re.search(r'href="([^"]+)" rel="next"', first.data.decode())
    assert link, f"{url} shows no link to its next page"
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200, second.data[:300]
    page = second.data.decode()
    assert re.search(r"Page 2 of \d", page)
    return page


def test_samples_of_a_run_with_more_than_50_samples_page(client, user):
    run = eval_run(user, n_samples=53)
    page = second_page(client, f"/evals/{run.id}/samples?verdict=correct")
    assert "Question 52?" in page and "Question 3?" not in page
    assert f'/evals/{run.id}/samples?' in page  # the "previous" link stays on this run, with its filter
    assert "verdict=correct" in page


def test_evaluation_history_pages(app, client, user):
    app.config["PER_PAGE"] = 2
    for _ in range(3):
        eval_run(user)
    second_page(client, "/evals/?status=succeeded")


def test_benchmark_history_pages(app, client, user, fake_llm):
    app.config["PER_PAGE"] = 2
    model = make_model(user, fake_llm)
    for _ in range(3):
        perf_row(user, model)
    second_page(client, "/perf/")


def test_model_list_pages(app, client, user, fake_llm):
    app.config["PER_PAGE"] = 2
    for i in range(3):
        make_model(user, fake_llm, name=f"Model {i}")
    second_page(client, "/models/")


def test_dataset_list_and_dataset_rows_page(app, client, user):
    app.config["PER_PAGE"] = 2
    rows = [{"id": f"q{i}", "question": f"Row question {i}?", "A": "x", "B": "y", "answer": "A"} for i in range(30)]
    dataset = make_dataset(user, rows=rows, name="Long set")
    for i in range(2):
        make_dataset(user, name=f"Other {i}")
    second_page(client, "/datasets/")
    page = second_page(client, f"/datasets/{dataset.id}?q=question")
    assert "Row question 29?" in page and f"/datasets/{dataset.id}?" in page


def test_admin_users_and_audit_log_page(app, client, admin, make_user):
    app.config["PER_PAGE"] = 2
    for i in range(3):
        make_user(f"member{i}")
    second_page(client, "/admin/users")
    for i in range(51):
        audit.record("setting.change", admin, detail=f"event {i}")
    db.session.commit()
    assert db.session.query(AuditEvent).count() > 50
    second_page(client, "/admin/audit?action=setting")


def test_chat_sidebar_pages_keep_the_open_conversation(client, user):
    chats = [Conversation(owner_id=user.id, title=f"Chat {i}") for i in range(31)]
    db.session.add_all(chats)
    db.session.commit()
    page = second_page(client, f"/chat/{chats[0].id}")
    assert f"/chat/{chats[0].id}?page=1" in page
