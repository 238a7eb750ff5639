"""'Test connection' against the fake OpenAI-compatible server: one clear message per kind of failure."""
import socket

import pytest

from app.extensions import db
from app.services import endpoint_check
from tests.models_helpers import make_model


def check(user, fake_llm, **fields):
    model = make_model(user, fake_llm, **fields)
    return model, endpoint_check.run_check(model)


def test_success_reports_ttft_latency_and_listing(user, fake_llm):
    fake_llm.add_model("listed-model", ttft=0.05, reply="OK")
    model, result = check(user, fake_llm, model_name="listed-model")
    assert result.ok and result.reply == "OK"
    assert result.ttft_ms >= 50 and result.latency_ms >= result.ttft_ms
    assert result.model_listed is True
    assert "Connected: first token in" in result.message
    db.session.expire(model)  # read back what the database kept (MariaDB's FLOAT is single precision)
    assert (model.check_status, model.check_model_listed) == ("ok", True)
    assert model.check_ttft_ms == pytest.approx(result.ttft_ms, rel=1e-4)
    sent = [r for r in fake_llm.requests if r["path"].endswith("/chat/completions")][0]["json"]
    assert sent["model"] == "listed-model" and sent["stream"] is True


def test_unlisted_model_is_noted(user, fake_llm):
    _model, result = check(user, fake_llm, model_name="not-in-the-list")
    assert result.ok and result.model_listed is False and "does not list this model" in result.message


def test_wrong_key_401(user, fake_llm):
    fake_llm.api_key = "sk-the-right-one"
    model, result = check(user, fake_llm, api_key="sk-a-wrong-one")
    assert not result.ok and "Rejected the API key (401)" in result.message
    assert model.check_status == "error" and model.check_message == result.message


def test_right_key_is_sent(user, fake_llm):
    fake_llm.api_key = "sk-the-right-one"
    _model, result = check(user, fake_llm, api_key="sk-the-right-one")
    assert result.ok


def test_wrong_model_404(user, fake_llm):
    _model, result = check(user, fake_llm, model_name="error-404")
    assert not result.ok and "Not found (404)" in result.message


def test_wrong_path_404(user, fake_llm):
    model = make_model(user, fake_llm)
    model.base_url = fake_llm.base_url + "/wrong"
    result = endpoint_check.run_check(model)
    assert not result.ok and "Not found (404)" in result.message


def test_timeout(user, fake_llm, app):
    app.config["MODEL_CHECK_TIMEOUT"] = 0.5
    _model, result = check(user, fake_llm, model_name="hang")
    assert not result.ok and result.message.startswith("Timed out")


def test_connection_refused(user, fake_llm):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = make_model(user, fake_llm)
    model.base_url = f"http://127.0.0.1:{port}/v1"
    result = endpoint_check.run_check(model)
    assert not result.ok and "Connection refused" in result.message


def test_name_not_resolved(user, fake_llm):
    model = make_model(user, fake_llm)
    model.base_url = "http://no-such-host.invalid/v1"
    result = endpoint_check.run_check(model)
    assert not result.ok and "does not resolve" in result.message


def test_garbage_body(user, fake_llm):
    _model, result = check(user, fake_llm, model_name="garbage")
    assert not result.ok and "not JSON" in result.message and "text/html" in result.message


def test_server_error(user, fake_llm):
    _model, result = check(user, fake_llm, model_name="error-500")
    assert not result.ok and "HTTP 500" in result.message


def test_stream_cut_midway(user, fake_llm):
    fake_llm.add_model("cut-1", reply="one two three four")
    _model, result = check(user, fake_llm, model_name="cut-1")
    assert not result.ok and "ended before the answer was complete" in result.message


@pytest.mark.parametrize("path", ["/models/{id}/check"])
def test_check_from_the_page_flashes_the_result(client, user, fake_llm, path):
    model = make_model(user, fake_llm, model_name="error-500")
    r = client.post(path.format(id=model.id), follow_redirects=True)
    assert "HTTP 500" in r.data.decode()
    assert "failed" in client.get("/models/").data.decode()
