"""Chat over the REST API and the pages: create, list, read, rename, delete, stream; conversations are private."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ChatSlot, Conversation
from tests.apps import csrf_token_in, make_app
from tests.chat_helpers import create_conversation, done_messages, events, model, send


@pytest.fixture
def alice(make_user):
    return make_user("alice")


def test_create_list_get_rename_delete(client, alice, api_headers, fake_llm):
    h = api_headers(alice)
    m = model(alice, fake_llm, "echo")
    r = client.post("/api/v1/conversations", headers=h, json={"title": "Plans", "slots": [
        {"model_id": m.id, "system_prompt": "Be terse.", "temperature": 0.2, "max_tokens": 64}]})
    assert r.status_code == 201
    body = r.get_json()
    assert body["title"] == "Plans" and body["messages"] == []
    assert body["slots"] == [{"slot": 1, "label": "A", "model_id": m.id, "model_name": "echo",
                              "system_prompt": "Be terse.", "temperature": 0.2, "max_tokens": 64}]
    cid = body["id"]
    second = create_conversation(client, [m, m], headers=h)

    listing = client.get("/api/v1/conversations", headers=h).get_json()
    assert [c["id"] for c in listing["items"]] == [second, cid] and listing["total"] == 2
    assert client.patch(f"/api/v1/conversations/{cid}", headers=h, json={"title": " New  name "}).get_json()[
        "title"] == "New name"
    assert client.patch(f"/api/v1/conversations/{cid}", headers=h, json={"title": ""}).status_code == 422

    assert client.delete(f"/api/v1/conversations/{cid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/conversations/{cid}", headers=h).status_code == 404
    assert db.session.scalar(sa.select(AuditEvent.target_type).where(AuditEvent.action == "chat.delete",
                                                                     AuditEvent.target_id == cid)) == "conversation"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatSlot)
                             .where(ChatSlot.conversation_id == cid)) == 0


def test_invalid_slots_are_refused_with_field_errors(client, alice, make_user, api_headers, fake_llm):
    h = api_headers(alice)
    foreign = model(make_user("bob"), fake_llm, "bobs")
    mine = model(alice, fake_llm, "mine")
    for slots, field in (([], "slots"), ([{"model_id": mine.id}] * 4, "slots"),
                         ([{"model_id": foreign.id}], "slots.0.model_id"),
                         ([{"model_id": mine.id, "temperature": 3}], "slots.0.temperature"),
                         ([{"model_id": mine.id, "max_tokens": 1.5}], "slots.0.max_tokens")):
        r = client.post("/api/v1/conversations", headers=h, json={"slots": slots})
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], slots
    assert client.post("/api/v1/conversations", headers=h, data="x").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0


def test_system_models_can_be_used(client, alice, make_user, api_headers, fake_llm):
    from app.services import endpoints
    system = endpoints.create(make_user("root", role="admin"), {
        "name": "Shared", "base_url": fake_llm.base_url, "model_name": "echo"}, system=True)
    cid = create_conversation(client, [system], headers=api_headers(alice))
    assert client.get(f"/api/v1/conversations/{cid}", headers=api_headers(alice)).get_json()["slots"][0][
        "model_name"] == "Shared"


def test_messages_stream_over_sse_and_are_stored(client, alice, api_headers, fake_llm):
    h = api_headers(alice)
    a = model(alice, fake_llm, "echo")
    b = model(alice, fake_llm, "cut-1", reply="never finishes")
    cid = create_conversation(client, [a, b], headers=h)

    r = send(client, cid, "Repeat after me", headers=h)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    evs = events(r)
    names = [e for e, _d, _t in evs]
    assert names[0] == "start" and names[-1] == "end" and "token" in names
    assert "".join(d["text"] for e, d, _t in evs if e == "token" and d["slot"] == 1) == "Repeat after me"
    saved = done_messages(evs)
    assert saved[1]["status"] == "complete" and saved[1]["usage"]["completion_tokens"] == 3
    assert saved[2]["status"] == "error" and saved[2]["error"]
    assert {"ttft_ms", "latency_ms", "tokens_per_s", "usage", "status"} <= set(saved[1])

    full = client.get(f"/api/v1/conversations/{cid}", headers=h).get_json()
    assert full["title"] == "Repeat after me"
    assert [(m["turn"], m["slot"], m["status"]) for m in full["messages"]] == [
        (1, None, "complete"), (1, 1, "complete"), (1, 2, "error")]
    # each final event carries the saved row, with its id, even for a slot that failed before the rows were written
    assert [saved[1]["id"], saved[2]["id"]] == [m["id"] for m in full["messages"][1:]]
    assert client.post(f"/api/v1/conversations/{cid}/preferences", headers=h,
                       json={"turn": 1, "choice": "A"}).get_json()["choice"] == "A"
    assert client.get(f"/api/v1/conversations/{cid}", headers=h).get_json()["preferences"] == [
        {"turn": 1, "choice": "A", "reason": None, "blind": False}]
    regen = events(client.post(f"/api/v1/conversations/{cid}/slots/1/regenerate", headers=h))
    assert done_messages(regen)[1]["content"] == "Repeat after me"
    assert send(client, cid, "  ", headers=h).status_code == 422


def test_api_stop(client, alice, api_headers, fake_llm):
    h = api_headers(alice)
    slow = model(alice, fake_llm, "slowpoke", reply="a b c d e f g h i j k l", token_delay=0.2)
    cid = create_conversation(client, [slow], headers=h)
    r = send(client, cid, "go", headers=h)
    head = events(r, until=lambda got: any(e == "token" for e, _d, _t in got))
    assert client.post(f"/api/v1/conversations/{cid}/stop", headers=h).status_code == 200
    assert done_messages(head + events(r))[1]["status"] == "stopped"


def test_api_isolation_other_users_get_404(client, alice, make_user, api_headers, fake_llm):
    cid = create_conversation(client, [model(alice, fake_llm, "echo")], headers=api_headers(alice))
    bob = api_headers(make_user("bob"))
    admin = api_headers(make_user("root", role="admin"))
    for h in (bob, admin):
        assert client.get(f"/api/v1/conversations/{cid}", headers=h).status_code == 404
        assert client.get("/api/v1/conversations", headers=h).get_json()["items"] == []
        assert client.patch(f"/api/v1/conversations/{cid}", headers=h, json={"title": "x"}).status_code == 404
        assert client.delete(f"/api/v1/conversations/{cid}", headers=h).status_code == 404
        assert send(client, cid, "hi", headers=h).status_code == 404
        assert client.post(f"/api/v1/conversations/{cid}/stop", headers=h).status_code == 404
        assert client.post(f"/api/v1/conversations/{cid}/slots/1/regenerate", headers=h).status_code == 404
        r = client.post(f"/api/v1/conversations/{cid}/preferences", headers=h, json={"turn": 1, "choice": "A"})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/conversations").status_code == 401
    assert db.session.get(Conversation, cid) is not None


def test_page_isolation_other_users_get_404(client, auth, alice, make_user, fake_llm):
    auth.login("alice")
    cid = create_conversation(client, [model(alice, fake_llm, "echo")])
    events(send(client, cid, "secret plans"))
    auth.logout()
    make_user("bob")
    auth.login("bob")
    assert client.get(f"/chat/{cid}").status_code == 404
    assert send(client, cid, "hi").status_code == 404
    for action in ("stop", "rename", "delete", "preference", "slots/1/regenerate"):
        assert client.post(f"/chat/{cid}/{action}", data={"title": "x"}).status_code == 404, action
    assert client.get("/chat/").headers["Location"].endswith("/chat/new")
    assert "secret plans" not in client.get("/chat/new").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/chat/", "/chat/new", "/chat/1"])
def test_pages_need_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_start_chat_link_preselects_models(client, user, make_user, fake_llm):
    a, b = model(user, fake_llm, "first"), model(user, fake_llm, "second")
    foreign = model(make_user("bob"), fake_llm, "bobs-private-model")
    page = client.get(f"/chat/new?model={b.id}&model={foreign.id}&model={a.id}").get_data(as_text=True)
    slot1, slot2 = page.split('id="slot-1-model"')[1], page.split('id="slot-2-model"')[1]
    assert f'<option value="{b.id}" selected>' in slot1.split("</select>")[0]
    assert f'<option value="{a.id}" selected>' in slot2.split("</select>")[0]
    assert "bobs-private-model" not in page


def test_rename_and_delete_pages(client, user, fake_llm):
    cid = create_conversation(client, [model(user, fake_llm, "echo")])
    r = client.post(f"/chat/{cid}/rename", data={"title": "Renamed chat"}, follow_redirects=True)
    assert "Renamed chat" in r.get_data(as_text=True)
    r = client.post(f"/chat/{cid}/delete", follow_redirects=True)
    assert "Conversation deleted." in r.get_data(as_text=True)
    assert db.session.get(Conversation, cid) is None


def test_dashboard_counts_conversations(client, user, fake_llm):
    create_conversation(client, [model(user, fake_llm, "echo")])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Conversations" in page and 'href="/chat/"' in page


def test_openapi_documents_chat(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/conversations", "/conversations/{conversation_id}", "/conversations/{conversation_id}/messages",
            "/conversations/{conversation_id}/stop"} <= set(paths)
    assert "text/event-stream" in paths["/conversations/{conversation_id}/messages"]["post"]["responses"]["200"][
        "content"]


def test_json_calls_need_the_csrf_header(session_env, make_user, fake_llm):
    owner = make_user("carol")
    app = make_app(session_env, WTF_CSRF_ENABLED=True)
    with app.app_context():
        c = app.test_client()
        token = csrf_token_in(c.get("/login").data)
        c.post("/login", data={"username": "carol", "password": "correct-horse", "csrf_token": token})
        m = model(owner, fake_llm, "echo")
        body = {"slots": [{"model_id": m.id}]}
        assert c.post("/chat/conversations", json=body).status_code == 400
        page_token = csrf_token_in(c.get("/chat/new").data)
        r = c.post("/chat/conversations", json=body, headers={"X-CSRFToken": page_token})
        assert r.status_code == 201
        cid = r.get_json()["id"]
        assert c.post(f"/chat/{cid}/messages", json={"content": "hi"}).status_code == 400
        r = c.post(f"/chat/{cid}/messages", json={"content": "hi"}, headers={"X-CSRFToken": page_token})
        assert done_messages(events(r))[1]["content"] == "hi"
        db.session.remove()
