"""Publishing a run: a read-only report for every user and a place on the leaderboards; unpublished runs stay
private (by page and by API), and only the owner publishes or unpublishes."""
from tests import evals_helpers as h
from tests import leaderboard_helpers as lh
from tests.datasets_helpers import make_dataset


def test_publish_unpublish_and_isolation(client, auth, make_user, worker, fake_llm, api_headers):
    alice, bob = make_user("alice"), make_user("bob")
    shared = make_dataset(make_user("root", role="admin"), rows=lh.rows(20), name="Shared twenty", system=True)
    run = lh.run_model(alice, fake_llm, shared, "Alice model", 15)
    mine = lh.run_model(bob, fake_llm, shared, "Bob model", 5)
    as_alice, as_bob = api_headers(alice), api_headers(bob)

    def bob_board() -> set[int]:
        body = client.get(f"/api/v1/leaderboards/{shared.id}", headers=as_bob).get_json()
        return {row["run_id"] for row in body["rows"] + body["apart"]}

    # private: bob sees only his own run, by API and page; alice's report, samples, export and compare are 404
    assert bob_board() == {mine.id}
    for path in (f"/api/v1/evals/{run.id}", f"/api/v1/evals/{run.id}/samples",
                 f"/api/v1/evals/{run.id}/export", f"/api/v1/evals/compare?runs={run.id},{mine.id}"):
        assert client.get(path, headers=as_bob).status_code == 404, path
    auth.login("bob")
    assert f'data-row="{run.id}"' not in client.get(f"/leaderboards/{shared.id}").data.decode()
    assert client.get(f"/evals/{run.id}").status_code == 404
    # bob may not publish alice's run (404, nothing changes)
    assert client.post(f"/api/v1/evals/{run.id}/publish", headers=as_bob).status_code == 404
    assert client.post(f"/evals/{run.id}/publish").status_code == 404
    assert bob_board() == {mine.id}

    # alice publishes: bob sees it on the board and opens a read-only report
    r = client.post(f"/api/v1/evals/{run.id}/publish", headers=as_alice)
    assert r.status_code == 200 and r.get_json()["published"] is True
    assert bob_board() == {run.id, mine.id}
    row = next(x for x in client.get(f"/api/v1/leaderboards/{shared.id}", headers=as_bob).get_json()["rows"]
               if x["run_id"] == run.id)
    assert row["owner"] == "alice" and row["published"] and not row["mine"] and row["score"] == 0.75
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "data-read-only" in page and "data-published" in page and "/publish" not in page and "/cancel" not in page
    assert client.get(f"/evals/{run.id}/samples").status_code == 200
    pair = client.get(f"/api/v1/evals/compare?runs={mine.id},{run.id}", headers=as_bob).get_json()["pairs"][0]
    # older (alice's, 15 right) → newer (bob's, 5 right), whatever the order asked
    assert (pair["a"]["run_id"], pair["b"]["run_id"]) == (run.id, mine.id)
    assert pair["verdict"] == "regressed" and pair["only_a"] == 10
    assert client.post(f"/api/v1/evals/{run.id}/unpublish", headers=as_bob).status_code == 404
    assert client.post(f"/evals/{run.id}/unpublish").status_code == 404

    # alice unpublishes through her page: private again
    auth.logout()
    auth.login("alice")
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "data-score-interval" in page and "/unpublish" in page
    assert client.post(f"/evals/{run.id}/unpublish").status_code == 302
    assert bob_board() == {mine.id}
    assert client.get(f"/api/v1/evals/{run.id}", headers=as_bob).status_code == 404


def test_only_a_succeeded_run_is_published(client, user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "Bot", "bot", reply="ANSWER: B")
    d = h.dataset(user, lh.rows(4), "mcq", "Four")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}])  # no worker: it stays queued
    r = client.post(f"/api/v1/evals/{run.id}/publish", headers=api_headers(user))
    assert r.status_code == 409 and r.get_json()["error"]["fields"]["status"]
    assert client.get(f"/api/v1/evals/{run.id}", headers=api_headers(user)).get_json()["published"] is False
