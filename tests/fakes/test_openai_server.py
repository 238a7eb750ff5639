"""Tests for the fake OpenAI-compatible server (tests/fakes/openai_server.py)."""
import threading
import time

import httpx
import openai
import pytest

from .openai_server import FakeOpenAIServer

MSG = [{"role": "user", "content": "hi there you"}]


@pytest.fixture(scope="module")
def server():
    srv = FakeOpenAIServer().start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _clean(server):
    server.reset()
    server.api_key = None
    yield


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0, timeout=10)


def test_base_url_shape(server):
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")


def test_non_streaming_with_usage(client, server):
    r = client.chat.completions.create(model="some-model", messages=MSG)
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == "Hello from some-model."
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (3, 3, 6)
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["method"] == "POST"
    assert req["json"]["messages"] == MSG
    assert req["headers"]["authorization"] == "Bearer test-key"
    assert isinstance(req["time"], float)


def test_streaming_words_in_order_and_usage(client, server):
    server.add_model("poet", reply="one two three four five")
    chunks = list(client.chat.completions.create(
        model="poet", messages=MSG, stream=True, stream_options={"include_usage": True}))
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert content == ["one ", "two ", "three ", "four ", "five"]
    assert chunks[0].object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 5 and chunks[-1].usage.prompt_tokens == 3


def test_streaming_without_include_usage_has_no_usage_chunk(client):
    chunks = list(client.chat.completions.create(model="m", messages=MSG, stream=True))
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_raw_sse_format_ends_with_done(server):
    with httpx.stream("POST", server.base_url + "/chat/completions",
                      json={"model": "m", "messages": MSG, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"


def test_chunk_size_groups_words(client, server):
    server.add_model("grouped", reply="a b c d e", chunk_size=2)
    chunks = client.chat.completions.create(model="grouped", messages=MSG, stream=True)
    content = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert content == ["a b ", "c d ", "e"]


def test_max_tokens_truncates(client):
    r = client.chat.completions.create(model="m", messages=MSG, max_tokens=2)
    assert r.choices[0].message.content == "Hello from "
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 2
    chunks = list(client.chat.completions.create(model="m", messages=MSG, max_tokens=2, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello from "
    assert chunks[-1].choices[0].finish_reason == "length"


def test_slow_model_delays(client):
    # reply "Hello from slow-50." = 3 chunks: ttft 0.05 s then 2 x 0.05 s token delay
    t0 = time.monotonic()
    stream = client.chat.completions.create(model="slow-50", messages=MSG, stream=True)
    first = None
    for c in stream:
        if first is None and c.choices and c.choices[0].delta.content:
            first = time.monotonic() - t0
    total = time.monotonic() - t0
    assert first >= 0.04
    assert total >= 0.12
    t0 = time.monotonic()
    client.chat.completions.create(model="slow-50", messages=MSG)
    assert time.monotonic() - t0 >= 0.12


def test_error_500_raises_internal_server_error(client):
    with pytest.raises(openai.InternalServerError) as ei:
        client.chat.completions.create(model="error-500", messages=MSG)
    assert ei.value.status_code == 500
    assert "Simulated error 500" in ei.value.body["message"]
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="error-500", messages=MSG, stream=True)


def test_other_error_codes(client):
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="error-429", messages=MSG)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="error-404", messages=MSG)


def test_error_401_and_api_key(client, server):
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="error-401", messages=MSG)
    server.api_key = "secret"
    with pytest.raises(openai.AuthenticationError) as ei:
        client.chat.completions.create(model="m", messages=MSG)
    assert ei.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    good = openai.OpenAI(base_url=server.base_url, api_key="secret", max_retries=0)
    assert good.chat.completions.create(model="m", messages=MSG).choices[0].message.content


def test_garbage_body(client, server):
    # Default (non-strict) SDK client: a non-JSON 200 body is returned as a plain str, no exception.
    r = client.chat.completions.create(model="garbage", messages=MSG)
    assert r == "<html>oops</html>"
    # Strict response validation turns it into APIResponseValidationError.
    strict = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0,
                           _strict_response_validation=True)
    with pytest.raises(openai.APIResponseValidationError):
        strict.chat.completions.create(model="garbage", messages=MSG)
    # Streaming: no SSE events in the body, so the stream simply yields nothing.
    assert list(client.chat.completions.create(model="garbage", messages=MSG, stream=True)) == []
    raw = httpx.post(server.base_url + "/chat/completions", json={"model": "garbage", "messages": MSG})
    assert raw.status_code == 200 and raw.headers["content-type"] == "text/html"


def test_cut_stream(client, server):
    with httpx.stream("POST", server.base_url + "/chat/completions",
                      json={"model": "cut-2", "messages": MSG, "stream": True}) as r:
        lines = [line for line in r.iter_lines() if line]
    assert len(lines) == 2 and "[DONE]" not in "".join(lines)
    # The SDK does not raise: the stream just stops early, without any finish_reason.
    chunks = list(client.chat.completions.create(model="cut-2", messages=MSG, stream=True))
    assert [c.choices[0].delta.content for c in chunks] == ["Hello ", "from "]
    assert all(c.choices[0].finish_reason is None for c in chunks)
    server.add_model("cut-registered", reply="a b c d", cut_after=0)
    assert list(client.chat.completions.create(model="cut-registered", messages=MSG, stream=True)) == []


def test_concurrent_streams_run_in_parallel(server):
    server.add_model("par", reply="w1 w2 w3 w4", ttft=0.2, token_delay=0.2)
    results = {}

    def run(name):
        c = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        t0 = time.monotonic()
        first = None
        for ch in c.chat.completions.create(model="par", messages=MSG, stream=True):
            if first is None and ch.choices and ch.choices[0].delta.content:
                first = time.monotonic()
        results[name] = (t0, first, time.monotonic())

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert set(results) == {"a", "b"}
    firsts = [r[1] for r in results.values()]
    finishes = [r[2] for r in results.values()]
    assert max(firsts) < min(finishes)


def test_models_lists_registered(client, server):
    server.add_model("alpha")
    server.add_model("beta", reply="x")
    ids = [m.id for m in client.models.list().data]
    assert ids == ["alpha", "beta", "echo"]
    raw = httpx.get(server.base_url + "/models").json()
    assert raw["object"] == "list" and raw["data"][0]["owned_by"] == "fake"


def test_callable_reply_gets_messages(client, server):
    seen = []

    def reply(messages, request_json):
        seen.append((messages, request_json))
        return "B" if "Question" in messages[-1]["content"] else "A"

    server.add_model("mcq", reply=reply)
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Question 1?"}]
    r = client.chat.completions.create(model="mcq", messages=msgs, temperature=0)
    assert r.choices[0].message.content == "B"
    assert seen[0][0] == msgs and seen[0][1]["temperature"] == 0


def test_echo_model(client):
    msgs = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "x"},
            {"role": "user", "content": "repeat after me"}]
    r = client.chat.completions.create(model="echo", messages=msgs)
    assert r.choices[0].message.content == "repeat after me"


def test_fail_rate_pattern(client, server):
    server.add_model("flaky", fail_rate_pattern=lambda i: i % 2 == 1)
    outcomes = []
    for _ in range(4):
        try:
            client.chat.completions.create(model="flaky", messages=MSG)
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("500")
    assert outcomes == ["ok", "500", "ok", "500"]


def test_hang_times_out(client):
    t0 = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(model="hang", messages=MSG)
    assert time.monotonic() - t0 >= 0.25
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(model="hang", messages=MSG, stream=True)


def test_text_completions_endpoint(client):
    r = client.completions.create(model="echo", prompt="say this")
    assert r.object == "text_completion" and r.choices[0].text == "say this"
    assert r.usage.prompt_tokens == 2


def test_unknown_path_and_bad_body(server):
    r = httpx.get(server.base_url + "/nope")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    r = httpx.post(server.base_url + "/chat/completions", content=b"not json")
    assert r.status_code == 400 and "error" in r.json()


def test_client_disconnect_is_harmless(server):
    server.add_model("long", reply="w " * 50, token_delay=0.02)
    with httpx.stream("POST", server.base_url + "/chat/completions",
                      json={"model": "long", "messages": MSG, "stream": True}) as r:
        next(r.iter_lines())
    time.sleep(0.1)
    assert httpx.get(server.base_url + "/models").status_code == 200


def test_add_model_rejects_unknown_keys(server):
    with pytest.raises(TypeError):
        server.add_model("x", bogus=1)


def test_stop_releases_hanging_request():
    srv = FakeOpenAIServer().start()
    c = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0, timeout=30)
    errors = []

    def call():
        try:
            c.chat.completions.create(model="hang", messages=MSG)
        except Exception as e:  # noqa: BLE001 - whatever the SDK raises on a closed connection
            errors.append(e)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    srv.stop()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(errors[0], openai.APIConnectionError)


def test_failing_reply_callable_gives_500(client, server):
    def boom(messages, request_json):
        raise ValueError("bad judge")

    server.add_model("boom", reply=boom)
    with pytest.raises(openai.InternalServerError) as ei:
        client.chat.completions.create(model="boom", messages=MSG)
    assert "bad judge" in ei.value.body["message"]


def test_reset_clears_requests_and_models(client, server):
    server.add_model("alpha")
    client.chat.completions.create(model="alpha", messages=MSG)
    assert len(server.requests) == 1
    server.reset()
    assert server.requests == []
    assert [m.id for m in client.models.list().data] == ["echo"]


def test_multimodal_content_counts_text_parts(client):
    msgs = [{"role": "user", "content": [{"type": "text", "text": "two words"}]}]
    assert client.chat.completions.create(model="m", messages=msgs).usage.prompt_tokens == 2
