"""The blind arena: battles hide their models until the one, final vote; the votes rank the models (Bradley–Terry
with intervals) on the human-preference leaderboard, blind and named votes apart, each viewer seeing only the
models they may use."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ChatSlot, Preference
from app.services import endpoints
from app.services.arena import board
from tests.chat_helpers import create_conversation, done_messages, events, model, parse, send

NEUTRAL = "A fine answer."  # the fake server's default reply names its model


@pytest.fixture
def alice(make_user):
    return make_user("alice")


def neutral(owner, fake_llm, name: str):
    """A model named ``name`` whose answers never say its name."""
    return model(owner, fake_llm, f"{name.lower()}-{owner.id}", name=name, reply=NEUTRAL)


def label_of(conversation_id: int, model_id: int) -> str:
    """The slot label (A, B, C) the battle gave the model."""
    slot = db.session.scalar(sa.select(ChatSlot.slot).where(ChatSlot.conversation_id == conversation_id,
                                                            ChatSlot.endpoint_id == model_id))
    return "ABC"[slot - 1]


def battle(client, h, models: list, winner=None, choice=None, reason=None) -> dict:
    """A blind battle over the API: start it, one turn, vote for ``winner`` (or ``choice``); the vote's answer."""
    r = client.post("/api/v1/arena", headers=h, json={"models": [m.id for m in models]})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    assert all(e != "error" for e, _d, _t in events(send(client, cid, "Which is better?", headers=h)))
    choice = choice or label_of(cid, winner.id)
    vote = client.post(f"/api/v1/conversations/{cid}/preferences", headers=h, json={"choice": choice,
                                                                                    "reason": reason})
    assert vote.status_code == 200, vote.get_json()
    return {"id": cid, **vote.get_json()}


def test_a_battle_hides_the_models_until_the_vote_which_reveals_them_and_is_final(client, auth, alice, api_headers,
                                                                                    fake_llm):
    zephyr, quokka = neutral(alice, fake_llm, "Zephyr"), neutral(alice, fake_llm, "Quokka")
    auth.login("alice")
    page = client.get("/chat/arena").get_data(as_text=True)
    assert "Zephyr" in page and 'name="count"' in page  # the start page lists the models one may include
    refused = client.post("/chat/arena", data={"count": "3"})  # alice may use two models only
    assert refused.status_code == 422 and "you have 2" in refused.get_data(as_text=True)
    r = client.post("/chat/arena", data={"count": "2", "models": [zephyr.id, quokka.id]})
    assert r.status_code == 302
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    secrets = ("Zephyr", "Quokka", "zephyr-", "quokka-")

    stream = send(client, cid, "Tell me a fact")
    body = stream.get_data(as_text=True)
    assert not any(s in body for s in secrets)
    start = next(d for e, d in parse(body) if e == "start")
    assert [s["model_name"] for s in start["slots"]] == [None, None]
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert not any(s in page for s in secrets) and "Model A" in page and "Model B" in page
    assert 'name="choice" value="bad"' in page and 'name="choice" value="C"' not in page  # two models: no C
    assert page.count("data-arena-mark") == 1  # the battle is marked as one in the conversation list
    h = api_headers(alice)
    blind = client.get(f"/api/v1/conversations/{cid}", headers=h).get_json()
    assert blind["arena"] and blind["blind"] and not any(s in str(blind) for s in secrets)
    assert {m["model_id"] for m in blind["messages"]} == {None} and blind["messages"][1]["ttft_ms"] is None
    assert client.post(f"/api/v1/conversations/{cid}/messages", headers=h,
                       json={"content": "x", "slots": [{"model_id": zephyr.id}]}).status_code == 200  # ignored

    r = client.post(f"/chat/{cid}/vote", data={"choice": label_of(cid, zephyr.id), "reason": "  more  precise "})
    assert r.status_code == 302
    page = client.get(f"/chat/{cid}").get_data(as_text=True)
    assert f'data-revealed-name="{label_of(cid, zephyr.id)}">Zephyr<' in page and "Quokka" in page
    assert "more precise" in page and "Start a new battle" in page
    vote = db.session.scalar(sa.select(Preference).where(Preference.conversation_id == cid))
    assert (vote.choice, vote.reason, vote.blind, vote.turn) == (label_of(cid, zephyr.id), "more precise", True, 2)
    named = client.get(f"/api/v1/conversations/{cid}", headers=h).get_json()
    assert not named["blind"] and {s["model_name"] for s in named["slots"]} == {"Zephyr", "Quokka"}

    other = "A" if vote.choice == "B" else "B"
    again = client.post(f"/api/v1/conversations/{cid}/preferences", headers=h, json={"choice": other})
    assert again.status_code == 409  # final: no changing it once the names show
    client.post(f"/chat/{cid}/vote", data={"choice": other})
    db.session.expire_all()
    assert db.session.scalar(sa.select(Preference.choice).where(Preference.conversation_id == cid)) == vote.choice
    assert send(client, cid, "one more?", headers=h).status_code == 409
    assert client.post(f"/api/v1/conversations/{cid}/slots/1/regenerate", headers=h).status_code == 409


def test_errors_are_hidden_in_a_blind_stream(client, alice, api_headers, fake_llm):
    h = api_headers(alice)
    good = neutral(alice, fake_llm, "Goodmodel")
    bad = model(alice, fake_llm, f"broken-{alice.id}", name="Brokenmodel", status=500)
    cid = client.post("/api/v1/arena", headers=h, json={"models": [good.id, bad.id]}).get_json()["id"]
    evs = events(send(client, cid, "hi", headers=h))
    slot = "ABC".index(label_of(cid, bad.id)) + 1
    failed = done_messages(evs)[slot]
    assert failed["status"] == "error" and "after your vote" in failed["error"] and "500" not in failed["error"]
    assert [d["message"] for e, d, _t in evs if e == "error"] == [failed["error"]]
    vote = client.post(f"/api/v1/conversations/{cid}/preferences", headers=h, json={"choice": "bad"}).get_json()
    assert vote["choice"] == "bad" and vote["blind"]
    revealed = client.get(f"/api/v1/conversations/{cid}", headers=h).get_json()["messages"]
    assert "500" in next(m["error"] for m in revealed if m["slot"] == slot)


def test_models_are_picked_or_drawn_from_the_ones_the_user_may_use(client, alice, make_user, api_headers, fake_llm):
    h = api_headers(alice)
    mine = [neutral(alice, fake_llm, n) for n in ("One", "Two")]
    foreign = neutral(make_user("bob"), fake_llm, "Bobs")
    for body, field in (({"count": 3}, "models"), ({"count": 4}, "count"), ({"models": [foreign.id]}, "models"),
                        ({"models": ["1"]}, "models"), ({"models": [m.id for m in mine] + [foreign.id, 99]},
                                                        "models")):
        r = client.post("/api/v1/arena", headers=h, json=body)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], body
    drawn = client.post("/api/v1/arena", headers=h, json={}).get_json()
    assert drawn["arena"] and len(drawn["slots"]) == 2
    ids = set(db.session.scalars(sa.select(ChatSlot.endpoint_id).where(ChatSlot.conversation_id == drawn["id"])))
    assert ids == {m.id for m in mine}
    judge = neutral(alice, fake_llm, "Judge")
    judge.judge = True  # a model marked as a judge is drawn only when too few others are left
    db.session.commit()
    for _ in range(6):
        pair = client.post("/api/v1/arena", headers=h, json={}).get_json()
        assert set(db.session.scalars(sa.select(ChatSlot.endpoint_id).where(
            ChatSlot.conversation_id == pair["id"]))) == {m.id for m in mine}
    third = neutral(alice, fake_llm, "Three")
    trio = client.post("/api/v1/arena", headers=h, json={"models": [third.id], "count": 3}).get_json()
    assert len(trio["slots"]) == 3
    assert judge.id not in set(db.session.scalars(sa.select(ChatSlot.endpoint_id).where(
        ChatSlot.conversation_id == trio["id"])))
    page_h = client.post("/chat/arena", data={"count": "3", "models": [foreign.id]})  # no session: to login
    assert page_h.status_code == 302 and "/login" in page_h.headers["Location"]


def test_votes_rank_the_models_and_named_votes_stay_apart(client, auth, alice, api_headers, fake_llm):
    h = api_headers(alice)
    x, y, z = (neutral(alice, fake_llm, n) for n in ("Xenon", "Yarrow", "Zinnia"))
    for _ in range(4):
        battle(client, h, [x, y], winner=x)
        battle(client, h, [x, z], winner=x)
        battle(client, h, [y, z], winner=y)
    battle(client, h, [x, y], winner=y)
    battle(client, h, [y, z], choice="tie")
    battle(client, h, [x, z], choice="bad")
    three = battle(client, h, [x, y, z], winner=z)
    assert len(three["slots"]) == 3 and all(s["model_name"] for s in three["slots"])  # the vote reveals them

    named = create_conversation(client, [z, x], headers=h)  # a normal chat: the voter knows the models
    events(send(client, named, "hello", headers=h))
    assert client.post(f"/api/v1/conversations/{named}/preferences", headers=h,
                       json={"turn": 1, "choice": "A"}).get_json()["blind"] is False

    result = client.get("/api/v1/arena/leaderboard", headers=h).get_json()
    rows = result["blind"]["rows"]
    assert [r["model"] for r in rows] == ["Xenon", "Yarrow", "Zinnia"]
    by = {r["model"]: r for r in rows}
    assert by["Xenon"]["rank"] == 1 and by["Xenon"]["ci"][0] < by["Xenon"]["rating"] < by["Xenon"]["ci"][1]
    assert (by["Xenon"]["wins"], by["Xenon"]["losses"], by["Xenon"]["votes"], by["Xenon"]["all_bad"]) == (8, 2, 10, 1)
    assert (by["Yarrow"]["ties"], by["Zinnia"]["ties"], by["Zinnia"]["all_bad"]) == (1, 1, 1)
    assert result["blind"]["votes"] == 15 and result["blind"]["all_bad"] == 1 and result["resamples"] >= 200
    assert all(r["needs_more_votes"] for r in rows) and result["min_votes"] == 20  # the default threshold
    assert [(r["model"], r["votes"]) for r in result["named"]["rows"]] == [("Zinnia", 1), ("Xenon", 1)]
    assert result == client.get("/api/v1/arena/leaderboard", headers=h).get_json()  # seeded: the same intervals

    auth.login("alice")
    page = client.get("/leaderboards/arena").get_data(as_text=True)
    blind_table = page.split('data-arena-board="blind"')[1].split("</table>")[0]
    assert blind_table.index("Xenon") < blind_table.index("Yarrow") < blind_table.index("Zinnia")
    assert "needs more votes" in blind_table and 'data-arena-board="named"' in page
    assert 'href="/leaderboards/arena"' in client.get("/leaderboards/").get_data(as_text=True)


def test_needs_more_votes_follows_the_threshold(app, client, alice, api_headers, fake_llm):
    app.config["ARENA_MIN_VOTES"] = 2
    h = api_headers(alice)
    x, y, z = (neutral(alice, fake_llm, n) for n in ("Xenon", "Yarrow", "Zinnia"))
    battle(client, h, [x, y], winner=x)
    battle(client, h, [x, z], winner=x)
    rows = {r["model"]: r["needs_more_votes"] for r in board.board(alice)["blind"]["rows"]}
    assert rows == {"Xenon": False, "Yarrow": True, "Zinnia": True}


def test_another_users_private_model_never_shows_nor_counts(client, auth, alice, make_user, api_headers, fake_llm):
    admin = make_user("root", role="admin")
    shared = endpoints.create(admin, {"name": "Shared", "base_url": fake_llm.base_url, "model_name": "shared",
                                      "api_key": ""}, system=True)
    fake_llm.add_model("shared", reply=NEUTRAL)
    bob = make_user("bob")
    secret = neutral(bob, fake_llm, "BobsSecretModel")
    for _ in range(3):
        battle(client, api_headers(bob), [shared, secret], winner=secret)
    mine = neutral(alice, fake_llm, "AlicesModel")
    battle(client, api_headers(alice), [shared, mine], winner=shared)

    seen_by_bob = client.get("/api/v1/arena/leaderboard", headers=api_headers(bob)).get_json()["blind"]["rows"]
    assert [r["model"] for r in seen_by_bob] == ["BobsSecretModel", "Shared"]
    seen = client.get("/api/v1/arena/leaderboard", headers=api_headers(alice)).get_json()
    assert "BobsSecretModel" not in str(seen)
    assert [(r["model"], r["votes"]) for r in seen["blind"]["rows"]] == [("Shared", 1), ("AlicesModel", 1)]
    assert seen["blind"]["votes"] == 1  # bob's battles are not counted for alice: they involve a model she cannot see
    auth.login("alice")
    assert "BobsSecretModel" not in client.get("/leaderboards/arena").get_data(as_text=True)


def test_vote_outcomes():
    assert board.outcomes("A", {1: 7, 2: 8, 3: 9}) == [(7, 8, 1.0), (7, 9, 1.0)]
    assert board.outcomes("tie", {1: 7, 2: 8}) == [(7, 8, 0.5)]
    assert board.outcomes("bad", {1: 7, 2: 8}) == []
    assert board.outcomes("B", {1: 7, 2: 7}) == []  # the same model twice says nothing


def test_openapi_documents_the_arena(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/arena"] and "get" in paths["/arena/leaderboard"]
