"""A queued evaluation, with no worker free: its progress counts its samples ("0 / 70", not "0 / 0"), and the run
page, the API and Admin → Runs say how many runs wait ahead of it (read from the queue, never stored)."""
import redis

from app.extensions import db, queues
from tests import evals_helpers as h

AHEAD_1 = "Queued: 1 run ahead of it; a worker starts it when one is free."
NEXT = "Queued: next in line; a worker starts it when one is free."


def two_queued(user, fake_llm):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    a, b = h.dataset(user, h.mcq_rows(40), "mcq", "Forty"), h.dataset(user, h.mcq_rows(30), "mcq", "Thirty")
    first = h.submit(user, model_id=m.id, datasets=[{"dataset_id": a.id}])
    second = h.submit(user, model_id=m.id, datasets=[{"dataset_id": a.id}, {"dataset_id": b.id}])
    return first, second


def test_a_queued_run_counts_its_samples_and_says_how_many_runs_are_ahead(client, user, fake_llm, api_headers,
                                                                          no_worker):
    first, second = two_queued(user, fake_llm)
    hd = api_headers(user)
    body = client.get(f"/api/v1/evals/{second.id}", headers=hd).get_json()
    assert body["status"] == "queued" and body["progress"]["total"] == 70 and body["progress"]["done"] == 0
    assert body["note"] == AHEAD_1
    assert client.get(f"/api/v1/evals/{first.id}", headers=hd).get_json()["note"] == NEXT
    page = client.get(f"/evals/{second.id}").get_data(as_text=True)
    assert "0 / 70 (0%)" in page and AHEAD_1 in page
    user.locale = "zh"
    db.session.commit()
    assert client.get(f"/evals/{second.id}").get_data(as_text=True).count("前面还有 1 个运行") == 1


def test_admin_runs_say_why_a_run_waits(client, make_user, auth, fake_llm, no_worker):
    owner = make_user("olga")
    first, second = two_queued(owner, fake_llm)
    make_user("root", role="admin")
    auth.login("root")
    page = client.get("/admin/runs").get_data(as_text=True)
    assert "0 / 70" in page and AHEAD_1 in page and NEXT in page


def test_with_redis_down_a_queued_run_just_says_nothing(client, user, fake_llm, api_headers, no_worker,
                                                         monkeypatch):
    _first, second = two_queued(user, fake_llm)

    def down(_name):
        raise redis.exceptions.ConnectionError("Connection refused")
    monkeypatch.setattr(queues, "get", down)
    body = client.get(f"/api/v1/evals/{second.id}", headers=api_headers(user)).get_json()
    assert body["note"] is None and body["progress"]["total"] == 70
    r = client.get(f"/evals/{second.id}")
    assert r.status_code == 200 and "0 / 70" in r.get_data(as_text=True)
