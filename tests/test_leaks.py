"""What one user must not learn about another or about the system: keys of system models, other users' pings."""
import re

from app.extensions import db
from app.models import ModelEndpoint
from tests import perf_helpers as h
from tests.models_helpers import make_model

SYSTEM_KEY = "sk-system-SECRET-2468"


def test_perf_api_never_tells_whether_a_system_models_key_is_right(client, make_user, fake_llm, api_headers):
    """A right and a wrong guess of a system model's key answer alike: each benchmarks a model of the caller's."""
    admin, mallory = make_user("root", role="admin"), make_user("mallory")
    shared = make_model(admin, fake_llm, name="Shared", model_name="perf-sys", system=True, api_key=SYSTEM_KEY)
    h.block(admin, shared)  # the target is busy
    used = {}
    for guess in (SYSTEM_KEY, "sk-a-wrong-guess"):
        r = client.post("/api/v1/perf", json={"model": "perf-sys", "url": fake_llm.base_url + "/chat/completions",
                                              "api_key": guess, "number": 2}, headers=api_headers(mallory))
        assert r.status_code == 201, r.get_json()
        used[guess] = db.session.get(ModelEndpoint, r.get_json()["model"]["id"])
    assert [m.owner_id for m in used.values()] == [mallory.id, mallory.id]  # never the system model
    assert shared.id not in {m.id for m in used.values()}


def test_the_dashboard_shows_only_your_own_pings(client, auth, make_user):
    make_user("alice"), make_user("bob")
    auth.login("alice")
    page = client.post("/worker-ping", follow_redirects=True).get_data(as_text=True)
    job_id = re.search(r'data-job-id="([^"]+)"', page).group(1)
    assert client.get(f"/worker-ping/{job_id}").status_code == 200
    auth.logout()
    auth.login("bob")
    page = client.get("/dashboard").get_data(as_text=True)
    assert job_id not in page and "No ping yet." in page
    assert client.get(f"/worker-ping/{job_id}").status_code == 404  # another user's ping: as if it did not exist
