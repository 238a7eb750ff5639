"""One scheduler per model endpoint: a limit shared by every user's runs (model and judge roles), benchmarks that
measure an idle server, capacity that comes back when a worker dies, fairness between users."""
from __future__ import annotations

import re
import threading
import time

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun
from app.services import endpoints
from tests import evals_helpers as h
from tests import perf_helpers as ph
from tests.services import WorkerHandle, wait_for


def tagged_mcq(tag: str, n: int) -> list[dict]:
    """MCQ rows whose questions carry ``[<tag><i>]``, so the fake server's log tells the runs apart."""
    return [{"id": f"{tag}{i}", "subset": "s", "split": "test", "question": f"[{tag}{i}] Which option is right?",
             "A": "no", "B": "yes", "C": "maybe", "D": "never", "answer": "B"} for i in range(n)]


def endpoint(owner, fake_llm, model_name: str, limit: int):
    return endpoints.create(owner, {"name": f"{model_name} of {owner.username}", "base_url": fake_llm.base_url,
                                    "model_name": model_name, "max_concurrency": limit})


def arrivals(fake_llm, tag: str) -> list[float]:
    """When the fake server received each completion whose last message carries ``[<tag>...]``."""
    return [r["time"] for r in fake_llm.requests if r["path"].endswith("/chat/completions")
            and re.search(rf"\[{tag}\d+\]", r["json"]["messages"][-1]["content"])]


def test_two_evaluations_share_the_endpoint_limit(make_user, fake_llm, two_workers):
    from app.extensions import queues
    from app.services.scheduler import leases
    alice, bob = make_user("alice"), make_user("bob")
    key, bob_waits = leases.endpoint_key(fake_llm.base_url, "shared-16"), threading.Event()
    conn, bob_user = queues.connection, f"u{bob.id}|"  # read here: the fake server's threads have no app context

    def reply(messages, _request):
        # alice's first answers wait until bob's run has requests waiting (its engine may start seconds later on a
        # loaded machine, when alice's 120 answers at 16 in flight would be done): then they must share
        if "[A" in messages[-1]["content"] and not bob_waits.is_set():
            wait_for(lambda: any(m.startswith(bob_user) for m in leases.live_waiters(conn, key)),
                     timeout=120, message="bob's run to wait for the capacity")
            bob_waits.set()
        return "ANSWER: B"
    fake_llm.add_model("shared-16", reply=reply, ttft=0.1)
    runs = []
    for owner, tag in ((alice, "A"), (bob, "B")):
        model = endpoint(owner, fake_llm, "shared-16", 16)
        data = h.dataset(owner, tagged_mcq(tag, 120), "mcq", f"set {tag}")
        runs.append(h.submit(owner, model_id=model.id, datasets=[{"dataset_id": data.id}], concurrency=16))
    done = [h.finished(r.id, timeout=180) for r in runs]
    assert [r.status for r in done] == ["succeeded", "succeeded"], [r.error for r in done]
    assert fake_llm.peak["shared-16"] <= 16  # 32 requests wanted at once; the endpoint allows 16
    a, b = arrivals(fake_llm, "A"), arrivals(fake_llm, "B")
    assert len(a) == len(b) == 120
    assert min(b) < max(a) and min(a) < max(b)  # they shared the capacity; neither queued behind the other


def test_two_runs_share_a_judge_limit(make_user, fake_llm, two_workers):
    alice, bob = make_user("alice"), make_user("bob")
    fake_llm.add_model("judge-4", reply=h.judge_reply, ttft=0.1)
    runs = []
    for owner in (alice, bob):
        model = h.model(owner, fake_llm, "QA bot", f"qa-{owner.username}", reply=h.qa_reply)
        judge = endpoint(owner, fake_llm, "judge-4", 4)
        data = h.dataset(owner, h.qa_rows(24), "qa", "QA")
        runs.append(h.submit(owner, model_id=model.id, judge_id=judge.id, datasets=[{"dataset_id": data.id}],
                             concurrency=8))
    done = [h.finished(r.id, timeout=180) for r in runs]
    assert [r.status for r in done] == ["succeeded", "succeeded"], [r.error for r in done]
    assert len(h.judge_requests(fake_llm, "judge-4")) == 48
    assert fake_llm.peak["judge-4"] <= 4


def test_an_evaluation_waits_for_a_benchmark_and_a_benchmark_for_an_evaluation(client, auth, make_user, fake_llm,
                                                                             two_workers, api_headers):
    alice, bob = make_user("alice"), make_user("bob")
    ph.allow_loopback()
    gate = threading.Event()

    def reply(messages, _request):
        if messages[-1]["content"].startswith("#"):  # the benchmark's prompts: held until the evaluation waits
            gate.wait(60)
        return "ANSWER: B"
    fake_llm.add_model("bench-me", reply=reply, ttft=0.05)
    bench_model, eval_model = endpoint(alice, fake_llm, "bench-me", 4), endpoint(bob, fake_llm, "bench-me", 4)
    data = h.dataset(bob, tagged_mcq("E", 40), "mcq", "set E")
    bench = ph.submit(alice, endpoint_id=bench_model.id, concurrency="2", number="20")
    wait_for(lambda: any(r["json"]["messages"][-1]["content"].startswith("#") for r in list(fake_llm.requests)
                         if r["json"]), timeout=120, message="the benchmark to measure")
    run = h.submit(bob, model_id=eval_model.id, datasets=[{"dataset_id": data.id}], concurrency=4)

    def waits():
        db.session.rollback()
        got = client.get(f"/api/v1/evals/{run.id}", headers=api_headers(bob)).get_json()
        return got if (got.get("note") or "").startswith("Waiting:") else None
    try:
        note = wait_for(waits, timeout=60, message="the evaluation to say it waits")["note"]
    finally:
        gate.set()
    assert "benchmark is measuring" in note and "#" not in note and str(bench.id) not in note
    bench = ph.finished(bench.id)
    run = h.finished(run.id)
    assert bench.status == run.status == "succeeded", (bench.error, run.error)
    assert bench.params["endpoint_touched"] == 0
    bench_arrivals = [r["time"] for r in fake_llm.requests if "[E" not in str(r["json"])]
    assert min(arrivals(fake_llm, "E")) > max(bench_arrivals)  # none of the evaluation's requests in the window

    # the other way round: a benchmark submitted during an evaluation waits for it to finish
    fake_llm.requests.clear()
    slow = tagged_mcq("F", 40)
    fake_llm.add_model("bench-me", reply="ANSWER: B", ttft=0.2)  # the gate is open from here on
    data = h.dataset(bob, slow, "mcq", "set F")
    run = h.submit(bob, model_id=eval_model.id, datasets=[{"dataset_id": data.id}], concurrency=4)
    wait_for(lambda: arrivals(fake_llm, "F"), timeout=60, message="the evaluation to start")
    bench = ph.submit(alice, endpoint_id=bench_model.id, concurrency="1", number="4")
    wait_for(lambda: (ph.fresh(bench.id).status_note or "").startswith("Waiting:"), timeout=60,
             message="the benchmark to wait")
    assert "must finish first" in ph.fresh(bench.id).status_note and str(run.id) not in ph.fresh(bench.id).status_note
    run, bench = h.finished(run.id), ph.finished(bench.id)
    assert run.status == bench.status == "succeeded", (run.error, bench.error)
    bench_arrivals = [r["time"] for r in fake_llm.requests if "[F" not in str(r["json"])]
    assert min(bench_arrivals) > max(arrivals(fake_llm, "F"))


def test_a_killed_workers_capacity_returns_within_the_lease(session_env, tmp_path, make_user, fake_llm, worker):
    from app.extensions import queues
    from app.services.scheduler import leases
    lease = 3
    alice, bob = make_user("alice"), make_user("bob")

    def reply(messages, _request):
        if "[K" in messages[-1]["content"]:
            fake_llm._stopped.wait(60)  # the killed run's requests hold their slots until the worker dies
        return "ANSWER: B"
    fake_llm.add_model("tight-2", reply=reply)
    worker.stop()
    doomed = WorkerHandle(dict(session_env, EVALHUB_SCHEDULER_LEASE_SECONDS=str(lease)), tmp_path / "doomed.log",
                          data_dir=tmp_path / "doomed")
    try:
        first = h.submit(alice, model_id=endpoint(alice, fake_llm, "tight-2", 2).id, concurrency=2,
                         datasets=[{"dataset_id": h.dataset(alice, tagged_mcq("K", 6), "mcq", "K").id}])
        wait_for(lambda: len(arrivals(fake_llm, "K")) >= 2, timeout=60, message="the first run to hold the capacity")
        key = leases.endpoint_key(fake_llm.base_url, "tight-2")
        assert len(leases.holders(queues.connection, key, 2)) == 2  # the doomed run holds the whole capacity
    finally:
        doomed.kill_hard()
    killed_at = time.monotonic()
    second = h.submit(bob, model_id=endpoint(bob, fake_llm, "tight-2", 2).id, concurrency=2,
                      datasets=[{"dataset_id": h.dataset(bob, tagged_mcq("L", 6), "mcq", "L").id}])
    wait_for(lambda: not leases.holders(queues.connection, key, 2), timeout=lease + 30, interval=0.1,
             message="the dead worker's slots to expire")
    assert time.monotonic() - killed_at < lease + 2
    worker.restart()
    second = h.finished(second.id, timeout=120)
    assert second.status == "succeeded", second.error  # the waiting run proceeds
    assert db.session.get(EvalRun, first.id) is not None


def test_a_user_with_many_runs_does_not_starve_a_user_with_one(app):
    from app.extensions import queues
    from app.services.scheduler import leases
    # the share: alone, the whole capacity; else what the runs wanting no more leave, split by user, then by run
    ten = [f"u1|eval_run-{i}|w3" for i in range(10)]
    assert leases.share(16, "u1|eval_run-0", ten, []) == 2  # one user: its runs split the capacity
    waiting = ten + ["u2|eval_run-99|w1"]
    assert sum(leases.share(16, f"u1|eval_run-{i}", waiting, []) for i in range(10)) == 8
    assert leases.share(16, "u2|eval_run-99", waiting, []) == 8
    assert leases.share(16, "u2|eval_run-99", waiting, ["u3|eval_run-7|t"] * 4) == 6  # u3 wants no more: keeps 4
    assert leases.share(16, "u2|eval_run-99", [], ["u1|eval_run-1|t"] * 9) == 16  # nobody else wants more
    # in Redis: user 1 holds 3 of 4 slots; user 2 waits: user 1 takes no more, user 2 the free one, never above 4
    conn, key, lease = queues.connection, leases.endpoint_key("http://x.test/v1", "fair"), 30
    mine, allowed = leases.take(conn, key, 4, "u1|eval_run-1", lease, 3)
    assert len(mine) == 3 and allowed == 4
    conn.zadd(leases.key_of(key, "waiting"), {"u2|eval_run-99|w2": time.time() + lease})
    assert leases.take(conn, key, 4, "u1|eval_run-1", lease, 1) == ([], 2)  # above its share now: none
    theirs, _allowed = leases.take(conn, key, 4, "u2|eval_run-99", lease, 2)
    assert len(theirs) == 1 and leases.take(conn, key, 4, "u2|eval_run-99", lease, 1)[0] == []  # full
    conn.delete(leases.key_of(key, "waiting"))
    leases.release(conn, *theirs[0])
    assert len(leases.take(conn, key, 4, "u1|eval_run-1", lease, 1)[0]) == 1  # nobody else waits: none left idle


def test_a_runs_slots_serve_its_own_requests_and_go_back_when_another_user_waits(app):
    """Two runs' pools on one endpoint of capacity 4: alone a run holds every slot and hands a freed one to its next
    request without asking Redis; when another user's requests wait, it gives slots back down to its share."""
    from app.extensions import queues
    from app.services.scheduler import leases
    from app.services.scheduler.pool import Pool
    conn, key = queues.connection, leases.endpoint_key("http://x.test/v1", "pools")
    first = Pool(conn, key, 4, "u1|eval_run-1", 30)
    second = None
    try:
        slots = [first.take() for _ in range(4)]
        assert len(leases.holders(conn, key, 4)) == 4 and all(s[1].startswith("u1|eval_run-1|") for s in slots)
        first.give(slots.pop())
        slots.append(first.take())  # the freed slot, straight from the pool
        second = Pool(conn, key, 4, "u2|eval_run-2", 30)
        got = []
        threads = [threading.Thread(target=lambda: got.append(second.take())) for _ in range(2)]
        for t in threads:
            t.start()
        wait_for(lambda: first.allowed == 2, timeout=10, message="the first run's share to shrink")
        for _ in range(2):  # two of the first run's requests end: their slots go to the other user
            first.give(slots.pop())
        for t in threads:
            t.join(10)
        assert len(got) == 2 and all(s[1].startswith("u2|eval_run-2|") for s in got)
        assert sorted(leases.holders(conn, key, 4)) == sorted([s[1] for s in slots] + [s[1] for s in got])
    finally:
        first.close()
        if second is not None:
            second.close()
    assert leases.holders(conn, key, 4) == []  # closing gives every slot back


def test_a_benchmark_reports_a_chat_that_reached_its_model(client, auth, make_user, fake_llm, worker):
    from app.services import endpoint_client
    alice, bob = make_user("alice"), make_user("bob")
    ph.allow_loopback()
    gate = threading.Event()

    def reply(messages, _request):
        if messages[-1]["content"].startswith("#"):
            gate.wait(60)
        return "ANSWER: B"
    fake_llm.add_model("bench-chat", reply=reply)
    bench = ph.submit(alice, endpoint_id=endpoint(alice, fake_llm, "bench-chat", 4).id, concurrency="1", number="3")
    wait_for(lambda: any(r["json"]["messages"][-1]["content"].startswith("#") for r in list(fake_llm.requests)
                         if r["json"]), timeout=120, message="the benchmark to measure")
    chat_model = endpoint(bob, fake_llm, "bench-chat", 4)  # bob chats with the same model meanwhile
    try:
        endpoint_client.client_for(chat_model).chat.completions.create(
            **endpoint_client.chat_kwargs(chat_model, [{"role": "user", "content": "hi"}]))
    finally:
        gate.set()
    bench = ph.finished(bench.id)
    assert bench.status == "succeeded", bench.error
    assert bench.params["endpoint_touched"] == 1
    auth.login("alice")
    assert "1 other request(s) reached this model" in client.get(f"/perf/{bench.id}").data.decode()


def test_admin_sees_every_waiting_run_and_cancels_another_users_benchmark(client, auth, make_user, fake_llm,
                                                                          worker, api_headers):
    from app.extensions import queues
    from app.services.scheduler import admission, endpoint_key
    bob, root = make_user("bob"), make_user("root", role="admin")
    model = ph.known_model(bob, fake_llm, "held-model")
    key = endpoint_key(model.base_url, model.model_name)
    assert admission.try_take_whole(queues.connection, key, "u999|perf_run-999", 4, 60) == "held"
    try:  # someone else's benchmark holds the model: bob's benchmarks wait
        run, other = ph.submit(bob, endpoint_id=model.id), ph.submit(bob, endpoint_id=model.id, max_tokens=16)
        wait_for(lambda: (ph.fresh(run.id).status_note or "").startswith("Waiting:"), timeout=60,
                 message="bob's benchmark to wait")
        note = ph.fresh(run.id).status_note
        assert "another benchmark" in note and "999" not in note
        auth.login("root")
        page = client.get("/admin/runs").data.decode()
        assert f'data-run="perf_run-{run.id}"' in page and "bob" in page and "another benchmark" in page
        zh = client.get("/admin/runs", headers={"Accept-Language": "zh-CN"}).data.decode()
        assert "<td>等待中</td>" in zh and "<td>排队中</td>" in zh and "<td>queued</td>" not in zh  # states in zh
        assert client.post(f"/admin/runs/perf_run/{run.id}/cancel").status_code == 302
        run = ph.finished(run.id, timeout=30)
        assert run.status == "cancelled" and not fake_llm.requests  # it never touched the model
        assert client.post("/admin/runs/perf_run/424242/cancel").status_code == 404
        # the same through the API: the list names bob's other benchmark, the admin cancels it
        admin, mine = api_headers(root), api_headers(bob)
        listed = client.get("/api/v1/admin/runs", headers=admin).get_json()
        assert {"kind": "perf_run", "id": other.id, "owner": "bob"}.items() <= next(
            r for r in listed["items"] if r["id"] == other.id and r["kind"] == "perf_run").items()
        assert client.post(f"/api/v1/perf/{other.id}/cancel", headers=admin).status_code == 404  # not the admin's
        r = client.post(f"/api/v1/admin/runs/perf_run/{other.id}/cancel", headers=mine)
        assert r.status_code == 404 and "error" in r.get_json()  # bob is no admin, even for his own run
        r = client.post(f"/api/v1/admin/runs/perf_run/{other.id}/cancel", headers=admin)
        assert r.status_code == 200 and r.get_json()["state"] in ("cancelled", "cancelling")
        assert ph.finished(other.id, timeout=30).status == "cancelled"
        assert client.post(f"/api/v1/admin/runs/perf_run/{other.id}/cancel", headers=admin).status_code == 409
        assert client.get("/api/v1/admin/runs", headers=mine).status_code == 404
        assert "/admin/runs/{kind}/{id}/cancel" in client.get("/api/v1/openapi.json", headers=admin).get_json()["paths"]
        auth.logout()
        auth.login("bob")
        assert client.get("/admin/runs").status_code in (403, 404)
    finally:
        admission.leave(queues.connection, key, "u999|perf_run-999")


def test_run_page_shows_the_capacity_own_runs_named_others_counted(client, auth, make_user, fake_llm):
    from app.extensions import queues
    from app.services.scheduler import leases
    from app.services.scheduler.seat import target_of
    alice, bob = make_user("alice"), make_user("bob")
    mine, theirs = endpoint(alice, fake_llm, "cap-view", 4), endpoint(bob, fake_llm, "cap-view", 4)
    rows = [EvalRun(owner_id=o.id, endpoint_id=e.id, endpoint_name=e.name, status="running",
                    params={"datasets": [], "concurrency": 4}) for o, e in ((alice, mine), (bob, theirs))]
    db.session.add_all(rows)
    db.session.commit()
    target = target_of(mine)
    conn = queues.connection
    for row, holders in ((rows[0], 1), (rows[1], 3)):
        assert len(leases.take(conn, target.key, 4, f"u{row.owner_id}|eval_run-{row.id}", 30, holders)[0]) == holders
    conn.zadd(leases.key_of(target.key, "waiting"), {f"u{alice.id}|eval_run-{rows[0].id}|w2": time.time() + 30})
    try:
        auth.login("alice")
        page = client.get(f"/evals/{rows[0].id}").data.decode()
        assert "4 of 4 requests in flight, 2 waiting" in page
        assert f"Evaluation #{rows[0].id}</a>: 1 in flight, 2 waiting" in page
        assert "1 run(s) of other users: 3 in flight" in page and f"#{rows[1].id}" not in page
    finally:
        conn.delete(*leases.slot_keys(target.key, 4), leases.key_of(target.key, "waiting"))


def test_metrics_for_admins_only_and_parseable(client, auth, make_user, fake_llm, api_headers):
    from prometheus_client.parser import text_string_to_metric_families
    from app.services.scheduler.seat import target_of
    root, bob = make_user("root", role="admin"), make_user("bob")
    target_of(endpoint(bob, fake_llm, "metered", 6))
    ph.row(bob, endpoint(bob, fake_llm, "timed", 2), status="succeeded", finished_at=None)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers=api_headers(bob)).status_code == 404
    auth.login("bob")
    assert client.get("/metrics").status_code == 404
    auth.logout()
    for headers in (api_headers(root), {}):
        if not headers:
            auth.login("root")
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 200 and r.mimetype == "text/plain"
        families = {f.name: f for f in text_string_to_metric_families(r.data.decode())}
        for name in ("evalhub_runs", "evalhub_queue_depth", "evalhub_workers_alive", "evalhub_worker_engine",
                     "evalhub_endpoint_requests_in_flight", "evalhub_endpoint_requests_waiting",
                     "evalhub_endpoint_capacity", "evalhub_samples", "evalhub_tokens", "evalhub_benchmark_seconds"):
            assert name in families, name
        runs = {(s.labels["kind"], s.labels["state"]): s.value for s in families["evalhub_runs"].samples}
        assert runs[("benchmark", "succeeded")] == 1 and runs[("evaluation", "running")] == 0
        capacity = [s for s in families["evalhub_endpoint_capacity"].samples if s.labels["model"] == "metered"]
        assert capacity and capacity[0].value == 6


def test_a_judge_panel_asked_from_the_worker_keeps_each_judges_limit(app, make_user, fake_llm):
    """A panel's judges are asked by the worker itself, not through an engine: each request still holds a slot of
    its judge's capacity (here 1 and 2, with the run's concurrency 8)."""
    from app.engines import panel_judging
    from app.models import EvalSample
    from app.services.judging import prompts
    from app.services.scheduler import Seat
    alice = make_user("alice")
    verdict = '{"reasoning": "ok", "verdict": "A"}'
    fake_llm.add_model("panel-one", reply=verdict, ttft=0.05)
    fake_llm.add_model("panel-two", reply=verdict, ttft=0.05)
    one, two = endpoint(alice, fake_llm, "panel-one", 1), endpoint(alice, fake_llm, "panel-two", 2)
    model = endpoint(alice, fake_llm, "panel-model", 4)
    run = EvalRun(owner_id=alice.id, endpoint_id=model.id, endpoint_name=model.name, engine="evalscope",
                  status="running", judge_endpoint_id=one.id, judge_name=one.name, params={
                      "datasets": [], "judge_prompt": prompts.DEFAULT_JUDGE_PROMPT, "concurrency": 8,
                      "panel": [{"id": one.id, "name": one.name}, {"id": two.id, "name": two.name}],
                      "aggregation": "majority"})
    db.session.add(run)
    db.session.flush()
    db.session.add_all([EvalSample(run_id=run.id, dataset_id=1, dataset_name="QA", subset="s", position=i,
                                   question=f"[P{i}] Name thing {i}.", reference=f"thing-{i}", prediction="It is.",
                                   verdict="pending") for i in range(8)])
    db.session.commit()
    seat = Seat(run)
    seat.start()
    try:
        assert panel_judging.judge_pending(run, lambda: None, seat.slot) is None
    finally:
        seat.close()
    assert len(h.judge_requests(fake_llm, "panel-one")) == len(h.judge_requests(fake_llm, "panel-two")) == 8
    assert fake_llm.peak["panel-one"] == 1 and fake_llm.peak["panel-two"] <= 2  # 8 threads, the limits held
    assert {s.verdict for s in db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id))} \
        == {"correct"}
