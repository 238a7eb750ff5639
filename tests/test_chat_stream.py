"""Side-by-side chat streaming: concurrent slots, a failing slot among good ones, stop, history, safe rendering."""
from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from app.extensions import db
from app.models import ChatMessage, Conversation, Preference
from app.services import endpoints
from config import BASE_DIR
from tests.chat_helpers import create_conversation, done_messages, events, model, send
from tests.services import wait_for

LONG = " ".join(f"word{i}" for i in range(40))


def tokens_of(evs, slot):
    return [i for i, (e, d, _t) in enumerate(evs) if e == "token" and d["slot"] == slot]


def stored(conversation_id):
    db.session.expire_all()
    return {(m.turn, m.slot): m for m in db.session.scalars(
        sa.select(ChatMessage).where(ChatMessage.conversation_id == conversation_id))}


def test_slots_stream_concurrently_fast_finishes_before_slow_starts(client, user, fake_llm):
    slow = model(user, fake_llm, "slow-model", reply="one two three", ttft=0.6, token_delay=0.05)
    medium = model(user, fake_llm, "medium-model", reply="one two three four", ttft=0.1, token_delay=0.05)
    fast = model(user, fake_llm, "fast-model", reply="one two three four five", ttft=0.01, token_delay=0.01)
    cid = create_conversation(client, [slow, medium, fast])  # the slow model in slot A: it must not go first

    r = send(client, cid, "Who is fastest?")
    assert r.status_code == 200
    assert r.mimetype == "text/event-stream"
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["X-Accel-Buffering"] == "no"
    evs = events(r)

    assert [e for e, _d, _t in evs][0] == "start" and evs[-1][0] == "end"
    # the fast slot's last token comes before the slow slot's first
    assert max(tokens_of(evs, 3)) < min(tokens_of(evs, 1))
    assert max(tokens_of(evs, 2)) < min(tokens_of(evs, 1))
    saved = done_messages(evs)
    assert {s: m["content"] for s, m in saved.items()} == {
        1: "one two three", 2: "one two three four", 3: "one two three four five"}
    for message in saved.values():
        assert message["status"] == "complete" and message["finish_reason"] == "stop"
        assert message["ttft_ms"] > 0 and message["latency_ms"] >= message["ttft_ms"]
        assert message["usage"]["completion_tokens"] >= 3 and message["tokens_per_s"] > 0
    assert saved[1]["ttft_ms"] > saved[3]["latency_ms"]
    rows = stored(cid)
    assert rows[(1, None)].content == "Who is fastest?" and rows[(1, None)].role == "user"
    assert rows[(1, 1)].content == "one two three" and rows[(1, 1)].endpoint_name == "slow-model"


def test_failing_slots_show_their_error_while_the_other_completes(client, user, fake_llm):
    broken = model(user, fake_llm, "error-500")
    cut = model(user, fake_llm, "cut-2", reply="alpha beta gamma delta")
    good = model(user, fake_llm, "good", reply="all is well here", token_delay=0.01)
    cid = create_conversation(client, [broken, cut, good])

    evs = events(send(client, cid, "Try it"))

    errors = {d["slot"]: d["message"] for e, d, _t in evs if e == "error"}
    assert set(errors) == {1, 2}
    assert "HTTP 500" in errors[1]
    assert "ended before the model finished" in errors[2]
    saved = done_messages(evs)
    assert saved[1]["status"] == "error" and saved[1]["content"] == ""
    assert saved[2]["status"] == "error" and saved[2]["content"] == "alpha beta "  # what arrived is kept
    assert saved[3]["status"] == "complete" and saved[3]["content"] == "all is well here"
    rows = stored(cid)
    assert rows[(1, 1)].status == "error" and "HTTP 500" in rows[(1, 1)].error
    assert rows[(1, 3)].status == "complete"


def _slow_trio(user, fake_llm):
    return [model(user, fake_llm, f"slow-{i}", reply=LONG, ttft=0.02, token_delay=0.15) for i in range(3)]


def test_stop_ends_every_stream_and_saves_partials_as_stopped(client, user, fake_llm):
    cid = create_conversation(client, _slow_trio(user, fake_llm))
    r = send(client, cid, "Tell me a long story")
    first = events(r, until=lambda got: {d["slot"] for e, d, _ in got if e == "token"} == {1, 2, 3})

    assert client.post(f"/chat/{cid}/stop").get_json() == {"stopping": True}
    evs = first + events(r)

    assert evs[-1][0] == "end"
    saved = done_messages(evs)
    assert set(saved) == {1, 2, 3}
    for slot, message in saved.items():
        assert message["status"] == "stopped"
        assert message["content"] and LONG.startswith(message["content"]) and message["content"] != LONG
    rows = stored(cid)
    assert all(rows[(1, s)].status == "stopped" and rows[(1, s)].content for s in (1, 2, 3))


def test_client_going_away_stops_the_upstream_requests(client, user, fake_llm):
    cid = create_conversation(client, _slow_trio(user, fake_llm))
    r = send(client, cid, "Tell me a long story")
    events(r, until=lambda got: sum(e == "token" for e, _d, _t in got) >= 3)
    r.close()  # the browser went away

    rows = stored(cid)
    assert {rows[(1, s)].status for s in (1, 2, 3)} == {"stopped"}
    wait_for(lambda: not [t for t in threading.enumerate() if t.name.startswith(f"chat-{cid}-")],
             timeout=10, message="the slot threads to close their upstream streams")


def test_a_new_turn_waits_for_the_streaming_one(client, user, fake_llm):
    cid = create_conversation(client, _slow_trio(user, fake_llm)[:1])
    r = send(client, cid, "first")
    events(r, until=lambda got: any(e == "token" for e, _d, _t in got))
    busy = send(client, cid, "second")
    assert busy.status_code == 409 and "still streaming" in busy.get_json()["error"]["message"]
    r.close()
    assert send(client, cid, "").status_code == 422


def test_each_slot_keeps_its_own_history_and_settings(client, user, fake_llm):
    echo = model(user, fake_llm, "echo")
    broken = model(user, fake_llm, "error-500")
    cid = create_conversation(client, [echo, broken], system_prompt="Be brief.", temperature=0.3, max_tokens=50)
    events(send(client, cid, "first question"))
    fake_llm.requests.clear()
    events(send(client, cid, "second question"))

    sent = {req["json"]["model"]: req["json"] for req in fake_llm.requests if req["json"]}
    assert sent["echo"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"}, {"role": "assistant", "content": "first question"},
        {"role": "user", "content": "second question"}]
    assert sent["echo"]["temperature"] == 0.3 and sent["echo"]["max_tokens"] == 50
    assert sent["echo"]["stream"] is True
    # the failed slot never answered turn 1, so that turn is left out of its history (roles keep alternating)
    assert sent["error-500"]["messages"][1:] == [{"role": "user", "content": "second question"}]


def test_the_request_carries_the_models_extra_body_key_and_usage_option(client, user, fake_llm):
    fake_llm.api_key = "sk-chat"
    m = endpoints.create(user, {"name": "keyed", "base_url": fake_llm.base_url, "model_name": "echo",
                                "api_key": "sk-chat", "top_p": 0.5, "extra_body": {"top_k": 7}})
    cid = create_conversation(client, [m], temperature=0.2)
    assert done_messages(events(send(client, cid, "hello")))[1]["status"] == "complete"
    (req,) = [r for r in fake_llm.requests if r["path"].endswith("/chat/completions")]
    body = req["json"]
    assert req["headers"]["authorization"] == "Bearer sk-chat"
    assert body["top_k"] == 7 and body["top_p"] == 0.5 and body["temperature"] == 0.2
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_changed_settings_are_saved_with_the_turn_but_the_models_stay(client, user, fake_llm):
    echo, other = model(user, fake_llm, "echo"), model(user, fake_llm, "other")
    cid = create_conversation(client, [echo])
    events(send(client, cid, "hi", slots=[{"model_id": echo.id, "system_prompt": "Pirate.", "max_tokens": 7}]))
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert "Pirate." in page
    assert re.search(rf'<option value="{echo.id}" selected>echo</option>', page)
    assert re.search(r'<select id="slot-1-model" name="model_id" class="[^"]*" disabled', page)  # locked
    bad = send(client, cid, "hi", slots=[{"model_id": echo.id}, {"model_id": other.id}])
    assert bad.status_code == 422
    switched = send(client, cid, "hi", slots=[{"model_id": other.id}])
    assert switched.status_code == 422 and "slots.0.model_id" in switched.get_json()["error"]["fields"]
    assert db.session.get(Conversation, cid).slots[0].endpoint_id == echo.id


def test_a_slot_whose_model_is_gone_may_take_another(client, user, fake_llm):
    echo, other = model(user, fake_llm, "echo"), model(user, fake_llm, "other")
    cid = create_conversation(client, [echo])
    endpoints.delete(echo, user)
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert not re.search(r'<select id="slot-1-model" name="model_id" class="[^"]*" disabled', page)
    assert done_messages(events(send(client, cid, "hi", slots=[{"model_id": other.id}])))[1]["status"] == "complete"


def test_reload_shows_the_same_history(client, user, fake_llm):
    a = model(user, fake_llm, "alpha", reply="Answer from alpha")
    b = model(user, fake_llm, "beta", reply="Beta says hi")
    cid = create_conversation(client, [a, b])
    events(send(client, cid, "What is *this*?"))

    assert client.get("/chat/").headers["Location"].endswith(f"/chat/{cid}")
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    for text in ("What is *this*?", "Answer from alpha", "Beta says hi", "TTFT", "Which answer is better?"):
        assert text in page
    assert page.index("Answer from alpha") < page.index("Beta says hi")
    sidebar = page[page.index('id="conversation-list"'):]
    assert "What is *this*?" in sidebar  # titled from the first message


def test_history_survives_the_model_being_deleted(client, user, fake_llm):
    gone = model(user, fake_llm, "short-lived", reply="still here")
    stays = model(user, fake_llm, "stays", reply="me too")
    cid = create_conversation(client, [gone, stays])
    events(send(client, cid, "hello"))
    endpoints.delete(gone, user)

    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert "still here" in page and "short-lived (no longer available)" in page
    evs = events(send(client, cid, "again"))
    errors = {d["slot"]: d["message"] for e, d, _t in evs if e == "error"}
    assert set(errors) == {1} and "no longer available" in errors[1]
    saved = done_messages(evs)
    assert saved[2]["status"] == "complete" and saved[1]["status"] == "error"
    stored_rows = stored(cid)
    assert saved[1]["id"] == stored_rows[(2, 1)].id and stored_rows[(2, 1)].status == "error"


def test_regenerate_replaces_the_last_answer_of_one_slot(client, user, fake_llm):
    counter = iter(range(100))
    a = model(user, fake_llm, "counter", reply=lambda messages, body: f"take {next(counter)}")
    b = model(user, fake_llm, "steady", reply="steady")
    cid = create_conversation(client, [a, b])
    events(send(client, cid, "go"))
    client.post(f"/chat/{cid}/preference", json={"turn": 1, "choice": "B"})
    fake_llm.requests.clear()

    evs = events(client.post(f"/chat/{cid}/slots/1/regenerate"))
    assert [d["slot"] for e, d, _t in evs if e == "done"] == [1]
    assert done_messages(evs)[1]["content"] == "take 1"
    assert [req["json"]["model"] for req in fake_llm.requests if req["json"]] == ["counter"]
    rows = stored(cid)
    assert rows[(1, 1)].content == "take 1" and rows[(1, 2)].content == "steady"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Preference)) == 0  # the judged answer is gone


def test_preferences(client, user, fake_llm):
    a, b = model(user, fake_llm, "one"), model(user, fake_llm, "two")
    cid = create_conversation(client, [a, b])
    events(send(client, cid, "which?"))
    assert client.post(f"/chat/{cid}/preference", json={"turn": 1, "choice": "A"}).status_code == 200
    assert client.post(f"/chat/{cid}/preference", json={"turn": 1, "choice": "tie"}).get_json()["choice"] == "tie"
    assert client.post(f"/chat/{cid}/preference", json={"turn": 1, "choice": "C"}).status_code == 422
    assert client.post(f"/chat/{cid}/preference", json={"turn": 2, "choice": "A"}).status_code == 422
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert re.search(r'data-choice="tie"\s+aria-pressed="true"', page)


def test_script_in_model_output_renders_inert(client, user, fake_llm):
    payload = "<script>window.pwned=1</script> <img src=x onerror=alert(1)> **bold**"
    cid = create_conversation(client, [model(user, fake_llm, "xss", reply=payload)])
    assert done_messages(events(send(client, cid, "<script>alert(2)</script>")))[1]["content"] == payload

    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert "<script>window.pwned" not in page and "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert all("src=" in s or 'type="application/json"' in s or s == "<script>" for s in scripts)
    assert len(scripts) == 4  # theme, app.js, the chat settings (JSON) and chat.js: nothing from the model


def test_model_output_reaches_the_dom_only_through_the_sanitizer():
    scripts = {p.name: p.read_text() for p in (BASE_DIR / "static/js").glob("chat*.js")}
    assert {"chat.js", "chat_markdown.js", "chat_stream.js"} <= set(scripts)
    assignments = [(name, kind, value) for name, source in scripts.items()
                   for kind, value in re.findall(r"\.(innerHTML|outerHTML)\s*=\s*([^;]+);", source)]
    assert assignments == [
        ("chat_markdown.js", "innerHTML", 'DOMPurify.sanitize(marked.parse(text || ""), { USE_PROFILES: { html: true } })')]
    for source in scripts.values():
        assert "insertAdjacentHTML" not in source and "document.write" not in source and "eval(" not in source
    assert 'from "../vendor/dompurify/purify.es.js"' in scripts["chat_markdown.js"]
    assert (BASE_DIR / "static/vendor/dompurify/purify.es.js").read_text().count("DOMPurify 3.4.18") == 1


def test_stream_chunks_are_read_as_openai_sends_them():
    from app.services.chat_fanout import StreamFailed, chunks

    class Body:
        def __init__(self, *lines):
            self.lines = lines

        def iter_lines(self):
            return iter(self.lines)

    ok = Body(": comment", 'data: {"choices": [{"delta": {"content": "a"}}]}', "", "event: x",
              'data: {"choices": []', 'data: , "usage": {"completion_tokens": 1}}', "", "data: [DONE]", "",
              'data: {"never": 1}', "")
    assert list(chunks(ok)) == [{"choices": [{"delta": {"content": "a"}}]},
                                 {"choices": [], "usage": {"completion_tokens": 1}}]
    failing = Body('data: {"error": {"message": "overloaded"}}', "")
    try:
        list(chunks(failing))
    except StreamFailed as exc:
        assert "overloaded" in str(exc)
    else:
        raise AssertionError("an error chunk must fail the slot")


def test_a_turn_that_cannot_be_recorded_ends_with_an_error(client, user, fake_llm, monkeypatch):
    from app.services import chat_turns

    cid = create_conversation(client, [model(user, fake_llm, "echo")])

    def fail(turn):
        raise RuntimeError("database is gone")
    monkeypatch.setattr(chat_turns, "record", fail)
    evs = events(send(client, cid, "hello"))

    names = [e for e, _d, _t in evs]
    assert names[0] == "start" and names[-1] == "end" and "done" not in names
    assert any(e == "error" and d["slot"] is None and "could not be recorded" in d["message"] for e, d, _t in evs)
    assert stored(cid) == {}
